"""The gold sets a submission can be scored on, built from the public files of the registry.

=================  =======  ==========================================================  =================
dataset            samples  gold                                                        released baselines
=================  =======  ==========================================================  =================
``ovmerd``         332      OV labels (``check-openset.csv``), descriptions (en, zh),   10 MLLMs x S0/S1/S2
                            MER2023 label                                               (labels released)
``emer-v1``        100      descriptions (zh, en), MER2023 label                         6 Chinese systems
                                                                                        (descriptions only)
``mer2023-train``  3373     MER2023 one-hot label                                       none
``mer2023-test1``  411      MER2023 one-hot label                                       none
``mer2023-test2``  412      MER2023 one-hot label                                       none
=================  =======  ==========================================================  =================
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field

import pandas as pd

from emer.data import loaders as L
from emer.data import registry
from emer.metrics.matching import gold_descriptions

DataDir = str | os.PathLike | None
DATASETS = ("ovmerd", "emer-v1", "mer2023-train", "mer2023-test1", "mer2023-test2")
_MER2023_LABELS = f"{L.MER2023}/label-6way.npz"


@dataclass
class Dataset:
    """One gold set. ``ov_gold``, ``descriptions`` and ``onehot`` are empty where the set has no such gold."""

    name: str
    samples: list[str]
    files: list[str]  # registry paths the gold comes from (their sha256 pin the dataset)
    ov_gold: dict[str, list[str]] = field(default_factory=dict)
    descriptions: dict[str, dict[str, str]] = field(default_factory=dict)  # language -> sample -> text
    onehot: dict[str, str] = field(default_factory=dict)
    baselines: pd.DataFrame | None = None  # system, setting, sample, [description], [labels], language
    baseline_note: str = ""

    @property
    def sha256(self) -> str:
        """One digest over the sha256 of every file the gold comes from."""
        pins = "\n".join(f"{p} {registry()[p].sha256}" for p in sorted(self.files))
        return hashlib.sha256(pins.encode()).hexdigest()


def load_dataset(name: str, data_dir: DataDir = None, baselines: bool = True) -> Dataset:
    """The gold set ``name`` (one of :data:`DATASETS`), with its released baselines when ``baselines``."""
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    if name == "ovmerd":
        return _ovmerd(data_dir, baselines)
    if name == "emer-v1":
        return _emer_v1(data_dir, baselines)
    split = name.removeprefix("mer2023-")
    labels = L.load_mer2023_labels(data_dir)
    labels = labels[labels["split"] == split]
    onehot = dict(zip(labels["sample"], labels["label"], strict=True))
    return Dataset(
        name,
        sorted(onehot),
        [_MER2023_LABELS],
        onehot=onehot,
        baseline_note="no released baselines for the MER2023 splits",
    )


def _mer2023_of(samples: list[str], data_dir: DataDir) -> dict[str, str]:
    labels = L.load_mer2023_labels(data_dir).drop_duplicates("sample").set_index("sample")["label"]
    return {s: str(labels[s]) for s in samples if s in labels.index}


def _ovmerd(data_dir: DataDir, with_baselines: bool) -> Dataset:
    gold = L.load_gold_ov_labels(data_dir)
    samples = sorted(gold["sample"])
    descriptions = L.load_emer_v2(data_dir)
    base = None
    if with_baselines:
        outputs = L.load_system_outputs(data_dir)
        base = outputs[["system", "setting", "sample", "language", "description", "labels"]]
    files = [f"{L.OV_STORE}/check-openset.csv", L.EMER_V2, _MER2023_LABELS]
    if with_baselines:
        files += [
            f"{L.OVMER_OUTPUTS}/{s}/output-reason-7b-{r}-eng{suffix}.npz"
            for s in L.MLLMS
            for r in L.SETTINGS.values()
            for suffix in ("", "-openset")
        ]
    return Dataset(
        "ovmerd",
        samples,
        files,
        ov_gold=dict(zip(gold["sample"], gold["labels"], strict=True)),
        descriptions={lang: gold_descriptions(descriptions, lang) for lang in ("en", "zh")},
        onehot=_mer2023_of(samples, data_dir),
        baselines=base,
        baseline_note="the 10 released MLLMs under S0/S1/S2 with their released (Qwen2.5-extracted) labels",
    )


def _emer_v1(data_dir: DataDir, with_baselines: bool) -> Dataset:
    gold = L.load_emer_v1(data_dir)
    samples = sorted(set(gold["sample"]))
    onehot = dict(zip(gold["sample"], gold["mer2023_label"], strict=False))
    base = L.load_v1_baseline_outputs(data_dir) if with_baselines else None
    files = list(L.EMER_V1.values())
    if with_baselines:
        files += [f"AffectGPT/baseline_results/{stem}.csv" for stem in L.V1_BASELINES]
    return Dataset(
        "emer-v1",
        samples,
        files,
        descriptions={
            lang: dict(sorted(zip(part["sample"], part["description"].str.strip(), strict=True)))
            for lang, part in gold.groupby("language", sort=True)
        },
        onehot=onehot,
        baselines=base,
        baseline_note="the 6 released Chinese EMER-v1 systems (descriptions; labels extracted like yours)",
    )


def dataset_of_names(names: set[str], data_dir: DataDir = None) -> list[tuple[str, int]]:
    """(dataset, how many of ``names`` it has) for every dataset, most overlapping first."""
    found = []
    for name in DATASETS:
        samples = set(load_dataset(name, data_dir, baselines=False).samples)
        found.append((name, len(names & samples)))
    return sorted(found, key=lambda x: (-x[1], x[0]))
