"""The datasets ``emer score`` scores on, one module each.

A module of this package that defines ``DATASETS`` (a tuple of :class:`DatasetSpec`) is a dataset: its
name, the split scored, the reader of its gold, the score families its gold allows, where the labels come
from and its published figures. Modules whose name starts with ``_`` are shared helpers. Adding a dataset is
adding one module.

MER-UniBench (AffectGPT, ICML 2025) is the nine datasets with a ``unibench`` column, in
:data:`UNIBENCH_ORDER`.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from pathlib import Path

from emer.data.datasets.base import DataDir, Dataset, DatasetSpec, Gold, GoldError

#: MER-UniBench's columns, in the order of the field's table.
UNIBENCH_ORDER = (
    "MER2023",
    "MER2024",
    "MELD",
    "IEMOCAP",
    "CMU-MOSI",
    "CMU-MOSEI",
    "CH-SIMS",
    "CH-SIMS v2",
    "OV-MERD+",
)
UNIBENCH = "mer-unibench"
_HELPERS = {"base", "readers"}


@cache
def specs() -> dict[str, DatasetSpec]:
    """Every dataset by name: MER-UniBench's in the field's column order, then the others by name."""
    found: list[DatasetSpec] = []
    for module in pkgutil.iter_modules(__path__):
        if module.name.startswith("_") or module.name in _HELPERS:
            continue
        found += importlib.import_module(f"{__name__}.{module.name}").DATASETS
    names = [s.name for s in found]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise RuntimeError(f"datasets defined twice: {repeated}")

    def order(spec: DatasetSpec) -> tuple[int, str]:
        rank = UNIBENCH_ORDER.index(spec.unibench) if spec.unibench else len(UNIBENCH_ORDER)
        return rank, spec.name

    return {s.name: s for s in sorted(found, key=order)}


def dataset_names() -> tuple[str, ...]:
    return tuple(specs())


def get_spec(name: str) -> DatasetSpec:
    """The spec of ``name``; a clear error naming the known datasets otherwise."""
    try:
        return specs()[name]
    except KeyError:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(specs())}") from None


def unibench_specs() -> list[DatasetSpec]:
    """MER-UniBench's nine datasets, in the field's column order."""
    return [s for s in specs().values() if s.unibench]


def load_dataset(
    name: str, data_dir: DataDir = None, baselines: bool = True, labels: str | Path | None = None
) -> Dataset:
    """The dataset ``name``: its gold (from the registered files, or the user's ``labels`` file) and, with
    ``baselines``, the released systems' outputs."""
    spec = get_spec(name)
    path = Path(labels).expanduser() if labels is not None else None
    if path is not None and not path.is_file():
        raise GoldError(f"{path}: no such labels file")
    gold: Gold = spec.reader(data_dir, path)
    dataset = Dataset(
        spec,
        gold.samples,
        gold.files,
        ov_gold=gold.ov,
        descriptions=gold.descriptions,
        onehot=gold.onehot,
        valence=gold.valence,
        user_file=gold.user_file,
        user_sha256=gold.user_sha256,
    )
    if baselines and spec.baselines is not None:
        dataset.baselines, dataset.baseline_note, files = spec.baselines(data_dir)
        dataset.files = [*dataset.files, *files]
    elif spec.baselines is None:
        dataset.baseline_note = f"no released baselines for {spec.title}"
    return dataset


def overview(data_dir: DataDir = None) -> list[dict[str, str]]:
    """One row per dataset: what it is, what it scores, where its labels come from and whether they are
    here (``present``: every gold file found under the data directory with its sha256; ``missing``: run
    ``emer fetch``; ``user-supplied``: not public, pass ``--labels``)."""
    from emer.data.store import DataError, data_path

    rows = []
    for spec in specs().values():
        if not spec.public:
            status = "user-supplied (--labels)"
        else:
            try:
                for path in spec.files:
                    data_path(path, data_dir)
                status = "present"
            except DataError:
                status = "missing (emer fetch)"
        rows.append(
            {
                "dataset": spec.name,
                "title": spec.title,
                "split": spec.split,
                "samples": str(spec.n_samples),
                "scores": ", ".join(spec.families),
                "MER-UniBench": spec.unibench or "-",
                "labels": status,
                "source": spec.source,
                "--labels formats": spec.label_formats or "-",
            }
        )
    return rows


@cache
def _public_samples(name: str, root: str) -> frozenset[str]:
    return frozenset(load_dataset(name, root, baselines=False).samples)


def dataset_of_names(names: set[str], data_dir: DataDir = None) -> list[tuple[str, int]]:
    """(dataset, how many of ``names`` it has) for every dataset with public gold, most overlapping first."""
    from emer.data.store import data_root

    root = str(data_root(data_dir)[0])
    found = [(s.name, len(names & _public_samples(s.name, root))) for s in specs().values() if s.public]
    return sorted(found, key=lambda x: (-x[1], x[0]))


__all__ = [
    "UNIBENCH",
    "UNIBENCH_ORDER",
    "Dataset",
    "DatasetSpec",
    "Gold",
    "GoldError",
    "dataset_names",
    "dataset_of_names",
    "get_spec",
    "load_dataset",
    "overview",
    "specs",
    "unibench_specs",
]
