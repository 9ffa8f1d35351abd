"""OV labels -> sentiment (positive / negative / neutral), offline and deterministic, with a reason.

The field's sentiment step (MER-UniBench: CMU-MOSI, CMU-MOSEI, CH-SIMS, CH-SIMS v2) gives an LLM the OV
labels and asks for the most likely sentiment. This module does the same without a model, in two steps.

1. **Each label gets a polarity** (+1, -1, 0) or is *unknown* (:meth:`SentimentMapper.read_label`). The
   first of these that knows the label decides:

   - :data:`WORD_POLARITY`, a short table written for this project: the explicit sentiment words
     (``positive``, ``negativity``, ``neutral`` ...), a few states without a clear valence (``calm``,
     ``serious``, ``curious`` ...) and a few frequent labels the resources below miss or tag against
     their usage here (``teasing``, ``humor``);
   - the NRC emotion lexicon shipped by ``nrclex`` (its ``positive`` / ``negative`` tags) and the five
     emotion wheels (the inner-ring classes a label reaches: ``happy``, ``peaceful`` ... are positive;
     ``sad``, ``scared`` ... negative; ``surprised`` neither): the sign of the two votes, so a
     disagreement gives 0;
   - the NRC emotion tags of a word it lists without a polarity (``anger``, ``fear``, ``sadness``,
     ``disgust``: negative; ``joy``, ``trust``: positive); a word listed with neither is neutral;
   - Chinese labels are put into English first, with the project's table
     (:data:`emer.labels.lexicon.ZH_EMOTIONS`; 不/没有 before a listed word negate it);
   - a label no resource lists is read through its words: a negator before it (``lack of interest``,
     ``not satisfied``, ``unexcited``: a negated positive state is negative, a negated negative one
     neutral), an explicit sentiment word in it (``slightly negative``), its last word with a polarity
     (``high stress``), a close spelling (``dissapointed``: same first letter, difflib ratio >= 0.88).
     Otherwise it is unknown, and reported.

2. **The list gets a sentiment** from seven readable features (:data:`FEATURES`: how many labels are
   positive, negative, neutral; whether ``positive`` / ``negative`` is written out; the polarity of the
   last polar label, since the field's LLM leans towards what a list ends with) and two logistic models:
   P(positive) >= 0.5 gives ``positive``; otherwise P(negative | not positive) >= 0.5 gives
   ``negative``; otherwise ``neutral``. An empty list, or one whose labels are all unknown, is
   ``neutral`` (the field's own example: an empty list is neutral).

The 14 weights (:data:`WEIGHTS`) were fitted with :func:`fit_sentiment_weights` (Newton's method, see
:func:`emer.labels.selector.fit_logistic`) on the **development data only**: the released OV labels and
LLM sentiments of AffectGPT's seven CMU-MOSI checkpoints. CH-SIMS is the held-out test
(:mod:`emer.analysis.sentiment_fidelity`). The gold sentiment is never used. A test refits them.
"""

from __future__ import annotations

import difflib
import hashlib
import importlib.resources
import json
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache

import numpy as np

from emer.labels.lexicon import ZH_EMOTIONS, is_chinese
from emer.labels.parse import normalise_label, parse_label_list
from emer.labels.wheel import WHEELS, WheelTables, load_wheel_tables, wheel_key

DataDir = str | os.PathLike | None

#: Bumped whenever the label reading, the features or the weights change.
SENTIMENT_VERSION = "sentiment-1"
#: The three answers of the field's sentiment step.
SENTIMENTS = ("positive", "negative", "neutral")

#: Inner-ring classes of the five wheels with a polarity (``surprised`` has none).
POSITIVE_FAMILIES = frozenset({"happy", "joyful", "joy", "peaceful", "powerful", "genius"})
NEGATIVE_FAMILIES = frozenset(
    {"sad", "mad", "angry", "anger", "scared", "fearful", "fear", "disgusted", "disgust", "bad"}
)
#: NRC emotion tags read when a word has no positive/negative tag.
_NRC_EMOTIONS = {"joy": 1, "trust": 1, "anger": -1, "fear": -1, "sadness": -1, "disgust": -1}


def _table(text: str, polarity: int) -> dict[str, int]:
    return dict.fromkeys(text.split(), polarity)


