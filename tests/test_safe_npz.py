"""The restricted unpickler: released files load; a crafted pickle that would run code is refused."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
from numpy.lib import format as npy_format

from emer.data import DataError, UnsafePickleError, load_npz, safe_npz

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


def test_every_released_npz_loads_within_the_limits(data_dir: Path) -> None:
    files = sorted(data_dir.rglob("*.npz"))
    assert len(files) >= 60
    for path in files:
        assert load_npz(path), path


class _HugeBytes:
    def __reduce__(self):
        return (bytes, (10**11,))


class _HugeArray:
    def __reduce__(self):
        return (np.ndarray, ((10**6, 10**6), "f8"))


def _save_object(path: Path, value: object) -> Path:
    np.savez(path, value=np.array([value, None], dtype=object))
    return path


@pytest.mark.parametrize("bomb", [_HugeBytes(), _HugeArray()], ids=["bytes", "ndarray"])
def test_constructor_allocations_are_capped(tmp_path: Path, bomb: object) -> None:
    path = _save_object(tmp_path / "alloc.npz", bomb)
    with pytest.raises(DataError, match="allocation of .* exceeds the limit") as info:
        load_npz(path)
    assert str(path) in str(info.value)


def test_nesting_depth_is_capped(tmp_path: Path) -> None:
    deep: list = []
    for _ in range(200):
        deep = [deep]
    with pytest.raises(DataError, match="nested more than 64 deep"):
        load_npz(_save_object(tmp_path / "deep.npz", deep))


def test_shared_references_count_each_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(safe_npz.LIMITS, "elements", 100_000)
    level = [0] * 100
    laughs = [[level] * 100] * 100  # 10^6 references from a pickle of a few hundred opcodes
    with pytest.raises(DataError, match="more than 100000 elements"):
        load_npz(_save_object(tmp_path / "laughs.npz", laughs))


def test_container_size_and_string_bytes_are_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(safe_npz.LIMITS, "container_items", 1000)
    with pytest.raises(DataError, match="container holds more than 1000"):
        load_npz(_save_object(tmp_path / "wide.npz", list(range(2000))))
    monkeypatch.setitem(safe_npz.LIMITS, "string_bytes", 1000)
    with pytest.raises(DataError, match="strings exceed 1000"):
        load_npz(_save_object(tmp_path / "long.npz", ["x" * 600, "y" * 600]))


def test_decompressed_size_is_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "bomb.npz"
    np.savez_compressed(path, zeros=np.zeros(1_000_000))  # 8 MB of zeros in a few kB
    assert path.stat().st_size < 100_000
    monkeypatch.setitem(safe_npz.LIMITS, "member_bytes", 1_000_000)
    with pytest.raises(DataError, match="decompresses to 8000128 bytes, over the limit") as info:
        load_npz(path)
    assert str(path) in str(info.value) and "fetch" in str(info.value)


def test_lying_member_size_is_not_trusted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "liar.npz"
    np.savez_compressed(path, zeros=np.zeros(100_000))
    real_open = zipfile.ZipFile.open

    def small_header(self, name, *args, **kwargs):
        if isinstance(name, zipfile.ZipInfo):
            name.file_size = 10  # as a crafted central directory would claim
        return real_open(self, name, *args, **kwargs)

    monkeypatch.setitem(safe_npz.LIMITS, "member_bytes", 100_000)
    monkeypatch.setattr(zipfile.ZipFile, "open", small_header)
    with pytest.raises(DataError, match=str(path)):
        load_npz(path)


def test_malformed_files_get_a_clear_error(tmp_path: Path) -> None:
    good = tmp_path / "good.npz"
    np.savez(good, mapping=np.array({"a": [1, 2]}, dtype=object), plain=np.arange(10))
    data = good.read_bytes()
    cases = {
        "text.npz": (b"sample,label\n", "not a readable .npz"),
        "truncated.npz": (data[: len(data) // 2], "not a readable .npz"),
        "missing.npz": (None, "no such file"),
    }
    for name, (content, message) in cases.items():
        path = tmp_path / name
        if content is not None:
            path.write_bytes(content)
        with pytest.raises(DataError, match=message) as info:
            load_npz(path)
        assert str(path) in str(info.value)

    foreign = tmp_path / "foreign.npz"
    with zipfile.ZipFile(foreign, "w") as z:
        z.writestr("notes.txt", "hello")
    with pytest.raises(DataError, match="'notes.txt' is not a .npy array"):
        load_npz(foreign)

    header = tmp_path / "header.npz"
    with zipfile.ZipFile(header, "w") as z:
        z.writestr("x.npy", b"\x93NUMPY garbage")
    with pytest.raises(DataError, match=r"header.npz \[x\]: not a valid .npy member"):
        load_npz(header)

    short = tmp_path / "short.npz"
    buffer = io.BytesIO()
    np.save(buffer, np.arange(100))
    with zipfile.ZipFile(short, "w") as z:
        z.writestr("x.npy", buffer.getvalue()[:-40])
    with pytest.raises(DataError, match="truncated or malformed"):
        load_npz(short)


def test_bad_pickle_opcodes_are_refused_before_anything_runs(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    np.save(buffer, np.array({"a": "b"}, dtype=object), allow_pickle=True)
    raw = bytearray(buffer.getvalue())
    header_end = raw.index(b"\n") + 1
    raw[header_end + 2] = 0xFF  # not an opcode
    path = tmp_path / "opcodes.npz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("x.npy", bytes(raw))
    with pytest.raises(DataError, match=r"opcodes.npz \[x\]: the pickle is malformed"):
        load_npz(path)
    cut = tmp_path / "cut.npz"
    with zipfile.ZipFile(cut, "w") as z:
        z.writestr("x.npy", buffer.getvalue()[:-5])
    with pytest.raises(DataError, match=r"cut.npz \[x\]: the pickle is malformed"):
        load_npz(cut)


def test_unsafe_pickle_is_a_data_error() -> None:
    assert issubclass(UnsafePickleError, DataError)


def test_header_claiming_a_huge_shape_is_a_data_error(tmp_path: Path) -> None:
    """A header claiming 10^12 float64 over 64 bytes of data: numpy would try to allocate 7.28 TiB."""
    buffer = io.BytesIO()
    npy_format.write_array_header_1_0(buffer, {"descr": "<f8", "fortran_order": False, "shape": (10**12,)})
    buffer.write(b"\0" * 64)
    path = tmp_path / "huge.npz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("x.npy", buffer.getvalue())
    with pytest.raises(
        DataError, match=r"huge.npz \[x\]: .*claims shape \(1000000000000,\).* holds 64 bytes"
    ):
        load_npz(path)
