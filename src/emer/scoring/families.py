"""The metric families of a scorecard, as per-sample *components* and a statistic over their sums.

Every system-level score here is a function of column sums of a per-sample matrix ``X`` (n_samples, c):
the F-score of mean precision and recall over the scored samples is a function of the sums of
``accuracy·scored``, ``recall·scored`` and ``scored``; a hit rate of the sums of ``hit·scored`` and
``scored``; a mean of the sums of ``value`` and ``1``. A :class:`Metric` holds ``X`` and that statistic, so
its value, its bootstrap interval and paired tests between systems all come from one definition
(:mod:`emer.metrics.significance`). EW, set and hit-rate scores are in percent, scaled in the order the
notebooks' tables scale them (EW: the mean of the per-metric percentages; hit rate: 100 × the mean of the
per-wheel rates), so the values are the tables' floats; matching metrics keep their own units.

Choices the field makes silently, exposed as :class:`Choices`:

- ``unmapped``: a predicted label that an EW mapping does not know is ``drop``-ped (the authors) or counted
  as a ``wrong`` class (it stays in |P|, lowering precision);
- ``empty_gold``: a sample whose mapped gold is empty is ``skip``-ped (the authors) or scored ``zero``
  (precision and recall 0);
- ``average``: ``f-of-means`` (F of the mean precision and recall, the authors) or ``mean-of-f``;
- ``neutral`` (hit rate): a one-hot ``neutral`` maps to no wheel class, so its sample is ``skip``-ped (the
  authors; MELD loses 1,256 of 2,610 samples this way), or ``neutral`` is a ``class`` of its own, hit by a
  prediction that names neutral or names nothing;
- ``sentiment``: the ``field`` rule (positive against non-positive: a predicted neutral counts as negative)
  or ``strict`` (a predicted neutral is wrong for either sign); see :mod:`emer.metrics.sentiment`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from emer.labels import IdentityGrouping
from emer.labels.grouping import NeutralClass
from emer.labels.wheel import EW_METRICS, WheelGrouping, wheel_key
from emer.metrics.hitrate import HIT_RATE_METRICS, hit_rate_scores_by_grouping
from emer.metrics.sentiment import RULES, accuracy, sentiment_components, waf
from emer.metrics.sets import set_scores
from emer.metrics.significance import ew_components, mean_components
from emer.metrics.wheel import AVERAGES, EWScorer

Statistic = Callable[[np.ndarray], np.ndarray]
UNMAPPED = ("drop", "wrong")
EMPTY_GOLD = ("skip", "zero")
NEUTRAL = ("skip", "class")
FAMILIES = ("ew", "sets", "hitrate", "sentiment", "matching")
SET_METRICS = ("Accuracy_s", "Recall_s", "Avg")
HIT_METRICS = ("hit rate", "label-space precision", "labels per sample", "classes per sample")
#: A system whose labels map to this many wheel classes per sample or more (the mean over the five level-1
#: wheels), against the one class of a one-hot gold label, is flagged for label flooding: naming many
#: classes raises the hit rate without recognising anything (naming every class hits every sample, at
#: 6-7 classes). The 30 released systems map to 0.7-2.0 classes per sample on OV-MERD, its OV gold to 1.5.
FLOOD_CLASSES = 2.5
SENTIMENT_METRICS = ("sentiment WAF", "sentiment accuracy")
#: The EW scores at level 1 of the five wheels, whose mean is MER-UniBench's OV-MERD+ score (``L1-avg``).
L1_METRICS = tuple(m for m in EW_METRICS if m.endswith("-L1") and m.startswith("W"))


@dataclass(frozen=True)
class Choices:
    unmapped: str = "drop"
    empty_gold: str = "skip"
    average: str = "f-of-means"
    neutral: str = "skip"
    sentiment: str = "field"

    def __post_init__(self) -> None:
        allowed_values = (
            ("unmapped", UNMAPPED),
            ("empty_gold", EMPTY_GOLD),
            ("average", AVERAGES),
            ("neutral", NEUTRAL),
            ("sentiment", RULES),
        )
        for name, allowed in allowed_values:
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, not {getattr(self, name)!r}")


@dataclass(frozen=True)
class Metric:
    """One score of one system: per-sample components ``x`` and the statistic over their column sums."""

    name: str
    family: str
    x: np.ndarray  # (n_samples, c)
    statistic: Statistic
    n_scored: int

    def __post_init__(self) -> None:
        # C order: the column sums then run sample by sample, in the order EWScorer and pandas sum them
        object.__setattr__(self, "x", np.ascontiguousarray(self.x, dtype=float))

    @property
    def value(self) -> float:
        return float(self.statistic(self.x.sum(axis=0)))


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), 0.0)


def mean_of_ratios(k: int, scale: float = 1.0) -> Statistic:
    """Over sums laid out [value·scored (k), scored (k)]: ``scale`` × the mean over k of the ratios."""

    def statistic(sums: np.ndarray) -> np.ndarray:
        return scale * _ratio(sums[..., :k], sums[..., k:]).mean(axis=-1)

    return statistic


def set_accuracy(sums: np.ndarray) -> np.ndarray:
    """Accuracy_s (percent) from sums laid out [acc·scored, rec·scored, scored]."""
    return 100.0 * _ratio(sums[..., 0], sums[..., 2])


def set_recall(sums: np.ndarray) -> np.ndarray:
    """Recall_s (percent) from sums laid out [acc·scored, rec·scored, scored]."""
    return 100.0 * _ratio(sums[..., 1], sums[..., 2])


def set_avg(sums: np.ndarray) -> np.ndarray:
    """Avg (percent) of Accuracy_s and Recall_s from sums laid out [acc·scored, rec·scored, scored]."""
    return 100.0 * (_ratio(sums[..., 0], sums[..., 2]) + _ratio(sums[..., 1], sums[..., 2])) / 2


def _scored_components(values: np.ndarray, scored: np.ndarray) -> np.ndarray:
    return np.where(scored, np.nan_to_num(values), 0.0)


# --- emotion wheel -------------------------------------------------------------------------------------
def ew_sample_arrays(
    scorer: EWScorer,
    labels: Mapping[str, Sequence[str]],
    groupings: Mapping[str, WheelGrouping],
    choices: Choices,
) -> dict[str, np.ndarray]:
    """Per (sample, metric) arrays of one system, samples in ``scorer.samples`` order: n_gold, n_pred,
    n_hit, accuracy, recall, scored (after the unmapped / empty-gold choices)."""
    frame = pd.DataFrame({"sample": list(labels), "labels": [list(v) for v in labels.values()]})
    long = scorer.sample_scores(frame)
    shape = (len(scorer.metrics), len(scorer.samples))

    def grid(column: str) -> np.ndarray:
        return long[column].to_numpy().reshape(shape).T  # (sample, metric)

    n_gold, n_pred, n_hit = (grid(c).astype(np.int64) for c in ("n_gold", "n_pred", "n_hit"))
    if choices.unmapped == "wrong":
        extra = np.zeros_like(n_pred)
        for i, sample in enumerate(scorer.samples):
            keys = {wheel_key(x) for x in labels[sample]}
            for j, metric in enumerate(scorer.metrics):
                extra[i, j] = sum(k not in groupings[metric].mapping for k in keys)
        n_pred = n_pred + extra
    accuracy = _ratio(n_hit, n_pred)
    recall = _ratio(n_hit, n_gold)
    scored = n_gold > 0 if choices.empty_gold == "skip" else np.ones_like(n_gold, dtype=bool)
    return {
        "n_gold": n_gold,
        "n_pred": n_pred,
        "n_hit": n_hit,
        "accuracy": accuracy,
        "recall": recall,
        "scored": scored,
    }


def ew_metrics(arrays: Mapping[str, np.ndarray], metrics: Sequence[str], choices: Choices) -> list[Metric]:
    """The 12 EW scores and M-avg (percent) of one system from :func:`ew_sample_arrays`; they share one
    components array."""
    scored = arrays["scored"]
    x, mavg = ew_components(
        arrays["accuracy"], arrays["recall"], scored, average=choices.average, scale=100.0
    )
    x = np.ascontiguousarray(x)
    out = []
    for j, metric in enumerate(metrics):
        _, statistic = ew_components(
            arrays["accuracy"], arrays["recall"], scored, metric=j, average=choices.average, scale=100.0
        )
        out.append(Metric(metric, "ew", x, statistic, int(scored[:, j].sum())))
    out.append(Metric("M-avg", "ew", x, mavg, int(scored.all(axis=1).sum())))
    level1 = [list(metrics).index(m) for m in L1_METRICS if m in metrics]
    if level1:
        wheels = [out[j].statistic for j in level1]

        def l1_avg(sums: np.ndarray) -> np.ndarray:
            return np.mean([f(sums) for f in wheels], axis=0)

        out.append(Metric("L1-avg", "ew", x, l1_avg, int(scored[:, level1].all(axis=1).sum())))
    return out


def ew_set_rows(arrays: Mapping[str, np.ndarray], metrics: Sequence[str]) -> pd.DataFrame:
    """Accuracy_s, Recall_s and Avg (percent) under each EW grouping, with n_scored."""
    scored = arrays["scored"]
    n = scored.sum(axis=0)
    acc = _ratio(_scored_components(arrays["accuracy"], scored).sum(axis=0), n)
    rec = _ratio(_scored_components(arrays["recall"], scored).sum(axis=0), n)
    return pd.DataFrame(
        {
            "grouping": list(metrics),
            "Accuracy_s": 100 * acc,
            "Recall_s": 100 * rec,
            "Avg": 100 * (acc + rec) / 2,
            "n_scored": n,
        }
    )


# --- set metrics without grouping ----------------------------------------------------------------------
def identity_set_metrics(
    gold: Mapping[str, Sequence[str]], labels: Mapping[str, Sequence[str]], choices: Choices
) -> tuple[list[Metric], pd.DataFrame]:
    """Accuracy_s, Recall_s and Avg with every (normalised) label standing for itself."""
    keyed = {s: [wheel_key(x) for x in v] for s, v in labels.items()}
    gold_keyed = {s: [wheel_key(x) for x in v] for s, v in gold.items()}
    scores = set_scores(gold_keyed, keyed, IdentityGrouping(), chinese="keep")
    skip = choices.empty_gold == "skip"
    scored = ~scores["skipped"].to_numpy(bool) if skip else np.ones(len(scores), dtype=bool)
    acc = _scored_components(scores["accuracy"].to_numpy(float), scored)
    rec = _scored_components(scores["recall"].to_numpy(float), scored)
    x = np.column_stack([acc, rec, scored.astype(float)])
    n = int(scored.sum())
    metrics = [
        Metric("Accuracy_s", "sets", x, set_accuracy, n),
        Metric("Recall_s", "sets", x, set_recall, n),
        Metric("Avg", "sets", x, set_avg, n),
    ]
    return metrics, scores


# --- hit rate on a one-hot label -----------------------------------------------------------------------
def hit_rate_metric(
    onehot: Mapping[str, str],
    labels: Mapping[str, Sequence[str]],
    groupings: Mapping[str, WheelGrouping],
    neutral: str = "skip",
) -> tuple[list[Metric], pd.DataFrame]:
    """Hit rate of the OV labels on the one-hot label (the mean over the five wheels at level 1), with what
    can game it beside: the authors' label-space precision (hits over the predicted classes that are in the
    dataset's label space), the number of distinct labels predicted per sample and the number of wheel
    classes they map to (per sample, the mean over the five wheels; see :data:`FLOOD_CLASSES`)."""
    wheels = {m: NeutralClass(groupings[m]) if neutral == "class" else groupings[m] for m in HIT_RATE_METRICS}
    per_wheel = hit_rate_scores_by_grouping(onehot, labels, wheels, chinese="keep")
    scored = np.column_stack([~per_wheel[m]["skipped"].to_numpy(bool) for m in HIT_RATE_METRICS])
    hits = np.column_stack([per_wheel[m]["hit"].to_numpy(float) for m in HIT_RATE_METRICS])
    precision = np.column_stack(
        [per_wheel[m]["label_space_precision"].to_numpy(float) for m in HIT_RATE_METRICS]
    )
    table = per_wheel[HIT_RATE_METRICS[0]][["sample", "gold_label"]].copy()
    for j, m in enumerate(HIT_RATE_METRICS):
        table[f"hit {m}"] = np.where(scored[:, j], hits[:, j], np.nan)
    statistic = mean_of_ratios(len(HIT_RATE_METRICS), scale=100.0)
    n_scored = int(scored.any(axis=1).sum())
    x_hit = np.hstack([_scored_components(hits, scored), scored.astype(float)])
    x_precision = np.hstack([_scored_components(precision, scored), scored.astype(float)])
    counts = np.array([len({wheel_key(x) for x in labels[s]}) for s in table["sample"].tolist()], dtype=float)
    x_count, mean_count = mean_components(counts)
    classes = np.column_stack([per_wheel[m]["n_pred"].to_numpy(float) for m in HIT_RATE_METRICS]).mean(axis=1)
    x_classes, mean_classes = mean_components(classes)
    metrics = [
        Metric("hit rate", "hitrate", x_hit, statistic, n_scored),
        Metric("label-space precision", "hitrate", x_precision, statistic, n_scored),
        Metric("labels per sample", "hitrate", x_count, mean_count, len(counts)),
        Metric("classes per sample", "hitrate", x_classes, mean_classes, len(classes)),
    ]
    return metrics, table


def flooding(classes_per_sample: Mapping[str, float]) -> dict[str, float]:
    """The systems (name -> mapped classes per sample) at or above :data:`FLOOD_CLASSES`."""
    return {name: value for name, value in classes_per_sample.items() if value >= FLOOD_CLASSES}


def flooding_note(flagged: Mapping[str, float]) -> str:
    """The scorecard note on flagged systems."""
    names = ", ".join(f"{name} ({value:.1f})" for name, value in sorted(flagged.items()))
    return (
        f"Label flooding: {names} map to {FLOOD_CLASSES:g} or more wheel classes per sample against the one "
        "class of the one-hot gold; naming many classes raises the hit rate without recognising the emotion "
        "(naming every class hits every sample), so compare these systems by label-space precision, not by "
        "hit rate."
    )


# --- sentiment -----------------------------------------------------------------------------------------
def sentiment_metrics(
    valence: Mapping[str, float], predicted: Mapping[str, str | None], rule: str = "field"
) -> tuple[list[Metric], pd.DataFrame]:
    """Sentiment WAF and accuracy (percent) of predicted sentiments against the continuous gold."""
    x, table = sentiment_components(valence, predicted)
    n = int(table["scored"].sum())
    metrics = [
        Metric("sentiment WAF", "sentiment", x, waf(rule), n),
        Metric("sentiment accuracy", "sentiment", x, accuracy(rule), n),
    ]
    return metrics, table


# --- matching metrics ----------------------------------------------------------------------------------
def matching_metrics(per_sample: pd.DataFrame, columns: Sequence[str]) -> list[Metric]:
    """Mean of each per-sample matching metric (rows of one system, in sample order); a metric with no
    value (the similarity of Chinese text) is left out."""
    out = []
    for column in columns:
        values = per_sample[column].to_numpy(float)
        present = ~np.isnan(values)
        if present.any():
            x, statistic = mean_components(values, present)
            out.append(Metric(column, "matching", x, statistic, int(present.sum())))
    return out


EW_ORDER = [*EW_METRICS, "M-avg", "L1-avg"]
