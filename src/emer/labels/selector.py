"""The ``selector`` extractor: lexicon candidates, then a small classifier decides which ones the
description asserts as its conclusion.

The field's extractor (an LLM reading the description) keeps the states a description *concludes* with,
not every emotion word it mentions on the way ("his facial expression shows a mixture of seriousness and
focus … In conclusion, the emotional state is confusion and uncertainty" gives confusion, uncertainty).
The selector copies that:

1. **Candidates.** Every emotion mention of the lexicon (:mod:`emer.labels.lexicon`), grouped by base word.
2. **Features** of each candidate, all of them readable (:data:`FEATURES`): where its sentences sit (the
   last sentence with a mention, the last concluding sentence), what those sentences say (a conclusion
   cue: "in conclusion", "overall"; an inference cue: "inferred", "predict", "emotional state"; a clue cue:
   "facial expression", "tone", "indicates"), how it is said (hedged, negated, inside a quote, in a
   "such as" list, "a sense of"), how many times, and how often the field's extractor kept that phrase
   when a development description mentioned it (smoothed log-odds).
3. **Classifier.** A logistic regression fitted on the **development split** only
   (:data:`DEV_SYSTEMS`: 5 of the 10 released MLLMs, all three settings); a candidate is kept when its
   probability is at least :data:`THRESHOLD` (the most probable one when none is). Target: the
   candidate's base word is among the released labels of that description. The fit is deterministic
   (Newton's method to convergence, :func:`fit_logistic`; no random draw), takes seconds and is done at
   run time from the public files (cached per data folder), never stored as weights.
4. **Speech fallback.** A description that names no state at all but quotes what the person says gets
   the state its quoted speech expresses, as read by :class:`~emer.labels.speech.SpeechReader` (naive
   Bayes fitted on MER2023 subtitles no benchmark scores), when the reader is at least
   ``speech_threshold`` sure. The threshold is calibrated on the development split so that the fallback
   fires as often as the field's extractor labels such descriptions there.

:func:`fit_selector` refuses any system outside :data:`DEV_SYSTEMS`: the other five MLLMs are the
held-out test of :mod:`emer.analysis.fidelity`. Chinese text has no released LLM extraction to learn
from, so Chinese descriptions keep the lexicon's rules (``lexicon-1``) unchanged.
"""

from __future__ import annotations

import hashlib
import math
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from emer.labels.lexicon import (
    _CLAUSE_BREAKS,
    _PUNCT,
    META_WORDS,
    EmotionLexicon,
    Mention,
    _key,
    _words,
    calibrate_lexicon,
    is_chinese,
    label_rates,
    load_lexicon,
    tokens_en,
)
from emer.labels.speech import SpeechReader, fit_speech_reader, mer2023_training_rows, quoted_speech

DataDir = str | os.PathLike | None

#: Bumped whenever the features, the fit or the decision rule change (part of the backend's identity).
SELECTOR_VERSION = "selector-2"
#: The development split: ``sorted(random.Random(20230628).sample(sorted(MLLMS), 5))``, drawn once before
#: any result was looked at. Only these systems' released outputs are used to fit anything.
DEV_SYSTEMS = ("LLaMA-VID", "Otter", "Qwen-Audio", "SALMONN", "Video-LLaVA")
SPLIT_SEED = 20230628
THRESHOLD = 0.5
#: Inverse regularisation strength of the logistic regression.
C = 1.0

