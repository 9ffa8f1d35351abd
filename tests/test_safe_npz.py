"""The restricted unpickler: released files load; a crafted pickle that would run code is refused."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from emer.data import UnsafePickleError, load_npz

LABELS = "MERTools/MERBench/dataset/mer2023-dataset-process/label-6way.npz"


class _RunsCode:
    def __reduce__(self):
        return (os.makedirs, ("/tmp/emer-pwned-by-pickle",))


def test_released_pickled_dicts_load(data_dir: Path) -> None:
    corpora = load_npz(data_dir / LABELS)
    assert sorted(corpora) == ["test1_corpus", "test2_corpus", "test3_corpus", "train_corpus"]
    assert len(corpora["train_corpus"]) == 3373
    assert corpora["train_corpus"]["sample_00000000"]["emo"] in {
        "happy",
        "angry",
        "worried",
        "sad",
        "surprise",
    }


def test_plain_arrays_load(tmp_path: Path) -> None:
    path = tmp_path / "plain.npz"
    np.savez(path, names=np.array(["a", "b"]), values=np.arange(3))
    loaded = load_npz(path)
    assert loaded["names"].tolist() == ["a", "b"] and loaded["values"].tolist() == [0, 1, 2]


def test_allowed_containers_in_object_arrays(tmp_path: Path) -> None:
    path = tmp_path / "dict.npz"
    np.savez(path, mapping=np.array({"x": [1, 2.5, ("t", None)], "y": {"z": True}}, dtype=object))
    assert load_npz(path)["mapping"] == {"x": [1, 2.5, ("t", None)], "y": {"z": True}}


def test_pickle_that_runs_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.npz"
    np.savez(path, name2reason=np.array({"sample": _RunsCode()}, dtype=object))
    if os.path.exists("/tmp/emer-pwned-by-pickle"):
        os.rmdir("/tmp/emer-pwned-by-pickle")
    with pytest.raises(UnsafePickleError) as info:
        load_npz(path)
    assert "os" in str(info.value) and "makedirs" in str(info.value)
    assert str(path) in str(info.value)
    assert not os.path.exists("/tmp/emer-pwned-by-pickle")
