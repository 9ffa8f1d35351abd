"""Subtitle emotion model: what a subtitle alone says, learnt from the public labelled subtitles.

- **Features**: the all-MiniLM-L6-v2 sentence embedding of the subtitle (384 values, unit length), read
  from its installed package (:func:`emer.metrics.matching.similarity.load_sentence_encoder`, never a hub
  download), in float32 on one thread, rounded (see Precision). An empty subtitle is the zero vector, so
  the model gives its intercepts' probabilities (about the training prior). The English subtitle is used
  by default (:data:`LANGUAGE`): on every corpus's validation part it gave a lower log-loss than the
  Chinese one (the model is an English one; docs/subtitle_model.md has the figures); ``language="zh"``
  fits on the Chinese subtitles, for Chinese clips in ``emer explain``.
- **Classifier**: softmax regression with an L2 penalty (:mod:`emer.clues.softmax`, Newton's method to
  convergence), one per label space of :data:`SPACES`: MER2023's six classes, MELD's seven, IEMOCAP's
  four, and positive against negative for CMU-MOSI, CH-SIMS and CH-SIMS v2 (samples whose gold is exactly
  0 are left out of the fit and the validation, as MER-UniBench leaves them out of its score).
- **Splits** (:func:`development_parts`): fitted on the training split, its penalty ``C`` chosen from
  :data:`GRID` by the log-loss on a validation part (MELD, CMU-MOSI, CH-SIMS, CH-SIMS v2: the official
  validation split; IEMOCAP: session 4, the model fitted on sessions 1-3 while choosing; MER2023: the
  training samples whose name's sha256 is 0 mod 5, about a fifth). For IEMOCAP and MER2023, whose
  validation part is training data, the final model is fitted again on the whole training split with the
  chosen ``C``. The test split (the one MER-UniBench scores) is never read for a fit or a choice.
- **No leakage**: the 100 EMER-v1 and 332 EMER-v2 (OV-MERD) samples, all MER2023 training samples, are
  left out of every fit and validation (:func:`gold_set_samples`); the fit refuses to run if one of them,
  or a test sample, is among its rows.
- **Cache**: the embeddings of each text set and each fitted model are kept under ``cache_dir``, named by
  the sha256 of everything they depend on, so a rerun only loads them.
- **Precision**: the features are rounded so that they are the same bits on every CPU
  (:mod:`emer.clues.subtitle_features`); the fits then agree to float64 rounding, and so do the decisions.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from emer.clues.softmax import fit_softmax, softmax_probabilities
from emer.clues.subtitle_features import GUARD, QUANTUM, embed
from emer.data import load_emer_v1, load_gold_ov_labels
from emer.data.corpora import get_corpus, load_corpus
from emer.data.datasets import iemocap
from emer.data.store import cache_dir as data_cache_dir
from emer.metrics.matching.similarity import SentenceEncoder, load_sentence_encoder

DataDir = str | os.PathLike | None
#: Bumped whenever a fitted model could change for the same data.
MODEL_VERSION = "subtitle-model-3"
#: The penalties tried (``C``: larger fits the training data more closely).
GRID = (0.0625, 0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
LANGUAGE = "en"
LANGUAGES = ("en", "zh")
#: Where a model learnt on training data is fitted again on all of it (its validation part is training data).
REFIT = {"session 4": True, "1 in 5 by name": True, "official": False}


@dataclass(frozen=True)
class LabelSpace:
    """One label space: the corpus it is learnt from and the classes it predicts."""

    name: str
    title: str
    corpus: str  # emer.data.corpora name
    classes: tuple[str, ...]  # in the label file's order (sentiment: negative, positive)
    validation: str  # official | session 4 | 1 in 5 by name

    @property
    def sentiment(self) -> bool:
        return get_corpus(self.corpus).kind == "sentiment"


def _space(name: str, title: str, validation: str) -> LabelSpace:
    corpus = get_corpus(name)
    classes = ("negative", "positive") if corpus.kind == "sentiment" else corpus.classes
    return LabelSpace(name, title, name, classes, validation)


SPACES = {
    s.name: s
    for s in (
        _space("mer2023", "MER2023", "1 in 5 by name"),
        _space("meld", "MELD", "official"),
        _space("iemocap", "IEMOCAP", "session 4"),
        _space("cmumosi", "CMU-MOSI", "official"),
        _space("sims", "CH-SIMS", "official"),
        _space("simsv2", "CH-SIMS v2", "official"),
    )
}
#: Label spaces of emotion classes (those ``emer explain`` can read a subtitle with).
CLASS_SPACES = tuple(n for n, s in SPACES.items() if not s.sentiment)


def get_space(name: str) -> LabelSpace:
    try:
        return SPACES[name]
    except KeyError:
        raise ValueError(f"unknown label space {name!r}; choose one of {', '.join(SPACES)}") from None


def gold_set_samples(data_dir: DataDir = None) -> frozenset[str]:
    """The EMER-v1 (100) and EMER-v2 / OV-MERD (332) samples: MER2023 training samples scored elsewhere."""
    v1 = set(load_emer_v1(data_dir)["sample"])
    return frozenset(v1 | set(load_gold_ov_labels(data_dir)["sample"]))


def _bucket(name: str) -> int:
    return int(hashlib.sha256(name.encode("utf-8")).hexdigest(), 16) % 5


def development_parts(space: LabelSpace, frame: pd.DataFrame, exclude: Iterable[str]) -> pd.Series:
    """The part each row of :func:`emer.data.corpora.load_corpus` plays: ``fit``, ``val``, ``test``,
    ``excluded`` (a sample of ``exclude``) or ``unused`` (a sentiment of exactly 0 in the training or
    validation data). Empty subtitles stay: they teach the intercepts what a clip without words is."""
    excluded = frame["sample"].isin(set(exclude))
    train = frame["split"] == "train"
    if space.validation == "session 4":
        val = train & frame["sample"].map(lambda n: iemocap.session(n) == 4)
    elif space.validation == "1 in 5 by name":
        val = train & frame["sample"].map(lambda n: _bucket(n) == 0)
    else:
        val = frame["split"] == "val"
    parts = pd.Series("fit", index=frame.index)
    parts[val] = "val"
    parts[frame["split"] == "test"] = "test"
    if space.sentiment:
        parts[(frame["label"] == "neutral") & parts.isin(["fit", "val"])] = "unused"
    parts[excluded] = "excluded"
    return parts


@dataclass(frozen=True)
class SubtitleReading:
    """The model's reading of one subtitle: every class with its probability (3 decimals), most probable
    first (ties in the label space's order)."""

    model: str
    space: str
    ranked: tuple[tuple[str, float], ...]

    @property
    def label(self) -> str:
        return self.ranked[0][0]

    def record(self) -> dict:
        """The record field of ``emer explain``: model, label space, label, probabilities."""
        return {
            "model": self.model,
            "space": self.space,
            "label": self.label,
            "probabilities": dict(self.ranked),
        }


@dataclass(frozen=True, eq=False)
class SubtitleModel:
    """A fitted subtitle model (see the module docstring); :meth:`probabilities` labels subtitles."""

    space: LabelSpace
    language: str
    theta: np.ndarray  # (385, K): weights, last row the intercepts
    dev_theta: np.ndarray  # the weights fitted without the validation part (= theta without a refit)
    c: float
    selection: pd.DataFrame  # C, val_log_loss, val_accuracy, chosen
    fit_samples: tuple[str, ...]  # the samples the final weights were fitted on
    val_samples: tuple[str, ...]  # the validation part C was chosen on
    identity: str
    cache_dir: Path | None = None
    encoder: SentenceEncoder | None = field(default=None, repr=False)

    @property
    def classes(self) -> tuple[str, ...]:
        return self.space.classes

    def probabilities(self, texts: Sequence[str], development: bool = False) -> np.ndarray:
        """Class probabilities (n, K), unrounded: decisions are taken on these, shown rounded. With
        ``development``, those of the weights fitted without the validation part (to score it)."""
        encoder = self.encoder if self.encoder is not None else _encoder()
        theta = self.dev_theta if development else self.theta
        return softmax_probabilities(embed(texts, encoder, self.cache_dir), theta)

    def read(self, text: str) -> SubtitleReading:
        """The classes of one subtitle by probability."""
        probs = self.probabilities([text])[0]
        order = sorted(range(len(probs)), key=lambda k: (-probs[k], k))
        ranked = tuple((self.classes[k], round(float(probs[k]), 3) + 0.0) for k in order)
        return SubtitleReading(self.identity, self.space.name, ranked)


@cache
def _encoder() -> SentenceEncoder:
    return load_sentence_encoder()


def default_cache_dir() -> Path:
    """The user cache (beside the data cache: ``$EMER_CACHE_DIR/subtitle-model`` or the OS cache)."""
    return data_cache_dir().parent / "subtitle-model"


def _digest(space: LabelSpace, language: str, rows: pd.DataFrame, grid: Sequence[float]) -> str:
    digest = hashlib.sha256(
        repr((MODEL_VERSION, SentenceEncoder.name, QUANTUM, GUARD, space, language, tuple(grid))).encode()
    )
    for row in rows.itertuples(index=False):
        digest.update("\x00".join((row.sample, row.part, row.label, row.text)).encode("utf-8") + b"\x01")
    return digest.hexdigest()[:16]


def _check_rows(rows: pd.DataFrame, frame: pd.DataFrame, exclude: frozenset[str], name: str) -> None:
    """Refuse a fit that would read a test sample or a gold-set sample (the exclusion, checked here too)."""
    test = set(frame.loc[frame["split"] == "test", "sample"])
    leaked = sorted((set(rows["sample"]) & test) | (set(rows["sample"]) & exclude))
    if leaked:
        raise ValueError(
            f"{name}: {len(leaked)} test or gold-set samples among the fit rows, first {leaked[0]}"
        )


def _fit(x: np.ndarray, y: np.ndarray, k: int, grid: Sequence[float], val_x, val_y):
    """The fit for each C (ascending, each started from the previous), with its validation figures."""
    rows, thetas, start = [], [], None
    for c in sorted(grid):
        theta = fit_softmax(x, y, k, c, start=start)
        start = theta
        p = softmax_probabilities(val_x, theta)
        loss = float(-np.log(p[np.arange(len(val_y)), val_y]).mean())
        rows.append({"C": c, "val_log_loss": loss, "val_accuracy": float((p.argmax(axis=1) == val_y).mean())})
        thetas.append(theta)
    table = pd.DataFrame(rows)
    best = int(np.argmin(table["val_log_loss"].to_numpy()))  # ties: the smaller C
    return table.assign(chosen=[i == best for i in range(len(table))]), thetas[best]


def training_rows(
    space: str,
    language: str = LANGUAGE,
    data_dir: DataDir = None,
    exclude: Iterable[str] | None = None,
    limit: int = 0,
) -> pd.DataFrame:
    """The rows a model of ``space`` is fitted and chosen on: :func:`emer.data.corpora.load_corpus`'s
    columns plus ``part`` (fit / val) and ``text`` (the subtitle in ``language``), sorted by part and
    sample; checked to hold no test sample and no sample of ``exclude`` (default :func:`gold_set_samples`).
    ``limit`` keeps the first N of each part."""
    label_space = get_space(space)
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, not {language!r}")
    excluded = frozenset(exclude) if exclude is not None else gold_set_samples(data_dir)
    frame = load_corpus(label_space.corpus, data_dir)
    frame = frame.assign(part=development_parts(label_space, frame, excluded), text=frame[language])
    rows = frame[frame["part"].isin(["fit", "val"])].sort_values(["part", "sample"], kind="stable")
    if limit:
        rows = rows.groupby("part", sort=True).head(limit)
    _check_rows(rows, frame, excluded, label_space.name)
    return rows


def fit_subtitle_model(
    space: str,
    language: str = LANGUAGE,
    data_dir: DataDir = None,
    cache_dir: str | os.PathLike | None = None,
    exclude: Iterable[str] | None = None,
    grid: Sequence[float] = GRID,
    limit: int = 0,
    encoder: SentenceEncoder | None = None,
) -> SubtitleModel:
    """Fit (or load from ``cache_dir``, default :func:`default_cache_dir`) the model of label space
    ``space`` on subtitles in ``language``. ``exclude`` defaults to :func:`gold_set_samples`; ``limit``
    keeps the first N samples by name of the fit and validation parts (0: all; a smoke test's size)."""
    label_space = get_space(space)
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    rows = training_rows(space, language, data_dir, exclude, limit)
    identity = f"{label_space.name}-{language}-{_digest(label_space, language, rows, grid)}"
    path = folder / f"{identity}.npz"
    encoder = encoder if encoder is not None else _encoder()
    if path.is_file():
        return _load(path, label_space, language, identity, folder, encoder)
    index = {c: i for i, c in enumerate(label_space.classes)}
    x = embed(rows["text"].tolist(), encoder, folder)
    y = rows["label"].map(index).to_numpy()
    fit, val = (rows["part"] == "fit").to_numpy(), (rows["part"] == "val").to_numpy()
    selection, dev_theta = _fit(x[fit], y[fit], len(index), grid, x[val], y[val])
    c = float(selection.loc[selection["chosen"], "C"].iloc[0])
    final = fit | val if REFIT[label_space.validation] else fit
    theta = dev_theta
    if REFIT[label_space.validation]:
        theta = fit_softmax(x[final], y[final], len(index), c, start=dev_theta)
    model = SubtitleModel(
        label_space,
        language,
        theta,
        dev_theta,
        c,
        selection,
        tuple(rows.loc[final, "sample"]),
        tuple(rows.loc[val, "sample"]),
        identity,
        folder,
        encoder,
    )
    _save(path, model)
    return model


def _save(path: Path, model: SubtitleModel) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    with open(partial, "wb") as handle:
        np.savez(
            handle,
            theta=model.theta,
            dev_theta=model.dev_theta,
            c=np.float64(model.c),
            selection=model.selection[["C", "val_log_loss", "val_accuracy"]].to_numpy(),
            chosen=model.selection["chosen"].to_numpy(),
            fit_samples=np.array(model.fit_samples, dtype=str),
            val_samples=np.array(model.val_samples, dtype=str),
        )
    partial.replace(path)


def _load(
    path: Path, space: LabelSpace, language: str, identity: str, folder: Path, encoder: SentenceEncoder
) -> SubtitleModel:
    with np.load(path, allow_pickle=False) as saved:
        selection = pd.DataFrame(saved["selection"], columns=["C", "val_log_loss", "val_accuracy"])
        selection["chosen"] = saved["chosen"]
        return SubtitleModel(
            space,
            language,
            saved["theta"],
            saved["dev_theta"],
            float(saved["c"]),
            selection,
            tuple(str(s) for s in saved["fit_samples"]),
            tuple(str(s) for s in saved["val_samples"]),
            identity,
            folder,
            encoder,
        )


@cache
def load_subtitle_model(
    space: str, language: str = LANGUAGE, data_dir: str | None = None, cache_dir: str | None = None
) -> SubtitleModel:
    """:func:`fit_subtitle_model` with its defaults, once per process (what ``emer explain`` uses)."""
    return fit_subtitle_model(space, language, data_dir, cache_dir)


#: What the lexical clue of ``emer clues`` / ``emer explain`` can be: a class space's model, or the lexicon.
LEXICAL_CHOICES = (*CLASS_SPACES, "lexicon")


def subtitle_reading(subtitle: str, space: str, language: str, data_dir: DataDir = None) -> dict:
    """The record field of one subtitle (:meth:`SubtitleReading.record`), by the model of ``space`` fitted
    on subtitles in ``language`` (the subtitle's). A missing data file or package is a
    :class:`~emer.clues.media.MissingDependencyError` naming the way out."""
    from emer.clues.media import MissingDependencyError
    from emer.data.store import DataError

    try:
        model = load_subtitle_model(space, language, None if data_dir is None else str(data_dir))
    except (DataError, ImportError, FileNotFoundError) as exc:
        raise MissingDependencyError(
            f"the lexical clue's subtitle model ({space}) is fitted on the public data: {exc}\n"
            "Get the data (`emer fetch`) or use the lexicon instead (--lexical lexicon)."
        ) from None
    return model.read(subtitle).record()
