"""Sentiment scores of MER-UniBench (CMU-MOSI, CMU-MOSEI, CH-SIMS, CH-SIMS v2), as the field computes them.

The gold label is a continuous sentiment value; a prediction is one of positive / negative / neutral.
Samples whose gold value is exactly 0 are left out. Every other sample is scored as positive (gold > 0,
prediction ``positive``) against non-positive: a negative, a neutral and an unparsable prediction all
count as non-positive. The headline is the weighted F1 over the two classes (``WAF``: each class's F1
weighted by its share of the gold labels, scikit-learn's ``average="weighted"``); accuracy beside it.
Scores are fractions in [0, 1].
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from emer.metrics.checks import LabelInputError, known_samples

#: A prediction's numeric reading (the field's): anything else counts as 0.
SENTIMENT_VALUES: Mapping[str, int] = {"positive": 1, "negative": -1, "neutral": 0}


def sentiment_value(prediction: Any) -> int:
    """1 for ``positive``, -1 for ``negative``, 0 for ``neutral`` and anything else (None, "mixed" ...);
    a number gives its sign."""
    if isinstance(prediction, bool):
        raise TypeError(f"a sentiment prediction is a word or a number, not {prediction!r}")
    if isinstance(prediction, int | float | np.integer | np.floating):
        value = float(prediction)
        return 0 if value != value else (value > 0) - (value < 0)
    return SENTIMENT_VALUES.get(str(prediction), 0) if prediction is not None else 0


def _finite(value: Any) -> bool:
    try:
        return bool(np.isfinite(float(value))) and not isinstance(value, bool)
    except (TypeError, ValueError):
        return False


def weighted_f1(gold: Sequence[bool], predicted: Sequence[bool]) -> float:
    """Weighted F1 of two classes (True, False): each class present in ``gold`` or ``predicted`` scores
    its F1 (0 when it is never predicted or never true), weighted by its count in ``gold``."""
    g = np.asarray(gold, dtype=bool)
    p = np.asarray(predicted, dtype=bool)
    if g.shape != p.shape or g.ndim != 1:
        raise ValueError(f"gold and predicted need the same 1-d shape, not {g.shape} and {p.shape}")
    if not len(g):
        return float("nan")
    total = 0.0
    for cls in (True, False):
        support = int(np.sum(g == cls))
        if not support:
            continue
        tp = int(np.sum((g == cls) & (p == cls)))
        pred_n = int(np.sum(p == cls))
        f1 = 2 * tp / (support + pred_n) if support + pred_n else 0.0
        total += support * f1
    return total / len(g)


def sentiment_scores(gold: Mapping[str, float], predicted: Mapping[str, Any]) -> dict[str, float | int]:
    """WAF and accuracy of ``predicted`` (sample -> a sentiment word, a number or None) on ``gold``
    (sample -> continuous value). Every gold sample needs a prediction.

    Returns waf, accuracy, n_scored, n_zero (gold exactly 0, left out), n_unparsable (predictions other
    than the three words and numbers, counted as non-positive).
    """
    known_samples(gold, predicted)
    missing = sorted(set(gold) - set(predicted))
    if missing:
        raise LabelInputError(
            f"{len(missing)} gold sample(s) have no sentiment prediction, first {missing[:3]}; "
            "give one for every sample (an unparsable answer counts as non-positive)"
        )
    bad = sorted(s for s, v in gold.items() if not _finite(v))
    if bad:
        raise LabelInputError(f"gold sample {bad[0]}: the value {gold[bad[0]]!r} is not a finite number")
    scored = sorted(s for s, v in gold.items() if float(v) != 0)
    truth = [float(gold[s]) > 0 for s in scored]
    guess = [sentiment_value(predicted[s]) > 0 for s in scored]
    unparsable = sum(
        1
        for s in scored
        if not isinstance(predicted[s], int | float | np.integer | np.floating)
        and str(predicted[s]) not in SENTIMENT_VALUES
    )
    return {
        "waf": weighted_f1(truth, guess),
        "accuracy": float(np.mean(np.equal(truth, guess))) if scored else float("nan"),
        "n_scored": len(scored),
        "n_zero": len(gold) - len(scored),
        "n_unparsable": unparsable,
    }