_EXPLICIT_POSITIVE = ("positive", "positivity", "positively", "积极", "正面")
_EXPLICIT_NEGATIVE = ("negative", "negativity", "negatively", "消极", "负面")
#: Written for this project (see the module docstring): word -> polarity.
WORD_POLARITY: Mapping[str, int] = {
    # explicit sentiment words
    **dict.fromkeys(_EXPLICIT_POSITIVE, 1),
    **dict.fromkeys(_EXPLICIT_NEGATIVE, -1),
    **_table("neutral neutrality neutrally 中性 中立", 0),
    # states without a clear valence (the resources call some of them positive)
    **_table(
        "calm calmness relaxed casual composed composure measured cool objective rational contemplative "
        "contemplation reflective thoughtful serious seriousness focused focus professional curious "
        "curiosity pensive",
        0,
    ),
    # frequent labels the resources miss (humor, jokey, like) or tag as negative (teasing)
    **_table("humor humour jokey teasing like", 1),
}
#: Words of WORD_POLARITY that say the sentiment outright (features ``explicit_positive/negative``).
EXPLICIT = frozenset(_EXPLICIT_POSITIVE + _EXPLICIT_NEGATIVE)
#: Negators before a label: "lack of interest", "not satisfied", "didn't like it".
_NEGATORS = ("lack of", "lack", "lacking", "absence of", "without", "no", "not", "non", "never")
_NEGATOR = re.compile(
    r"^(?:(?:did|does|do|was|is|were|are)\s*(?:not|n't)|didn't|doesn't|don't|wasn't|isn't|"
    + "|".join(re.escape(n) for n in _NEGATORS)
    + r")\s+(.+)$"
)
#: A single word negated by its prefix ("unexcited", "unwilling"), read when the word itself is not listed.
_UN_PREFIX = re.compile(r"^(?:un|dis|in)([a-z]{4,})$")
_ZH_NEGATORS = ("不是", "没有", "不太", "不够", "不", "没", "无")
_ZH_NEGATOR = re.compile(f"^(?:{'|'.join(_ZH_NEGATORS)})(.+)$")
#: Chinese emotion words, longest first (a label is read through the longest one it contains).
_ZH_BY_LENGTH = tuple(sorted(ZH_EMOTIONS, key=lambda w: (-len(w), w)))
_SPELLING_CUTOFF = 0.88
_SPELLING_MIN_CHARS = 6

FEATURES = (
    "bias",
    "n_positive",  # labels read as positive
    "n_negative",  # labels read as negative
    "n_neutral",  # labels read as neutral (known, no polarity)
    "explicit_positive",  # "positive" (or a label containing it) is written out
    "explicit_negative",  # "negative" ... is written out
    "last_polar",  # polarity of the last label that has one (the field's LLM leans towards it)
)
#: Fitted on the development data (CMU-MOSI, 7 checkpoints); see :func:`fit_sentiment_weights`.
WEIGHTS: Mapping[str, tuple[float, ...]] = {
    "positive": (-0.888274, 1.892359, -1.269744, -0.096541, 1.918063, -2.221016, 1.376733),
    "negative": (1.525017, -1.544988, 1.153111, -1.808486, -2.821228, 0.413511, -0.514052),
}
#: Inverse regularisation strength of both logistic models (as the selector's).
C = 1.0


@dataclass(frozen=True)
class LabelReading:
    """One label's polarity (+1, -1, 0; None: unknown) and where it came from."""

    label: str
    polarity: int | None
    source: str  # word-table | explicit | nrc | wheel | nrc+wheel | nrc-emotion | ... | unknown
    via: str = ""  # the word actually looked up, when not the label itself

    @property
    def known(self) -> bool:
        return self.polarity is not None


@dataclass(frozen=True)
class SentimentDecision:
    """The sentiment of one label list, with the labels that counted each way and why."""

    sentiment: str
    readings: tuple[LabelReading, ...]
    p_positive: float
    p_negative: float
    rule: str  # model | empty | all-unknown

    def labels(self, polarity: int | None) -> list[str]:
        """The labels read with ``polarity`` (None: the unknown ones)."""
        return [r.label for r in self.readings if r.polarity == polarity]

    @property
    def unknown(self) -> list[str]:
        return self.labels(None)

    @property
    def reason(self) -> str:
        """A short sentence: which labels counted which way, and the decision."""
        parts = [
            f"{name}: {', '.join(self.labels(p))}"
            for name, p in (("positive", 1), ("negative", -1), ("neutral", 0), ("unknown", None))
            if self.labels(p)
        ]
        said = "; ".join(parts) or "no labels"
        if self.rule == "empty":
            return "no labels -> neutral"
        if self.rule == "all-unknown":
            return f"{said} -> neutral (no label could be read)"
        odds = f"P(positive)={self.p_positive:.2f}"
        if self.sentiment != "positive":
            odds += f", P(negative)={self.p_negative:.2f}"
        return f"{said} -> {self.sentiment} ({odds})"


