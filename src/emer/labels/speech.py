"""What the quoted speech of a description says: the fallback of the ``selector`` extractor for
descriptions that name no state.

Some descriptions name no emotion at all and only quote what the person says ("The audio is of a man
speaking, in Chinese, saying, '…'"). The field's LLM extractor then often infers a state from the quoted
words itself. :class:`SpeechReader` does the same offline: a multinomial naive Bayes classifier over the
six MER2023 classes, fitted at run time on the MER2023 ``test3`` subtitles and labels (Chinese: character
unigrams and bigrams; English: word unigrams and bigrams; add-one smoothing). ``test3`` is used because no
benchmark of :mod:`emer.scoring` scores on it, and the fit refuses any sample of the gold sets, so the
reader has never seen a label it could later be scored against.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from emer.labels.words import ENGLISH_WORD, subtitle_language

#: The MER2023 split the reader is fitted on (scored by no benchmark).
TRAINING_SPLIT = "test3"
#: MER2023 class -> the label a description would give it (neutral names no state: no label).
CLASS_LABELS = {
    "angry": "angry",
    "happy": "happy",
    "neutral": None,
    "sad": "sad",
    "surprise": "surprised",
    "worried": "worried",
}
_QUOTE = re.compile(r'"([^"]+)"|“([^”]+)”|「([^」]+)」')
_HAN = re.compile(r"[\u4e00-\u9fff]")


def quoted_speech(text: str) -> str:
    """The text inside the quotation marks of ``text``, joined by spaces ("" when none)."""
    return " ".join(next(g for g in m.groups() if g) for m in _QUOTE.finditer(text)).strip()


def speech_features(text: str) -> tuple[str, list[str]]:
    """The language of ``text`` (en/zh) and its features: Han character unigrams and bigrams (zh), or
    lower-cased word unigrams and bigrams (en)."""
    language = subtitle_language(text)
    if language == "zh":
        han = "".join(_HAN.findall(text))
        return language, [*han, *(han[k : k + 2] for k in range(len(han) - 1))]
    words = ENGLISH_WORD.findall(text.lower().replace("’", "'"))
    return language, [*words, *(f"{a} {b}" for a, b in zip(words, words[1:], strict=False))]


@dataclass(frozen=True)
class SpeechReader:
    """Naive Bayes over the MER2023 classes, one model per language; log-probabilities kept at 9 decimals
    so that the same fit gives the same numbers on any machine."""

    classes: tuple[str, ...]
    log_prior: dict[str, tuple[float, ...]]  # language -> per class
    log_likelihood: dict[str, dict[str, tuple[float, ...]]]  # language -> feature -> per class
    log_unseen: dict[str, tuple[float, ...]]  # language -> per class, a feature never seen in training
    n_train: int

    @property
    def identity(self) -> str:
        """A short digest that changes whenever a prediction could."""
        payload = repr((self.classes, sorted(self.log_prior.items()), sorted(self.log_unseen.items())))
        digest = hashlib.sha256(payload.encode())
        for language in sorted(self.log_likelihood):
            digest.update(repr(sorted(self.log_likelihood[language].items())).encode())
        return digest.hexdigest()[:12]

    def posterior(self, text: str) -> dict[str, float]:
        """Class -> probability for ``text`` (the prior when it has no features)."""
        language, features = speech_features(text)
        table, unseen = self.log_likelihood[language], self.log_unseen[language]
        scores = []
        for k in range(len(self.classes)):
            terms = [self.log_prior[language][k]]
            terms += [table[f][k] if f in table else unseen[k] for f in features]
            scores.append(math.fsum(terms))
        top = max(scores)
        weights = [math.exp(s - top) for s in scores]
        total = math.fsum(weights)
        return {c: w / total for c, w in zip(self.classes, weights, strict=True)}

    def read(self, text: str) -> tuple[str | None, float]:
        """The label the speech most probably expresses (None: neutral, or no speech), and its probability
        at 9 decimals (what thresholds compare, the same on any machine but at a rounding boundary)."""
        if not text.strip():
            return None, 0.0
        posterior = self.posterior(text)
        best = max(self.classes, key=lambda c: (posterior[c], c))
        return CLASS_LABELS[best], round(posterior[best], 9)


def fit_speech_reader(texts: Sequence[str], classes: Sequence[str], alpha: float = 1.0) -> SpeechReader:
    """Fit the reader on subtitles (Chinese or English, any mix) and their MER2023 classes."""
    unknown = sorted(set(classes) - set(CLASS_LABELS))
    if unknown:
        raise ValueError(f"unknown MER2023 classes {unknown}; expected {sorted(CLASS_LABELS)}")
    names = tuple(sorted(CLASS_LABELS))
    counts: dict[str, dict[str, Counter[str]]] = {"en": {}, "zh": {}}
    docs: dict[str, Counter[str]] = {"en": Counter(), "zh": Counter()}
    used = 0
    for text, label in zip(texts, classes, strict=True):
        if not str(text).strip():
            continue
        used += 1
        language, features = speech_features(str(text))
        counts[language].setdefault(label, Counter()).update(features)
        docs[language][label] += 1
    log_prior, log_likelihood, log_unseen = {}, {}, {}
    for language in ("en", "zh"):
        if sum(docs[language].values()) == 0:
            raise ValueError(f"no {language} subtitle to fit the speech reader on")
        per_class = [counts[language].get(c, Counter()) for c in names]
        vocabulary = sorted(set().union(*per_class))
        totals = [sum(c.values()) + alpha * len(vocabulary) for c in per_class]
        n_docs = sum(docs[language].values()) + alpha * len(names)
        log_prior[language] = tuple(round(math.log((docs[language][c] + alpha) / n_docs), 9) for c in names)
        log_likelihood[language] = {
            f: tuple(round(math.log((c[f] + alpha) / t), 9) for c, t in zip(per_class, totals, strict=True))
            for f in vocabulary
        }
        log_unseen[language] = tuple(round(math.log(alpha / t), 9) for t in totals)
    return SpeechReader(names, log_prior, log_likelihood, log_unseen, used)


def mer2023_training_rows(
    labels: pd.DataFrame, transcripts: pd.DataFrame, exclude: Iterable[str]
) -> tuple[list[str], list[str]]:
    """Subtitles (Chinese and English, each a row) and classes of the MER2023 training split.

    ``labels`` and ``transcripts``: :func:`emer.data.load_mer2023_labels` and
    :func:`emer.data.load_mer2023_transcripts`. Raises when a sample of ``exclude`` (the gold sets) is in the
    training split, so that the reader never learns a label it is scored against.
    """
    part = labels[labels["split"] == TRAINING_SPLIT]
    overlap = sorted(set(part["sample"]) & set(exclude))
    if overlap:
        raise ValueError(
            f"MER2023 {TRAINING_SPLIT} holds {len(overlap)} samples of the gold sets (first {overlap[0]}); "
            "the speech reader must not be fitted on them"
        )
    merged = part.merge(transcripts, on="sample", how="inner", validate="one_to_one")
    merged = merged.sort_values("sample", kind="stable")
    texts, classes = [], []
    for row in merged.itertuples(index=False):
        for text in (row.zh, row.en):
            if str(text).strip():
                texts.append(str(text))
                classes.append(str(row.label))
    return texts, classes
