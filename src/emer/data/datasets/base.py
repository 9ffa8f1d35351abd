"""What a dataset module declares (:class:`DatasetSpec`) and what loading it gives (:class:`Dataset`)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from emer.data.registry import registry

DataDir = str | os.PathLike | None
#: Kinds of gold a dataset can have; each allows some score families (see :attr:`DatasetSpec.families`).
GOLD_KINDS = ("ov", "onehot", "sentiment", "description")


class GoldError(ValueError):
    """A gold-label file (the user's ``--labels``) that cannot be read as the dataset's gold."""


@dataclass
class Gold:
    """The gold of one dataset, as read from its files. Empty mappings where the dataset has no such gold."""

    samples: list[str]
    ov: dict[str, list[str]] = field(default_factory=dict)  # OV labels
    onehot: dict[str, str] = field(default_factory=dict)  # one class word per sample
    valence: dict[str, float] = field(default_factory=dict)  # continuous sentiment
    descriptions: dict[str, dict[str, str]] = field(default_factory=dict)  # language -> sample -> text
    files: list[str] = field(default_factory=list)  # registry paths read
    user_file: str = ""  # the user's labels file, when one was read
    user_sha256: str = ""


#: ``reader(data_dir, labels_path)``: the gold from the registered files, or from the user's ``labels_path``.
Reader = Callable[[DataDir, Path | None], Gold]
#: ``baselines(data_dir)``: released systems' outputs (system, setting, sample, [description], [labels],
#: [sentiment], language), a one-line note on what they are, and the registry paths they come from.
Baselines = Callable[[DataDir], tuple[pd.DataFrame, str, list[str]]]


@dataclass(frozen=True)
class DatasetSpec:
    """One dataset as ``emer`` knows it. A module of :mod:`emer.data.datasets` defines ``DATASETS``, a
    tuple of these; adding a dataset is adding such a module."""

    name: str  # the --dataset name
    title: str  # how tables name it
    split: str  # which split is scored
    n_samples: int  # the scored split's size (the user's labels file must have as many)
    gold: str  # one of GOLD_KINDS: the kind of gold the headline score uses
    families: tuple[str, ...]  # score families its gold allows (ew, sets, hitrate, sentiment, matching)
    reader: Reader
    source: str  # where the gold comes from, in one line
    files: tuple[str, ...] = ()  # registry paths of the public gold (empty: the user supplies it)
    label_formats: str = ""  # the formats --labels accepts, in one line
    classes: tuple[str, ...] = ()  # one-hot label space, in the dataset's own words and index order
    unibench: str = ""  # its MER-UniBench column ("MELD"), "" when not part of the benchmark
    field_names: tuple[str, ...] = ()  # folder names in the field's layout (results-<name>)
    baselines: Baselines | None = None
    published: tuple[str, str] = ("", "")  # (ref, metric) of its figures in emer.reference
    unknown_hint: Callable[[list[str]], str] | None = None  # a hint for names this dataset lacks
    notes: str = ""  # what a user should know (quirks, licences)

    def __post_init__(self) -> None:
        if self.gold not in GOLD_KINDS:
            raise ValueError(f"{self.name}: gold must be one of {GOLD_KINDS}, not {self.gold!r}")

    @property
    def public(self) -> bool:
        """Whether the gold is fetched (True) or must be supplied with ``--labels`` (False)."""
        return bool(self.files)


@dataclass
class Dataset:
    """A loaded dataset: its samples and gold, and the released baselines when asked for."""

    spec: DatasetSpec
    samples: list[str]
    files: list[str]  # registry paths the gold comes from (their sha256 pin the dataset)
    ov_gold: dict[str, list[str]] = field(default_factory=dict)
    descriptions: dict[str, dict[str, str]] = field(default_factory=dict)  # language -> sample -> text
    onehot: dict[str, str] = field(default_factory=dict)
    valence: dict[str, float] = field(default_factory=dict)
    baselines: pd.DataFrame | None = None  # system, setting, sample, [description], [labels], ...
    baseline_note: str = ""
    user_file: str = ""
    user_sha256: str = ""

    n_total: int = 0  # samples of the whole split (0: as many as ``samples``; see :meth:`restricted`)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def coverage(self) -> tuple[int, int]:
        """(samples scored, samples of the whole split)."""
        return len(self.samples), self.n_total or len(self.samples)

    def restricted(self, samples: set[str]) -> Dataset:
        """The same dataset on ``samples`` only (gold and released baselines alike), its full size kept."""
        keep = [s for s in self.samples if s in samples]
        chosen = set(keep)
        baselines = self.baselines
        if baselines is not None:
            baselines = baselines[baselines["sample"].isin(chosen)].reset_index(drop=True)
        return Dataset(
            self.spec,
            keep,
            self.files,
            ov_gold={s: v for s, v in self.ov_gold.items() if s in chosen},
            descriptions={
                lang: {s: t for s, t in d.items() if s in chosen} for lang, d in self.descriptions.items()
            },
            onehot={s: v for s, v in self.onehot.items() if s in chosen},
            valence={s: v for s, v in self.valence.items() if s in chosen},
            baselines=baselines,
            baseline_note=self.baseline_note,
            user_file=self.user_file,
            user_sha256=self.user_sha256,
            n_total=self.coverage[1],
        )

    @property
    def sha256(self) -> str:
        """One digest over the sha256 of every file the gold comes from (the user's file included)."""
        pins = [f"{p} {registry()[p].sha256}" for p in sorted(self.files)]
        if self.user_sha256:
            pins.append(f"labels {self.user_sha256}")
        return hashlib.sha256("\n".join(pins).encode()).hexdigest()


def file_sha256(path: Path) -> str:
    """sha256 of a user's file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()