_CONCLUDE = _words(
    "conclusion summary overall sum summarize summarise summarizing conclude concluding therefore thus "
    "hence ultimately finally"
)
_INFER = _words(
    "infer inferred inference predict predicted prediction speculate speculated deduce deduced determine "
    "determined judge judged reasonably assume assumed"
)
_STATE = _words("state states")
_CLUE = _words(
    "expression expressions facial tone voice pitch eyebrows eyes mouth smile smiling frown frowning "
    "gaze posture gestures indicates indicating indicate suggests suggesting suggest sign signs mentions "
    "mentioned clue clues subtitle subtitles audio video background words sentence"
)
_LIST_CUES = (("such", "as"), ("including",), ("like",), ("or",))
_SENSE_CUES = _words("sense level degree hint touch trace signs sign air")
_SENTENCE_END = frozenset(".!?")
#: "content" right after one of these is the noun ("subtitle content"), not the state.
_CONTENT_NOUN = _words("subtitle subtitles video audio visual text textual the its their this that of")
#: Someone other than the person described: a mention after one of these in its clause is not theirs.
_OTHERS = _words("others other viewer viewers audience listener listeners interlocutor partner partners")
_COORDINATION = _words(", or and nor")
_FEELING_CUES = _words("feel feels feeling felt experiencing experience is be being appears seems")
#: "state" followed within a few words by one of these starts a declaration ("the state is fear").
_DECLARING = _words("is was are be being : as")
_DECLARATION_REACH = 5


def _declared(tokens: list[str], sent_of: list[int]) -> set[int]:
    """Token positions inside a declaration of the state: after "state … is/was/as/:" to the sentence end."""
    inside: set[int] = set()
    for k, tok in enumerate(tokens):
        if tok not in _STATE:
            continue
        for j in range(k + 1, min(k + 1 + _DECLARATION_REACH, len(tokens))):
            if sent_of[j] != sent_of[k]:
                break
            if tokens[j] in _DECLARING:
                end = j + 1
                while end < len(tokens) and sent_of[end] == sent_of[k]:
                    inside.add(end)
                    end += 1
                break
    return inside


FEATURES = (
    "bias",
    "prior_logit",  # log-odds that the field's extractor keeps this phrase (development split)
    "in_last_mention_sentence",  # a mention in the last sentence that has any mention
    "in_last_concluding_sentence",  # ... in the last sentence with a conclusion or inference cue
    "in_concluding_sentence",  # ... in any sentence with a conclusion cue
    "in_inference_sentence",  # ... in a sentence with an inference cue
    "in_state_sentence",  # ... in a sentence naming the "emotional state"
    "only_clue_sentences",  # every mention sits in a sentence with a clue cue and no inference cue
    "text_has_conclusion",  # the description has a concluding sentence at all
    "asserted",  # at least one mention neither hedged nor negated
    "hedged_only",  # every mention hedged
    "quoted_only",  # every mention inside quotation marks
    "listed",  # a mention after "such as", "including", "like", "or"
    "sense_of",  # a mention after "sense of", "level of", "signs of"
    "log_count",  # log(1 + number of mentions)
    "position",  # first mention's sentence index / number of sentences
    "log_candidates",  # log(1 + number of candidates in the description)
    "short_text",  # one or two sentences
    "log_sentences_after",  # log(1 + mention sentences after its last one)
    "share_last_sentence",  # candidates sharing the last mention sentence / all candidates
    "feeling_cue",  # a mention right after "feeling", "experiencing", "is", "appears" ...
    "declared",  # a mention in a declaration: "the emotional state is …", "emotional state: …"
    "outside_declaration",  # the description declares other candidates but not this one
)


@dataclass(frozen=True)
class Candidate:
    """One base word of a description: the label it would give and its features (see :data:`FEATURES`)."""

    label: str
    base: str
    features: tuple[float, ...]


def _sentences(tokens: list[str]) -> tuple[list[int], list[bool], list[set[str]]]:
    """Sentence index and in-quote flag of each token, and the words of each sentence."""
    index, quoted, words, sent, inside = [], [], [set()], 0, False
    last = len(tokens) - 1
    for k, tok in enumerate(tokens):
        index.append(sent)
        quoted.append(inside)
        words[sent].add(tok)
        if tok == '"':
            inside = not inside
        elif tok in _SENTENCE_END and not inside and k < last:
            sent += 1
            words.append(set())
    return index, quoted, words


