"""MER2024: MER-UniBench's 1,169 MER2024 test samples. Their labels are not public: the user supplies them."""

from __future__ import annotations

from pathlib import Path

from emer.data.datasets import readers
from emer.data.datasets.base import DataDir, DatasetSpec, Gold, GoldError, file_sha256
from emer.data.datasets.mer2023 import CLASSES

N_SAMPLES = 1169


def read_gold(data_dir: DataDir, labels: Path | None) -> Gold:
    if labels is None:
        raise GoldError(
            "MER2024's test labels are not public: pass your copy with --labels PATH (MERBench's "
            "mer2024-dataset-process/label-6way.npz, or a CSV with name and discrete/label columns)"
        )
    onehot = readers.onehot_labels(labels, "test1_corpus", CLASSES, "MER2024")
    readers.expect_size(onehot, N_SAMPLES, labels, "MER2024's MER-UniBench test set")
    return Gold(sorted(onehot), onehot=onehot, user_file=str(labels), user_sha256=file_sha256(labels))


DATASETS = (
    DatasetSpec(
        name="mer2024",
        title="MER2024",
        split="test (1,169 samples of MER-UniBench)",
        n_samples=N_SAMPLES,
        gold="onehot",
        families=("hitrate",),
        reader=read_gold,
        source="not public: the user's copy (--labels), from the MER2024 organisers",
        label_formats="MERBench label-6way.npz (test1_corpus), or a name,discrete / name,label CSV",
        classes=CLASSES,
        unibench="MER2024",
        field_names=("mer2024",),
        published=("R5", "MER2024"),
    ),
)
