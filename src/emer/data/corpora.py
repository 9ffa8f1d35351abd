"""Labelled subtitles of the MER-UniBench corpora with public transcripts, every split: the material a
subtitle model is fitted on (train), chosen on (validation) and scored on (the test split the benchmark
scores).

MERBench's label files (data README §5 and §7) hold the official splits: ``train_corpus``, ``val_corpus``
and ``test_corpus`` (CMU-MOSI, CH-SIMS, CH-SIMS v2, MELD); MER2023's ``train_corpus`` and ``test1_corpus``
(its test2 and test3 are not read); IEMOCAP's ``whole_corpus``, whose session 5 is the test split and
sessions 1-4 the training data. CMU-MOSEI has no transcript in the copy and is not a corpus here.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from emer.data.datasets import GoldError, iemocap, meld, mer2023, readers
from emer.data.loaders import MERBENCH, load_transcripts
from emer.data.store import DataError, data_path

DataDir = str | os.PathLike | None
SPLITS = ("train", "val", "test")
#: The three sentiment words of the field, by the sign of the gold value.
SENTIMENTS = ("negative", "neutral", "positive")
COLUMNS = ["sample", "split", "label", "value", "en", "zh"]


@dataclass(frozen=True)
class Corpus:
    """One corpus: the dataset its test split is scored as, its label space and its label file."""

    name: str  # a key of emer.data.loaders.TRANSCRIPTS
    dataset: str  # the emer.data.datasets name its test split is scored as
    kind: str  # "class" (one-hot gold) or "sentiment" (a continuous value)
    classes: tuple[str, ...]  # class words in the label file's index order; SENTIMENTS for sentiment
    labels: str  # registry path of MERBench's label file
    keys: tuple[tuple[str, str], ...]  # (key in the label file, split)
    language: str  # the language the subtitles were spoken in (the other is a translation)


_OFFICIAL = (("train_corpus", "train"), ("val_corpus", "val"), ("test_corpus", "test"))


def _sentiment(name: str, language: str) -> Corpus:
    return Corpus(
        name, name, "sentiment", SENTIMENTS, f"{MERBENCH}/{name}-process/label.npz", _OFFICIAL, language
    )


_MER2023_KEYS = (("train_corpus", "train"), ("test1_corpus", "test"))
CORPORA = {
    c.name: c
    for c in (
        Corpus("mer2023", "mer2023-test1", "class", mer2023.CLASSES, mer2023.LABELS, _MER2023_KEYS, "zh"),
        Corpus("meld", "meld", "class", meld.CLASSES, meld.LABELS, _OFFICIAL, "en"),
        Corpus("iemocap", "iemocap", "class", iemocap.CLASSES, iemocap.LABELS, (("whole_corpus", ""),), "en"),
        _sentiment("cmumosi", "en"),
        _sentiment("sims", "zh"),
        _sentiment("simsv2", "zh"),
    )
}


def get_corpus(name: str) -> Corpus:
    try:
        return CORPORA[name]
    except KeyError:
        raise ValueError(f"unknown corpus {name!r}; choose one of {', '.join(CORPORA)}") from None


def sentiment_of(value: float) -> str:
    """The field's sentiment word of a gold value: its sign (0 is ``neutral``)."""
    return "positive" if value > 0 else "negative" if value < 0 else "neutral"


def _split(corpus: Corpus, given: str, name: str) -> str:
    if given:
        return given
    session = iemocap.session(name)  # IEMOCAP: session 5 is scored, sessions 1-4 are training data
    if session is None:
        raise DataError(f"{corpus.labels}: {name!r} is not an IEMOCAP utterance name")
    return "test" if session == 5 else "train"


def _label(corpus: Corpus, entry: dict, path: Path, name: str) -> tuple[str, float]:
    where = f"sample {name}"
    if corpus.kind == "sentiment":
        value = readers.valence_of(entry.get("val"), -math.inf, math.inf, path, where)
        return sentiment_of(value), value
    return readers.class_of(entry.get("emo"), corpus.classes, path, where), math.nan


def load_corpus(name: str, data_dir: DataDir = None) -> pd.DataFrame:
    """Every labelled sample of corpus ``name`` with its subtitles, sorted by split and sample.

    Columns: sample, split (train / val / test: the test split is the one MER-UniBench scores), label (a
    class word; for sentiment corpora the sign of the value, see :func:`sentiment_of`), value (the
    sentiment value; NaN for class corpora), en, zh (the polished subtitles; "" where none). A labelled
    sample without a transcript row is an error.
    """
    corpus = get_corpus(name)
    path = data_path(corpus.labels, data_dir)
    rows = []
    try:  # read as the dataset registry reads its gold (memoised by content)
        for key, split in corpus.keys:
            for sample, entry in sorted(readers.corpus(path, key, f"{name}'s labels").items()):
                label, value = _label(corpus, entry, path, sample)
                rows.append((sample, _split(corpus, split, sample), label, value))
    except GoldError as exc:  # a public data file, not the user's --labels
        raise DataError(str(exc)) from None
    frame = pd.DataFrame(rows, columns=["sample", "split", "label", "value"])
    transcripts = load_transcripts(name, data_dir)
    missing = sorted(set(frame["sample"]) - set(transcripts["sample"]))
    if missing:
        raise DataError(f"{len(missing)} labelled {name} samples have no transcript, first {missing[0]}")
    frame = frame.merge(transcripts, on="sample", how="left", validate="one_to_one")
    order = frame["split"].map({s: i for i, s in enumerate(SPLITS)})
    return frame.assign(order=order).sort_values(["order", "sample"], ignore_index=True)[COLUMNS]