def _candidates(
    lexicon: EmotionLexicon, text: str, prior: dict[str, float], default_prior: float
) -> list[Candidate]:
    tokens = tokens_en(text)
    mentions = _kept_mentions(lexicon, text, tokens)
    if not mentions:
        return []
    sent_of, quoted, words = _sentences(tokens)
    n_sent = len(words)
    concluding = {s for s, w in enumerate(words) if not _CONCLUDE.isdisjoint(w)}
    inferring = {s for s, w in enumerate(words) if not _INFER.isdisjoint(w)}
    stating = {s for s, w in enumerate(words) if not _STATE.isdisjoint(w)}
    clueing = {s for s, w in enumerate(words) if not _CLUE.isdisjoint(w)}
    mention_sents = [sent_of[m.start] for m in mentions]
    last_mention = max(mention_sents)
    deciding = [s for s in mention_sents if s in concluding or s in inferring]
    last_deciding = max(deciding) if deciding else -1
    distinct_sents = sorted(set(mention_sents))
    in_last = len({mentions[k].base for k, s in enumerate(mention_sents) if s == last_mention})
    declared = _declared(tokens, sent_of)
    declares = any(m.start in declared for m in mentions)
    groups: dict[str, list[int]] = {}
    for k, m in enumerate(mentions):
        groups.setdefault(m.base, []).append(k)
    n_cand = len(groups)
    out = []
    for base, ks in groups.items():
        sents = [mention_sents[k] for k in ks]
        ms = [mentions[k] for k in ks]
        listed = sense = feeling = False
        for m in ms:
            before = tokens[max(0, m.start - 3) : m.start]
            if before and (before[-1] in _FEELING_CUES or before[-2:-1] == ["feeling"]):
                feeling = True
            if any(tuple(before[-len(cue) :]) == cue for cue in _LIST_CUES):
                listed = True
            if len(before) >= 2 and before[-1] == "of" and before[-2] in _SENSE_CUES:
                sense = True
        best = max(ks, key=lambda k: (mention_sents[k], -k))
        label = mentions[best].label
        phrase_prior = max(prior.get(m.surface, default_prior) for m in ms)
        feats = (
            1.0,
            phrase_prior,
            float(last_mention in sents),
            float(last_deciding in sents),
            float(any(s in concluding for s in sents)),
            float(any(s in inferring for s in sents)),
            float(any(s in stating for s in sents)),
            float(all(s in clueing and s not in inferring for s in sents)),
            float(bool(concluding)),
            float(any(m.status == "asserted" for m in ms)),
            float(all(m.status == "hedged" for m in ms)),
            float(all(quoted[m.start] for m in ms)),
            float(listed),
            float(sense),
            math.log1p(len(ms)),
            min(sents) / n_sent,
            math.log1p(n_cand),
            float(n_sent <= 2),
            math.log1p(len(distinct_sents) - 1 - distinct_sents.index(max(sents))),
            (in_last / n_cand) if last_mention in sents else 0.0,
            float(feeling),
            float(any(m.start in declared for m in ms)),
            float(declares and not any(m.start in declared for m in ms)),
        )
        out.append(Candidate(label, base, feats))
    return out


def _kept_mentions(lexicon: EmotionLexicon, text: str, tokens: list[str]) -> list[Mention]:
    """The lexicon's English mentions less the negated ones (a negation reaches along a coordination:
    "no signs of distress or agitation") and those that name no state of the person."""
    kept, negated_until = [], -1
    for m in lexicon._mentions_en(text, tokens):
        end = m.start + len(m.surface.split())
        between = tokens[negated_until : m.start] if negated_until >= 0 else None
        if m.status == "negated" or (between is not None and set(between) <= _COORDINATION):
            negated_until = end
            continue
        negated_until = -1
        if not _not_theirs(tokens, m.start, m.surface):
            kept.append(m)
    return kept