@dataclass(frozen=True)
class SentimentMapper:
    """Reads labels' polarities and decides a list's sentiment (see the module docstring)."""

    nrc: Mapping[str, tuple[str, ...]]
    wheel_families: Mapping[str, tuple[str, ...]]  # wheel word -> its inner-ring class on each wheel
    tables: WheelTables
    weights: Mapping[str, tuple[float, ...]] = field(default_factory=lambda: dict(WEIGHTS))
    version: str = SENTIMENT_VERSION
    _memo: dict[str, LabelReading] = field(default_factory=dict, repr=False, compare=False)
    _vocabulary: dict[str, list[str]] = field(default_factory=dict, repr=False, compare=False)

    @property
    def identity(self) -> str:
        """Changes whenever a decision could (for cache keys and provenance)."""
        shown = ",".join(f"{w:.6f}" for k in ("positive", "negative") for w in self.weights[k])
        digest = hashlib.sha256(shown.encode()).hexdigest()[:12]
        return f"{self.version}/{self.tables.revision}/{digest}"

    # -- one label -------------------------------------------------------------------------------------
    def read_label(self, label: str) -> LabelReading:
        """The polarity of one label (cached)."""
        key = normalise_label(str(label))
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = self._read(key)
        return found

    def _read(self, label: str) -> LabelReading:
        text = label.replace("_", " ").strip()
        if not any(ch.isalnum() for ch in text):
            return LabelReading(label, None, "unknown")
        if is_chinese(text):
            return self._read_chinese(label, text)
        for variant in dict.fromkeys((text, text.replace("-", " "), text.replace("-", ""))):
            found = self._lookup(variant)
            if found is not None:
                return LabelReading(label, found[0], found[1], "" if variant == label else variant)
        spaced = text.replace("-", " ")
        negated = _NEGATOR.match(spaced)
        if negated:
            inner = self._read(negated.group(1))
            if inner.known:
                polarity = -1 if inner.polarity == 1 else 0
                return LabelReading(label, polarity, f"negated {inner.source}", inner.via or inner.label)
        prefixed = _UN_PREFIX.match(text)
        if prefixed:
            found = self._lookup(prefixed.group(1))
            if found is not None and found[0] == 1:
                return LabelReading(label, -1, f"negated {found[1]}", prefixed.group(1))
        words = spaced.split()
        for word in words:
            if word in EXPLICIT:
                return LabelReading(label, WORD_POLARITY[word], "explicit", word)
        if len(words) > 1:
            for word in reversed(words):
                found = self._lookup(word)
                if found is not None and found[0] != 0:
                    return LabelReading(label, found[0], f"word {found[1]}", word)
        if len(text) >= _SPELLING_MIN_CHARS:
            close = difflib.get_close_matches(text, self._near(text), n=1, cutoff=_SPELLING_CUTOFF)
            if close:
                found = self._lookup(close[0])
                if found is not None:
                    return LabelReading(label, found[0], f"spelling {found[1]}", close[0])
        return LabelReading(label, None, "unknown")

    def _read_chinese(self, label: str, text: str) -> LabelReading:
        if text in WORD_POLARITY:
            return LabelReading(label, WORD_POLARITY[text], "explicit" if text in EXPLICIT else "word-table")
        english = ZH_EMOTIONS.get(text)
        if english is not None:
            inner = self._read(english)
            return LabelReading(label, inner.polarity, f"zh {inner.source}", english)
        negated = _ZH_NEGATOR.match(text)
        if negated:
            inner = self._read_chinese(negated.group(1), negated.group(1))
            if inner.known:
                polarity = -1 if inner.polarity == 1 else 0
                return LabelReading(label, polarity, f"negated {inner.source}", inner.via or inner.label)
        for word in _ZH_BY_LENGTH:  # the longest Chinese emotion word inside ("有点生气")
            at = text.find(word)
            if at >= 0:
                inner = self._read(ZH_EMOTIONS[word])
                if inner.known and text[:at].endswith(_ZH_NEGATORS):  # "有点不开心"
                    polarity = -1 if inner.polarity == 1 else 0
                    return LabelReading(label, polarity, f"negated zh {inner.source}", ZH_EMOTIONS[word])
                return LabelReading(label, inner.polarity, f"zh {inner.source}", ZH_EMOTIONS[word])
        return LabelReading(label, None, "unknown")

    def _lookup(self, word: str) -> tuple[int, str] | None:
        """(polarity, source) of a word from the resources, None when none lists it."""
        if word in WORD_POLARITY:
            return WORD_POLARITY[word], "explicit" if word in EXPLICIT else "word-table"
        tags = self._nrc_tags(word)
        families = self._families(word)
        votes = []
        if tags and ("positive" in tags or "negative" in tags):
            votes.append(("nrc", ("positive" in tags) - ("negative" in tags)))
        up = sum(f in POSITIVE_FAMILIES for f in families)
        down = sum(f in NEGATIVE_FAMILIES for f in families)
        if up or down:
            votes.append(("wheel", _sign(up - down)))
        if votes:  # the two resources disagreeing give 0
            return _sign(sum(v for _, v in votes)), "+".join(name for name, _ in votes)
        if tags and any(t in _NRC_EMOTIONS for t in tags):
            return _sign(sum(_NRC_EMOTIONS.get(t, 0) for t in tags)), "nrc-emotion"
        if tags is not None or families:  # listed, with no polarity (surprised, anticipation)
            return 0, "nrc" if tags is not None else "wheel"
        return None

    def _nrc_tags(self, word: str) -> tuple[str, ...] | None:
        tags = self.nrc.get(word)
        if tags is None and " " not in word:
            lemma = _lemma(word)
            tags = self.nrc.get(lemma) if lemma != word else None
        return tags

    def _families(self, word: str) -> list[str]:
        """Inner-ring classes the word reaches: its own places on the wheels, else its synonyms'."""
        key = wheel_key(word)
        if key in self.wheel_families:
            return list(self.wheel_families[key])
        bases = self.tables.format_mapping.get(key, ())
        synonyms = sorted({w for base in bases for w in self.tables.synonym_mapping.get(base, ())})
        return [f for w in synonyms for f in self.wheel_families.get(w, ())]

    def _near(self, text: str) -> list[str]:
        """Listed words that could be a misspelling of ``text``: same first letter, length within 2."""
        if not self._vocabulary:
            words = set(self.nrc) | set(self.tables.format_mapping) | set(WORD_POLARITY)
            for word in sorted(w for w in words if w.isascii() and w):
                self._vocabulary.setdefault(word[0], []).append(word)
        return [w for w in self._vocabulary.get(text[0], []) if abs(len(w) - len(text)) <= 2]

    # -- one list --------------------------------------------------------------------------------------
    def features(self, readings: Sequence[LabelReading]) -> tuple[float, ...]:
        """The :data:`FEATURES` of a list's readings."""
        known = [r for r in readings if r.known]
        explicit = [r.polarity for r in readings if r.source == "explicit"]
        return (
            1.0,
            float(sum(r.polarity == 1 for r in known)),
            float(sum(r.polarity == -1 for r in known)),
            float(sum(r.polarity == 0 for r in known)),
            float(1 in explicit),
            float(-1 in explicit),
            float(next((r.polarity for r in reversed(known) if r.polarity), 0)),
        )

    def decide(self, labels: Iterable[str] | str) -> SentimentDecision:
        """The sentiment of a label list (a list, or a list string such as ``"[anger, frustration]"``)."""
        items = (
            parse_label_list(labels) if isinstance(labels, str) else [normalise_label(str(x)) for x in labels]
        )
        readings = tuple(self.read_label(x) for x in dict.fromkeys(x for x in items if x))
        if not readings:
            return SentimentDecision("neutral", readings, 0.0, 0.0, "empty")
        if not any(r.known for r in readings):
            return SentimentDecision("neutral", readings, 0.0, 0.0, "all-unknown")
        x = self.features(readings)
        p_pos = _sigmoid(x, self.weights["positive"])
        p_neg = _sigmoid(x, self.weights["negative"])
        sentiment = "positive" if p_pos >= 0.5 else "negative" if p_neg >= 0.5 else "neutral"
        return SentimentDecision(sentiment, readings, p_pos, p_neg, "model")

    def sentiment(self, labels: Iterable[str] | str) -> str:
        """Only the decided sentiment."""
        return self.decide(labels).sentiment


