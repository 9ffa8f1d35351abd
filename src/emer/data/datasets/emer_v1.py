"""EMER-v1: 100 MER2023 samples with gold descriptions (zh, en) and 6 released Chinese systems."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from emer.data import loaders as L
from emer.data.datasets.base import DataDir, DatasetSpec, Gold, GoldError


def read_gold(data_dir: DataDir, labels: Path | None) -> Gold:
    if labels is not None:
        raise GoldError(f"{labels}: emer-v1's gold are its released descriptions; --labels does not apply")
    gold = L.load_emer_v1(data_dir)
    return Gold(
        sorted(set(gold["sample"])),
        onehot=dict(zip(gold["sample"], gold["mer2023_label"], strict=False)),
        descriptions={
            lang: dict(sorted(zip(part["sample"], part["description"].str.strip(), strict=True)))
            for lang, part in gold.groupby("language", sort=True)
        },
        files=list(L.EMER_V1.values()),
    )


def baselines(data_dir: DataDir) -> tuple[pd.DataFrame, str, list[str]]:
    return (
        L.load_v1_baseline_outputs(data_dir),
        "the 6 released Chinese EMER-v1 systems (descriptions; labels extracted like yours)",
        [f"AffectGPT/baseline_results/{stem}.csv" for stem in L.V1_BASELINES],
    )


DATASETS = (
    DatasetSpec(
        name="emer-v1",
        title="EMER-v1",
        split="the 100 EMER-v1 samples (MER2023 train)",
        n_samples=100,
        gold="description",
        families=("hitrate", "matching"),
        reader=read_gold,
        source="AffectGPT EMER dataset-v1 gt-chi.csv / gt-eng.csv",
        files=tuple(L.EMER_V1.values()),
        baselines=baselines,
        notes="gold descriptions in Chinese and English and the MER2023 label",
    ),
)