def _not_theirs(tokens: list[str], start: int, surface: str) -> bool:
    """A mention that names no state of the person: "subtitle content", "the other person is angry"."""
    if surface == "content" and (
        (start > 0 and tokens[start - 1] in _CONTENT_NOUN) or tokens[start + 1 : start + 2] == ["of"]
    ):
        return True
    k = start - 1
    while k >= 0 and tokens[k] not in _PUNCT and tokens[k] not in _CLAUSE_BREAKS and start - k <= 8:
        if tokens[k] in _OTHERS:
            return True
        k -= 1
    return False


def _prior(rates: pd.DataFrame) -> tuple[dict[str, float], float]:
    """Smoothed log-odds of each phrase being kept, and the log-odds for an unseen phrase."""
    kept, seen = rates["n_labelled"].to_numpy(float), rates["n_described"].to_numpy(float)
    overall = (kept.sum() + 1) / (seen.sum() + 2)
    logit = np.log((kept + 2 * overall) / (seen - kept + 2 * (1 - overall)))
    return dict(zip(rates["phrase"], logit.round(6).tolist(), strict=True)), float(
        round(math.log(overall / (1 - overall)), 6)
    )


@dataclass(frozen=True)
class SelectorExtractor:
    """Lexicon candidates kept by a fitted logistic regression (English); the lexicon's rules (Chinese)."""

    lexicon: EmotionLexicon
    prior: dict[str, float]
    default_prior: float
    weights: tuple[float, ...]
    threshold: float = THRESHOLD
    fitted_on: tuple[str, ...] = DEV_SYSTEMS
    fit_seconds: float = 0.0
    n_train: int = 0
    speech: SpeechReader | None = None
    speech_threshold: float = 1.0
    version: str = SELECTOR_VERSION

    @property
    def identity(self) -> str:
        """A short string that changes whenever the extraction would (cache keys and provenance)."""
        speech = (self.speech.identity, self.speech_threshold) if self.speech is not None else None
        payload = (self.weights, self.threshold, sorted(self.prior.items()), speech)
        digest = hashlib.sha256(repr(payload).encode())
        return f"{self.version}/{self.lexicon.identity}/{digest.hexdigest()[:12]}"

    def candidates(self, text: str) -> list[Candidate]:
        return _candidates(self.lexicon, text, self.prior, self.default_prior)

    def scores(self, text: str) -> list[tuple[str, float]]:
        """(label, probability of being kept) of each English candidate, in first-mention order."""
        return [(c.label, 1 / (1 + math.exp(-self._logit(c)))) for c in self.candidates(text)]

    def _logit(self, candidate: Candidate) -> float:
        return math.fsum(w * x for w, x in zip(self.weights, candidate.features, strict=True))

    def extract(self, text: str, language: str = "en", keep_hedged: bool = True) -> list[str]:
        """Labels of ``text`` (``language``: en, zh, auto; Chinese goes to the lexicon's rules)."""
        if language == "zh" or (language == "auto" and is_chinese(text)):
            return self.lexicon.extract(text, "zh", keep_hedged)
        found = self.candidates(text)
        if not found:  # no state named at all: what the quoted speech says, if anything
            return self.speech_labels(text)
        hedged = FEATURES.index("hedged_only")
        if not keep_hedged:
            found = [c for c in found if not c.features[hedged]]
        if not found:
            return []
        z = [self._logit(c) for c in found]
        cut = math.log(self.threshold / (1 - self.threshold))
        kept = [c.label for c, v in zip(found, z, strict=True) if v >= cut]
        if not kept:  # a description that names states concludes with at least one
            kept = [found[z.index(max(z))].label]
        return list(dict.fromkeys(kept))

    def speech_labels(self, text: str) -> list[str]:
        """The speech fallback: the state the quoted speech of ``text`` expresses, when the reader is at
        least ``speech_threshold`` sure (``[]`` without a reader, a quote or a non-neutral reading)."""
        if self.speech is None:
            return []
        label, probability = self.speech.read(quoted_speech(text))
        return [label] if label is not None and probability >= self.speech_threshold else []