def _sign(value: float) -> int:
    return (value > 0) - (value < 0)


def _sigmoid(x: Sequence[float], w: Sequence[float]) -> float:
    z = math.fsum(a * b for a, b in zip(x, w, strict=True))
    return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))


@cache
def _lemma(word: str) -> str:
    import simplemma

    return str(simplemma.lemmatize(word, lang="en")).lower()


class MissingResourceError(RuntimeError):
    """A resource of the mapping (the NRC lexicon of ``nrclex``) is not installed."""


@cache
def nrc_polarity_lexicon() -> dict[str, tuple[str, ...]]:
    """word -> NRC tags (emotions, ``positive``, ``negative``), read from the JSON file ``nrclex`` ships."""
    try:
        resource = importlib.resources.files("nrclex.data") / "nrc_en.json"
        data = json.loads(resource.read_text(encoding="utf-8"))
    except (ModuleNotFoundError, FileNotFoundError):
        raise MissingResourceError(
            "the sentiment mapping reads the NRC lexicon shipped by nrclex: "
            "pip install --no-deps nrclex==4.1.0"
        ) from None
    return {str(word).lower(): tuple(sorted(tags)) for word, tags in data.items()}


def wheel_families(tables: WheelTables) -> dict[str, tuple[str, ...]]:
    """Wheel word -> its inner-ring class on each of the five wheels that lists it (wheel order)."""
    families: dict[str, list[str]] = {}
    for k in WHEELS:
        for word, family in tables.wheel_maps[f"W{k}-L1"].items():
            families.setdefault(word, []).append(family)
    return {word: tuple(found) for word, found in sorted(families.items())}


