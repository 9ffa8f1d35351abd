"""The field's sentiment material on MER-UniBench: gold sentiment values and AffectGPT's released outputs.

- Gold: MERBench's ``<dataset>-process/label.npz`` (data README §7), a dict per split
  (``test_corpus`` ...) of sample -> ``{'emo', 'val'}``; ``val`` is the continuous sentiment.
- Released outputs (data README §8): ``AffectGPT-2025/AffectGPT/output/results-<dataset>/<system>/``, per
  checkpoint the OV labels the field's LLM extracted (``<checkpoint>-openset.npz``) and the sentiment the
  same LLM chose from them (``<checkpoint>-openset-sentiment.npz``), both with keys ``filenames`` and
  ``fileitems`` (raw answer strings, kept as written).

Files are found through the registry and read with the restricted unpickler (:func:`emer.data.load_npz`).
"""

from __future__ import annotations

import os
from pathlib import PurePosixPath

import pandas as pd

from emer.data.registry import registry
from emer.data.safe_npz import load_npz
from emer.data.store import DataError, data_path

DataDir = str | os.PathLike | None

AFFECTGPT_OUTPUTS = "AffectGPT-2025/AffectGPT/output"
#: Dataset -> MERBench label file (continuous sentiment).
SENTIMENT_GOLD = {
    name: f"MERTools/MERBench/dataset/{name}-process/label.npz"
    for name in ("cmumosi", "cmumosei", "sims", "simsv2")
}
SENTIMENT_SUFFIX = "-openset-sentiment.npz"
OPENSET_SUFFIX = "-openset.npz"
RELEASED_COLUMNS = ["dataset", "system", "checkpoint", "sample", "labels_raw", "sentiment_raw"]


def _answers(path: str, data_dir: DataDir) -> dict[str, str]:
    local = data_path(path, data_dir)
    raw = load_npz(local)
    try:
        names, items = raw["filenames"], raw["fileitems"]
        answers = dict(zip((str(n) for n in names.tolist()), (str(i) for i in items.tolist()), strict=True))
    except (KeyError, AttributeError, ValueError) as exc:
        raise DataError(
            f"{local}: expected keys 'filenames' and 'fileitems' of equal length ({exc!r}); fetch it again"
        ) from None
    if len(answers) != len(names):
        raise DataError(f"{local}: a sample is named twice in 'filenames'")
    return answers


def load_sentiment_gold(dataset: str, data_dir: DataDir = None, split: str = "test") -> dict[str, float]:
    """sample -> continuous gold sentiment of one split (``train``, ``val``, ``test``) of a dataset."""
    if dataset not in SENTIMENT_GOLD:
        raise ValueError(f"no sentiment gold for {dataset!r}; choose one of {sorted(SENTIMENT_GOLD)}")
    local = data_path(SENTIMENT_GOLD[dataset], data_dir)
    corpus = load_npz(local).get(f"{split}_corpus")
    if not isinstance(corpus, dict):
        raise DataError(f"{local}: no dict under '{split}_corpus'; splits are train, val, test")
    gold = {}
    for sample, entry in sorted(corpus.items()):
        try:
            gold[str(sample)] = float(entry["val"])
        except (TypeError, KeyError, ValueError):
            raise DataError(f"{local}, sample {sample}: no numeric 'val' in {entry!r}") from None
    return gold


def released_sentiment_files(dataset: str) -> list[tuple[str, str, str, str]]:
    """(system, checkpoint, openset path, sentiment path) of every released checkpoint with sentiments,
    sorted; paths are registry paths."""
    prefix = f"{AFFECTGPT_OUTPUTS}/results-{dataset}/"
    found = []
    for path in sorted(registry()):
        if path.startswith(prefix) and path.endswith(SENTIMENT_SUFFIX):
            stem = PurePosixPath(path)
            checkpoint = stem.name.removesuffix(SENTIMENT_SUFFIX)
            found.append((stem.parent.name, checkpoint, path.replace(SENTIMENT_SUFFIX, OPENSET_SUFFIX), path))
    return found


def load_released_sentiments(dataset: str, data_dir: DataDir = None) -> pd.DataFrame:
    """The released OV-label answers and LLM sentiment answers of every checkpoint of ``dataset``.

    Columns :data:`RELEASED_COLUMNS`, sorted by system, checkpoint, sample; answers as written.
    """
    files = released_sentiment_files(dataset)
    if not files:
        raise ValueError(f"no released sentiment outputs for {dataset!r} (registered: cmumosi, sims)")
    frames = []
    for system, checkpoint, openset_path, sentiment_path in files:
        labels = _answers(openset_path, data_dir)
        sentiments = _answers(sentiment_path, data_dir)
        if set(labels) != set(sentiments):
            odd = sorted(set(labels) ^ set(sentiments))
            raise DataError(
                f"{data_path(sentiment_path, data_dir)}: names samples that {openset_path} does not "
                f"(or the reverse), first {odd[:3]}"
            )
        samples = sorted(labels)
        frames.append(
            pd.DataFrame(
                {
                    "dataset": dataset,
                    "system": system,
                    "checkpoint": checkpoint,
                    "sample": samples,
                    "labels_raw": [labels[s] for s in samples],
                    "sentiment_raw": [sentiments[s] for s in samples],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)[RELEASED_COLUMNS]
