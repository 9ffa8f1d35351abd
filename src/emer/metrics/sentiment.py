"""Sentiment scores of MER-UniBench: a predicted positive / negative / neutral against a continuous gold.

The field's rule (AffectGPT's MER-UniBench scorer, ``rule="field"``): samples whose gold is exactly 0 are
left out; the rest are scored as *positive* (gold > 0) against *non-positive*, so a predicted ``neutral``,
or an answer that is none of the three words, counts as non-positive; the headline is the weighted F1
over the two classes (WAF, weights = gold support), with accuracy beside it.

``rule="strict"`` keeps the three predicted classes apart: the gold sign is positive or negative, and a
predicted ``neutral`` (or an unreadable answer) is wrong for either sign instead of counting as negative;
WAF is the support-weighted F1 of the positive and the negative class.

Every score is a function of column sums of per-sample indicator *components* (six columns: gold sign ×
predicted class), so intervals and paired tests come from the same definition
(:mod:`emer.metrics.significance`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from emer.metrics.checks import LabelInputError, known_samples

SENTIMENTS = ("positive", "negative", "neutral")
RULES = ("field", "strict")
#: Component columns: gold positive / negative × predicted positive / negative / other (neutral, unread).
COMPONENTS = ("pos_pos", "pos_neg", "pos_other", "neg_pos", "neg_neg", "neg_other")

Statistic = Callable[[np.ndarray], np.ndarray]


def sentiment_components(
    gold: Mapping[str, float], predicted: Mapping[str, str | None]
) -> tuple[np.ndarray, pd.DataFrame]:
    """Components (n_samples, 6), samples in sorted order, and the per-sample table.

    ``predicted`` maps every gold sample to ``positive``, ``negative``, ``neutral`` or None (an answer that
    could not be read). A sample whose gold is 0 has no component (it is not scored).
    """
    missing = sorted(set(gold) - set(predicted))
    if missing:
        raise KeyError(f"{len(missing)} gold sample(s) have no predicted sentiment, first {missing[:3]}")
    bad = sorted(s for s in gold if predicted[s] not in (*SENTIMENTS, None))
    if bad:
        raise ValueError(
            f"sample {bad[0]}: predicted sentiment {predicted[bad[0]]!r} is not one of {SENTIMENTS}"
        )
    samples = sorted(gold)
    values = np.array([float(gold[s]) for s in samples], dtype=float)
    guesses = [predicted[s] for s in samples]
    column = np.array([{"positive": 0, "negative": 1}.get(g or "", 2) for g in guesses], dtype=int)
    scored = (values > 0) | (values < 0)
    signs = np.where(values > 0, "positive", np.where(values < 0, "negative", "zero (not scored)"))
    x = np.zeros((len(samples), len(COMPONENTS)))
    rows = np.flatnonzero(scored)
    x[rows, column[rows] + np.where(values[rows] > 0, 0, 3)] = 1.0
    table = pd.DataFrame(
        {
            "sample": samples,
            "gold_value": values,
            "gold_sign": signs.tolist(),
            "predicted": [g if g is not None else "unreadable" for g in guesses],
            "scored": scored,
        }
    )
    return x, table


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), 0.0)


def _counts(sums: np.ndarray, rule: str) -> tuple[np.ndarray, ...]:
    """(tp, fp, fn) of the positive and of the second class, their supports, and the correct count."""
    a, b, c, d, e, f = (sums[..., k] for k in range(6))
    if rule == "field":  # second class: non-positive (negative, neutral and unread together)
        second = (e + f, d, b + c)
        correct = a + e + f
    else:  # second class: negative; neutral and unread predictions are wrong for either sign
        second = (e, b, d + f)
        correct = a + e
    return (a, d, b + c), second, a + b + c, d + e + f, correct


def waf(rule: str = "field", scale: float = 100.0) -> Statistic:
    """Weighted F1 (the support-weighted mean of the two classes' F1) from summed components."""
    _check(rule)

    def statistic(sums: np.ndarray) -> np.ndarray:
        sums = np.asarray(sums, dtype=float)
        (tp1, fp1, fn1), (tp2, fp2, fn2), n1, n2, _ = _counts(sums, rule)
        f1 = _ratio(2 * tp1, 2 * tp1 + fp1 + fn1)
        f2 = _ratio(2 * tp2, 2 * tp2 + fp2 + fn2)
        return scale * _ratio(n1 * f1 + n2 * f2, n1 + n2)

    return statistic


def accuracy(rule: str = "field", scale: float = 100.0) -> Statistic:
    """Share of scored samples whose predicted class is the gold's (under ``rule``)."""
    _check(rule)

    def statistic(sums: np.ndarray) -> np.ndarray:
        sums = np.asarray(sums, dtype=float)
        *_, n1, n2, correct = _counts(sums, rule)
        return scale * _ratio(correct, n1 + n2)

    return statistic


def _check(rule: str) -> None:
    if rule not in RULES:
        raise ValueError(f"sentiment rule must be one of {RULES}, not {rule!r}")


def sentiment_value(prediction: object) -> int:
    """The field's numeric reading of a prediction: 1 ``positive``, -1 ``negative``, 0 ``neutral`` and
    anything else (None, ``mixed`` ...); a number gives its sign."""
    if isinstance(prediction, bool):
        raise TypeError(f"a sentiment prediction is a word or a number, not {prediction!r}")
    if isinstance(prediction, int | float | np.integer | np.floating):
        value = float(prediction)
        return 0 if value != value else (value > 0) - (value < 0)
    return {"positive": 1, "negative": -1, "neutral": 0}.get(str(prediction), 0)


def sentiment_scores(
    gold: Mapping[str, float], predicted: Mapping[str, object], rule: str = "field"
) -> dict[str, float | int]:
    """WAF and accuracy (fractions) of ``predicted`` (sample -> a sentiment word as written, a number or
    None) on ``gold`` (sample -> continuous value), with n_scored, n_zero (gold exactly 0, left out) and
    n_unparsable (predictions that are none of the three words nor a number: non-positive)."""
    known_samples(gold, predicted)
    missing = sorted(set(gold) - set(predicted))
    if missing:
        raise LabelInputError(
            f"{len(missing)} gold sample(s) have no sentiment prediction, first {missing[:3]}; "
            "give one per gold sample"
        )
    bad = sorted(s for s, v in gold.items() if not _finite(v))
    if bad:
        raise LabelInputError(f"sample {bad[0]}: the value {gold[bad[0]]} is not a finite number")
    words = {s: _word(predicted[s]) for s in gold}
    x, table = sentiment_components(gold, words)
    sums = x.sum(axis=0)
    scored = set(table.loc[table["scored"], "sample"])
    return {
        "waf": float(waf(rule, scale=1.0)(sums)),
        "accuracy": float(accuracy(rule, scale=1.0)(sums)),
        "n_scored": len(scored),
        "n_zero": len(gold) - len(scored),
        "n_unparsable": sum(words[s] is None for s in scored),
    }


def _word(prediction: object) -> str | None:
    if isinstance(prediction, str):
        return prediction if prediction in SENTIMENTS else None
    if prediction is None:
        return None
    return {1: "positive", -1: "negative", 0: "neutral"}[sentiment_value(prediction)]


def _finite(value: object) -> bool:
    try:
        return not isinstance(value, bool) and bool(np.isfinite(float(value)))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