@cache
def _mapper(root: str, revision: str) -> SentimentMapper:
    tables = load_wheel_tables(root, revision)
    return SentimentMapper(nrc_polarity_lexicon(), wheel_families(tables), tables)


def load_sentiment_mapper(data_dir: DataDir = None, revision: str = "MER2025") -> SentimentMapper:
    """The mapping with the fitted :data:`WEIGHTS` (cached per data directory): the wheel files come from
    the data directory, the NRC lexicon from ``nrclex``. Nothing is downloaded."""
    from emer.data import data_root

    root, _ = data_root(data_dir)
    return _mapper(str(root), revision)


def map_sentiment(labels: Iterable[str] | str, data_dir: DataDir = None) -> SentimentDecision:
    """The sentiment of one label list with the default mapping (see :meth:`SentimentMapper.decide`)."""
    return load_sentiment_mapper(data_dir).decide(labels)


# -- fitting -------------------------------------------------------------------------------------------
def training_rows(
    mapper: SentimentMapper, label_lists: Iterable[Iterable[str] | str], sentiments: Iterable[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features and targets (positive; negative) of the lists the model decides (not empty, not all
    unknown). ``sentiments``: the reference answers (anything but the three words counts as neither)."""
    x, positive, negative = [], [], []
    for labels, answer in zip(label_lists, sentiments, strict=True):
        decision = mapper.decide(labels)
        if decision.rule != "model":
            continue
        x.append(mapper.features(decision.readings))
        positive.append(answer == "positive")
        negative.append(answer == "negative")
    return np.array(x, dtype=float), np.array(positive, dtype=float), np.array(negative, dtype=float)


def fit_sentiment_weights(
    mapper: SentimentMapper,
    label_lists: Iterable[Iterable[str] | str],
    sentiments: Iterable[str],
    c: float = C,
) -> dict[str, tuple[float, ...]]:
    """The two models' weights (rounded to 6 decimals) fitted on reference sentiments: P(positive) on
    every decided list, P(negative) on those whose reference is not positive."""
    from emer.labels.selector import fit_logistic

    x, positive, negative = training_rows(mapper, label_lists, sentiments)
    if not len(x):
        raise ValueError("no label list to fit on (all empty or unreadable)")
    rest = positive == 0
    w_pos = fit_logistic(x, positive, c)
    w_neg = fit_logistic(x[rest], negative[rest], c)
    return {
        "positive": tuple(round(float(w), 6) for w in w_pos),
        "negative": tuple(round(float(w), 6) for w in w_neg),
    }


def with_weights(mapper: SentimentMapper, weights: Mapping[str, Sequence[float]]) -> SentimentMapper:
    """The same label reading with other weights (each a tuple in :data:`FEATURES` order)."""
    for key in ("positive", "negative"):
        if len(weights[key]) != len(FEATURES):
            raise ValueError(f"weights[{key!r}] needs {len(FEATURES)} values ({', '.join(FEATURES)})")
    return SentimentMapper(
        mapper.nrc,
        mapper.wheel_families,
        mapper.tables,
        {k: tuple(float(w) for w in weights[k]) for k in ("positive", "negative")},
    )
