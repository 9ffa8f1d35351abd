"""MER2023: the one-hot labels of its train, test1 and test2 splits (test1 is a MER-UniBench column)."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from emer.data import loaders as L
from emer.data.datasets import readers
from emer.data.datasets.base import DataDir, DatasetSpec, Gold, file_sha256
from emer.data.store import data_path

LABELS = f"{L.MER2023}/label-6way.npz"
CLASSES = ("neutral", "angry", "happy", "sad", "worried", "surprise")
SIZES = {"train": 3373, "test1": 411, "test2": 412}


def read_gold(split: str, data_dir: DataDir, labels: Path | None) -> Gold:
    if labels is not None:
        onehot = readers.onehot_labels(labels, f"{split}_corpus", CLASSES, f"MER2023 {split}")
        readers.expect_size(onehot, SIZES[split], labels, f"MER2023 {split}")
        return Gold(sorted(onehot), onehot=onehot, user_file=str(labels), user_sha256=file_sha256(labels))
    onehot = readers.onehot_labels(data_path(LABELS, data_dir), f"{split}_corpus", CLASSES, "MER2023")
    return Gold(sorted(onehot), onehot=onehot, files=[LABELS])


def _spec(split: str) -> DatasetSpec:
    return DatasetSpec(
        name=f"mer2023-{split}",
        title=f"MER2023 ({split})",
        split=split,
        n_samples=SIZES[split],
        gold="onehot",
        families=("hitrate",),
        reader=partial(read_gold, split),
        source="MERTools MERBench mer2023-dataset-process/label-6way.npz",
        files=(LABELS,),
        label_formats=f"MERBench label-6way.npz ({split}_corpus), or a name,discrete / name,label CSV",
        classes=CLASSES,
        unibench="MER2023" if split == "test1" else "",
        field_names=("mer2023",) if split == "test1" else (),
        published=("R5", "MER2023") if split == "test1" else ("", ""),
        notes="neutral gold maps to no wheel class, so neutral samples are skipped by the hit rate",
    )


DATASETS = tuple(_spec(split) for split in SIZES)