class HeldOutSystemError(ValueError):
    """A fit or a split was asked to use a held-out system."""


def check_dev_systems(systems: Iterable[str]) -> tuple[str, ...]:
    """``systems`` sorted, after checking that every one is in :data:`DEV_SYSTEMS`."""
    systems = tuple(sorted(set(systems)))
    outside = [s for s in systems if s not in DEV_SYSTEMS]
    if outside:
        raise HeldOutSystemError(
            f"{outside} are held-out systems (the development split is {list(DEV_SYSTEMS)}); "
            "fit and design on the development split only"
        )
    if not systems:
        raise HeldOutSystemError("no development system given")
    return systems


def _targets(lexicon: EmotionLexicon, labels: Iterable[str]) -> set[str]:
    bases = {b for label in labels for b in lexicon.lookup(str(label))}
    return bases | {_key(str(label)) for label in labels}


def candidate_rates(lexicon: EmotionLexicon, outputs: pd.DataFrame) -> pd.DataFrame:
    """Per phrase: how many descriptions have it as a candidate and in how many the released labels keep
    it. Columns phrase, n_described, n_labelled (sorted by phrase)."""
    described: dict[str, int] = {}
    labelled: dict[str, int] = {}
    for text, labels in zip(outputs["description"], outputs["labels"], strict=True):
        bases = _targets(lexicon, labels)
        tokens = tokens_en(str(text))
        seen = {
            (m.surface, m.base in bases or m.label in bases)
            for m in _kept_mentions(lexicon, str(text), tokens)
        }
        for phrase, kept in seen:
            described[phrase] = described.get(phrase, 0) + 1
            labelled[phrase] = labelled.get(phrase, 0) + int(kept)
    phrases = sorted(described)
    return pd.DataFrame(
        {
            "phrase": phrases,
            "n_described": [described[p] for p in phrases],
            "n_labelled": [labelled[p] for p in phrases],
        }
    )


def training_rows(
    lexicon: EmotionLexicon, outputs: pd.DataFrame, prior: dict[str, float], default_prior: float
) -> tuple[np.ndarray, np.ndarray]:
    """Feature matrix and 0/1 target (candidate's base word among the released labels) of every candidate."""
    features, target = [], []
    for text, labels in zip(outputs["description"], outputs["labels"], strict=True):
        bases = _targets(lexicon, labels)
        for cand in _candidates(lexicon, str(text), prior, default_prior):
            features.append(cand.features)
            target.append(int(cand.base in bases or cand.label in bases))
    return np.asarray(features, dtype=float), np.asarray(target, dtype=int)


def fit_logistic(x: np.ndarray, y: np.ndarray, c: float = C, max_iter: int = 100) -> np.ndarray:
    """Weights of an L2-penalised logistic regression without intercept: the minimum of
    ``0.5 |w|² + c Σ log-loss(y, x·w)`` (scikit-learn's ``LogisticRegression(C=c, fit_intercept=False)``).

    Newton's method, run to convergence (steps below 1e-13), so the weights are the exact minimum up to
    float64 rounding on any machine; an iterative solver stopped at a tolerance (lbfgs) leaves ~1e-6 that
    depends on the CPU's BLAS kernels and would reach the 6 decimals the weights are kept at.
    """
    w = np.zeros(x.shape[1])
    for _ in range(max_iter):
        p = 1 / (1 + np.exp(-np.einsum("ni,i->n", x, w)))
        gradient = w + c * np.einsum("ni,n->i", x, p - y)
        hessian = np.eye(len(w)) + c * np.einsum("ni,n,nj->ij", x, p * (1 - p), x)
        step = np.linalg.solve(hessian, gradient)
        w = w - step
        if np.abs(step).max() < 1e-13:
            return w
    raise RuntimeError(f"the selector's logistic fit did not converge in {max_iter} Newton steps")


