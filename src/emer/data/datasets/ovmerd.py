"""OV-MERD (EMER-v2): the 332 samples with gold OV labels and gold descriptions, and the 10 released MLLMs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from emer.data import loaders as L
from emer.data.datasets import readers
from emer.data.datasets.base import DataDir, DatasetSpec, Gold, file_sha256
from emer.data.split import clean_english

LABELS = f"{L.OV_STORE}/check-openset.csv"
N_SAMPLES = 332


def gold_texts(frame: pd.DataFrame, language: str) -> dict[str, str]:
    """sample -> gold description in ``language``; English cells lose their Input:/Output: artifacts."""
    rows = frame[frame["language"] == language]
    texts = {
        s: clean_english(t)[0] if language == "en" else t.strip()
        for s, t in zip(rows["sample"], rows["description"], strict=True)
    }
    return dict(sorted(texts.items()))


def mer2023_of(samples: list[str], data_dir: DataDir) -> dict[str, str]:
    """The MER2023 one-hot label of each of ``samples`` that has one (they are MER2023 train samples)."""
    labels = L.load_mer2023_labels(data_dir).drop_duplicates("sample").set_index("sample")["label"]
    return {s: str(labels[s]) for s in samples if s in labels.index}


def read_gold(data_dir: DataDir, labels: Path | None) -> Gold:
    if labels is not None:
        ov = readers.ov_labels(labels, "OV-MERD")
        readers.expect_size(ov, N_SAMPLES, labels, "OV-MERD")
        gold = Gold(sorted(ov), ov=ov, user_file=str(labels), user_sha256=file_sha256(labels))
    else:
        frame = L.load_gold_ov_labels(data_dir)
        ov = dict(zip(frame["sample"], frame["labels"], strict=True))
        gold = Gold(sorted(ov), ov=ov, files=[LABELS])
    descriptions = L.load_emer_v2(data_dir)
    gold.descriptions = {lang: gold_texts(descriptions, lang) for lang in ("en", "zh")}
    gold.onehot = mer2023_of(gold.samples, data_dir)
    gold.files += [L.EMER_V2, f"{L.MER2023}/label-6way.npz"]
    return gold


def baselines(data_dir: DataDir) -> tuple[pd.DataFrame, str, list[str]]:
    outputs = L.load_system_outputs(data_dir)
    frame = outputs[["system", "setting", "sample", "language", "description", "labels"]]
    files = [
        f"{L.OVMER_OUTPUTS}/{s}/output-reason-7b-{r}-eng{suffix}.npz"
        for s in L.MLLMS
        for r in L.SETTINGS.values()
        for suffix in ("", "-openset")
    ]
    return frame, "the 10 released MLLMs under S0/S1/S2 with their released (Qwen2.5-extracted) labels", files


DATASETS = (
    DatasetSpec(
        name="ovmerd",
        title="OV-MERD (EMER-v2)",
        split="the 332 EMER-v2 samples (MER2023 train)",
        n_samples=N_SAMPLES,
        gold="ov",
        families=("ew", "sets", "hitrate", "matching"),
        reader=read_gold,
        source="OV labels: MERTools MER2024 ov_store check-openset.csv; descriptions: AffectGPT EMER-v2",
        files=(LABELS, L.EMER_V2),
        label_formats="name,openset CSV (list strings)",
        baselines=baselines,
        notes="gold OV labels, gold descriptions (en, zh) and the MER2023 label of the same samples",
    ),
)
