"""IEMOCAP, four classes: MER-UniBench scores session 5 (1,241 utterances) by the hit rate."""

from __future__ import annotations

import re
from pathlib import Path

from emer.data.datasets import readers
from emer.data.datasets.base import DataDir, DatasetSpec, Gold, GoldError, file_sha256
from emer.data.store import data_path

LABELS = "MERTools/MERBench/dataset/iemocap-process/label_4way.npz"
CLASSES = ("happy", "sad", "neutral", "anger")
N_SAMPLES = 1241
_SESSION = re.compile(r"^Ses0([1-5])[FM]_")


def session(name: str) -> int | None:
    """The session (1-5) of an IEMOCAP utterance name such as ``Ses05F_impro01_F000``."""
    match = _SESSION.match(name)
    return int(match.group(1)) if match else None


def read_gold(data_dir: DataDir, labels: Path | None) -> Gold:
    path = labels or data_path(LABELS, data_dir)
    onehot = readers.onehot_labels(path, "whole_corpus", CLASSES, "IEMOCAP (four classes)")
    unnamed = [n for n in onehot if session(n) is None]
    if unnamed:
        raise GoldError(f"{path}: {len(unnamed)} names are not IEMOCAP utterance names, first {unnamed[:3]}")
    onehot = {n: c for n, c in onehot.items() if session(n) == 5}
    if labels is None:
        return Gold(sorted(onehot), onehot=onehot, files=[LABELS])
    readers.expect_size(onehot, N_SAMPLES, labels, "IEMOCAP's session 5")
    return Gold(sorted(onehot), onehot=onehot, user_file=str(labels), user_sha256=file_sha256(labels))


def unknown_hint(names: list[str]) -> str:
    other = [n for n in names if session(n) in (1, 2, 3, 4)]
    if not other:
        return ""
    return (
        f"{len(other)} of them are from sessions 1-4 (first {other[:3]}): MER-UniBench scores IEMOCAP's "
        "session 5 only, the other sessions are its training data"
    )


DATASETS = (
    DatasetSpec(
        name="iemocap",
        title="IEMOCAP (four classes)",
        split="session 5",
        n_samples=N_SAMPLES,
        gold="onehot",
        families=("hitrate",),
        reader=read_gold,
        source="MERTools MERBench iemocap-process/label_4way.npz (whole_corpus; session 5 scored)",
        files=(LABELS,),
        label_formats="MERBench label_4way.npz (whole_corpus; session 5 is kept), or a name,label CSV",
        classes=CLASSES,
        unibench="IEMOCAP",
        field_names=("iemocapfour", "iemocap"),
        published=("R5", "IEMOCAP"),
        unknown_hint=unknown_hint,
        notes="IEMOCAP is licensed by USC SAIL for research; neutral maps to no wheel class and is skipped",
    ),
)
