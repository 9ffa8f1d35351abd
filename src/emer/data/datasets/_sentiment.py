"""The four sentiment datasets of MER-UniBench share one shape: a continuous value per sample, MERBench's
``label.npz`` with a ``test_corpus``; they differ in range, size and where they come from."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from emer.data.datasets import readers
from emer.data.datasets.base import Baselines, DataDir, DatasetSpec, Gold, file_sha256
from emer.data.store import data_path


def read_gold(
    registered: str, n: int, low: float, high: float, what: str, data_dir: DataDir, labels: Path | None
) -> Gold:
    path = labels or data_path(registered, data_dir)
    valence = readers.valence_labels(path, "test_corpus", low, high, what)
    if labels is None:
        return Gold(sorted(valence), valence=valence, files=[registered])
    readers.expect_size(valence, n, labels, f"{what}'s test split")
    return Gold(sorted(valence), valence=valence, user_file=str(labels), user_sha256=file_sha256(labels))


def sentiment_spec(
    name: str,
    title: str,
    folder: str,
    n_samples: int,
    value_range: tuple[float, float],
    unibench: str,
    notes: str,
    baselines: Baselines | None = None,
) -> DatasetSpec:
    """The spec of a sentiment dataset whose labels are ``MERTools/MERBench/dataset/<folder>/label.npz``."""
    registered = f"MERTools/MERBench/dataset/{folder}/label.npz"
    low, high = value_range
    return DatasetSpec(
        name=name,
        title=title,
        split="test",
        n_samples=n_samples,
        gold="sentiment",
        families=("sentiment",),
        reader=partial(read_gold, registered, n_samples, low, high, title),
        source=f"MERTools MERBench {folder}/label.npz (test_corpus, continuous value in [{low:g}, {high:g}])",
        files=(registered,),
        label_formats=f"MERBench label.npz (test_corpus), or a name,value CSV (in [{low:g}, {high:g}])",
        unibench=unibench,
        field_names=(name,),
        baselines=baselines,
        published=("R5", unibench),
        notes=notes,
    )
