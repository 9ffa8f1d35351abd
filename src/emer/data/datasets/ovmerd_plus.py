"""OV-MERD+: MER-UniBench's 532 samples with OV labels. The gold is not public: the user supplies it."""

from __future__ import annotations

from pathlib import Path

from emer.data.datasets import readers
from emer.data.datasets.base import DataDir, DatasetSpec, Gold, GoldError, file_sha256

N_SAMPLES = 532


def read_gold(data_dir: DataDir, labels: Path | None) -> Gold:
    if labels is None:
        raise GoldError(
            "OV-MERD+'s gold OV labels are not public: pass your copy with --labels PATH "
            "(a CSV with name and openset columns, as the MER2025 OV track distributes them)"
        )
    ov = readers.ov_labels(labels, "OV-MERD+")
    readers.expect_size(ov, N_SAMPLES, labels, "OV-MERD+")
    return Gold(sorted(ov), ov=ov, user_file=str(labels), user_sha256=file_sha256(labels))


DATASETS = (
    DatasetSpec(
        name="ovmerd-plus",
        title="OV-MERD+",
        split="the 532 OV-MERD+ samples",
        n_samples=N_SAMPLES,
        gold="ov",
        families=("ew", "sets"),
        reader=read_gold,
        source="not public: the user's copy (--labels), from the OV-MER / MER2025 organisers",
        label_formats="a name,openset CSV (list strings, as the MER2025 OV track's files)",
        unibench="OV-MERD+",
        field_names=("ovmerdplus", "ovmerd-plus", "mer2025ov"),
        published=("R5", "OV-MERD+"),
        notes="MER-UniBench's headline here is L1-avg: the mean EW F-score of the five wheels at level 1",
    ),
)