def speech_threshold(reader: SpeechReader, lexicon: EmotionLexicon, outputs: pd.DataFrame) -> float:
    """The reader's confidence from which the speech fallback fires, calibrated on ``outputs``: among the
    descriptions that name no state but quote speech, it fires on as many as the released labels give a
    label to (the most confident readings first); 1.0 (never) when there are none."""
    readings, labelled = [], 0
    for text, labels in zip(outputs["description"], outputs["labels"], strict=True):
        text = str(text)
        speech = quoted_speech(text)
        if not speech or _kept_mentions(lexicon, text, tokens_en(text)):
            continue
        labelled += bool(len(labels))
        label, probability = reader.read(speech)
        if label is not None:
            readings.append(probability)
    readings.sort(reverse=True)
    if not labelled or not readings:
        return 1.0
    return readings[min(labelled, len(readings)) - 1]


def fit_selector(
    outputs: pd.DataFrame,
    lexicon: EmotionLexicon,
    threshold: float = THRESHOLD,
    c: float = C,
    speech: SpeechReader | None = None,
) -> SelectorExtractor:
    """Fit the selector on released outputs of development systems (columns of
    :func:`emer.data.load_system_outputs`). Refuses held-out systems (:class:`HeldOutSystemError`).

    ``lexicon`` should be calibrated on the same rows (see :func:`dev_lexicon`). With a ``speech`` reader,
    its threshold is calibrated on the same rows (:func:`speech_threshold`).
    """
    start = time.perf_counter()
    systems = check_dev_systems(outputs["system"])
    outputs = outputs.sort_values(["system", "setting", "sample"], kind="stable")
    prior, default_prior = _prior(candidate_rates(lexicon, outputs))
    x, y = training_rows(lexicon, outputs, prior, default_prior)
    weights = tuple(round(float(w), 6) for w in fit_logistic(x, y, c))
    cut = speech_threshold(speech, lexicon, outputs) if speech is not None else 1.0
    return SelectorExtractor(
        lexicon,
        prior,
        default_prior,
        weights,
        threshold,
        systems,
        time.perf_counter() - start,
        len(y),
        speech,
        cut,
    )


def dev_lexicon(outputs: pd.DataFrame, data_dir: DataDir = None) -> EmotionLexicon:
    """The lexicon calibrated on development outputs only (the default lexicon uses all 30 sets)."""
    check_dev_systems(outputs["system"])
    base = load_lexicon(data_dir, exclude=META_WORDS, calibrate=False)
    rates = label_rates(base, outputs["description"], outputs["labels"])
    return calibrate_lexicon(base, rates, name="dev-split:rate>=0.1,n>=5")


def load_speech_reader(data_dir: DataDir = None) -> SpeechReader:
    """The speech reader fitted on MER2023 ``test3`` (refusing any sample of the gold sets)."""
    from emer.data import load_emer_v1, load_gold_ov_labels, load_mer2023_labels, load_mer2023_transcripts

    gold = set(load_gold_ov_labels(data_dir)["sample"]) | set(load_emer_v1(data_dir)["sample"])
    texts, classes = mer2023_training_rows(
        load_mer2023_labels(data_dir), load_mer2023_transcripts(data_dir), exclude=gold
    )
    return fit_speech_reader(texts, classes)


@cache
def _fitted(root: str) -> SelectorExtractor:
    from emer.data import load_system_outputs

    outputs = load_system_outputs(root)
    outputs = outputs[outputs["system"].isin(DEV_SYSTEMS)]
    return fit_selector(outputs, dev_lexicon(outputs, root), speech=load_speech_reader(root))


def load_selector(data_dir: DataDir = None) -> SelectorExtractor:
    """The default selector, fitted on the development split of the released outputs (cached per folder)."""
    from emer.data import data_root

    root, _ = data_root(data_dir)
    return _fitted(str(root))


def feature_weights(selector: SelectorExtractor) -> pd.DataFrame:
    """The fitted weight of each feature (for reading the model)."""
    return pd.DataFrame({"feature": FEATURES, "weight": selector.weights})
