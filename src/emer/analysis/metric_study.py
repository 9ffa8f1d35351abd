"""Emotion-based metrics per sample, and their per-system aggregation, for the metric-correlation study
(notebook 05).

Per sample and system the table holds what every emotion-based metric needs: set precision/recall under
no grouping (``set acc`` / ``set rec``), precision/recall under each emotion-wheel grouping
(``P <metric>`` / ``R <metric>``, NaN where the mapped gold set is empty) and the one-hot hit under each
wheel-level-1 grouping (``hit <metric>``, NaN where the one-hot label maps nowhere). :class:`EmotionAggregate`
turns any selection of those rows (a bootstrap draw included) into the per-system metrics exactly as the
tables of notebooks 02 and 06 define them: EW columns are F-scores of the mean precision and recall.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from emer.labels.grouping import IdentityGrouping
from emer.labels.wheel import EW_METRICS, WheelGrouping
from emer.metrics.hitrate import HIT_RATE_METRICS, hit_rate_scores
from emer.metrics.sets import set_scores
from emer.metrics.wheel import EWScorer

KEYS = ["system", "setting"]
#: Per-system emotion-based metrics, in table order.
EMOTION_METRICS = ["set accuracy", "set recall", "set avg", *EW_METRICS, "M-avg", "hit rate"]


def _f_score(precision: np.ndarray, recall: np.ndarray) -> np.ndarray:
    total = precision + recall
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, 2 * precision * recall / np.where(total > 0, total, 1), 0.0)


def emotion_sample_table(
    outputs: pd.DataFrame,
    gold_labels: Mapping[str, Sequence[str]],
    onehot: Mapping[str, str],
    wheels: Mapping[str, WheelGrouping],
) -> pd.DataFrame:
    """One row per (system, setting, sample) with the per-sample inputs of every emotion-based metric."""
    keyed = outputs[[*KEYS, "sample", "labels"]].sort_values([*KEYS, "sample"], ignore_index=True)
    ew = EWScorer(gold_labels, wheels, chinese="keep").sample_scores(keyed)  # released labels
    ew = ew.assign(precision=ew["accuracy"].where(~ew["skipped"]), recall=ew["recall"].where(~ew["skipped"]))
    wide = ew.pivot(index=[*KEYS, "sample"], columns="metric", values=["precision", "recall"])
    wide.columns = [f"{'P' if kind == 'precision' else 'R'} {metric}" for kind, metric in wide.columns]
    wide = wide[[f"{k} {m}" for m in EW_METRICS for k in ("P", "R")]].reset_index()
    extra = []
    for (system, setting), part in keyed.groupby(KEYS, sort=True):
        by_sample = dict(zip(part["sample"], part["labels"], strict=True))
        plain = set_scores(gold_labels, by_sample, IdentityGrouping(), chinese="keep").set_index("sample")
        columns = {
            "set acc": plain["accuracy"],
            "set rec": plain["recall"],
            **_hits(by_sample, onehot, wheels),
        }
        frame = pd.DataFrame(columns).reset_index()
        frame.insert(0, "setting", setting)
        frame.insert(0, "system", system)
        extra.append(frame)
    return wide.merge(pd.concat(extra, ignore_index=True), on=[*KEYS, "sample"], how="left", validate="1:1")


def _hits(
    by_sample: Mapping[str, Sequence[str]], onehot: Mapping[str, str], wheels: Mapping[str, WheelGrouping]
) -> dict[str, pd.Series]:
    """Per-sample one-hot hits (NaN where skipped) under each wheel-level-1 grouping, by column name."""
    return {
        f"hit {m}": hit_rate_scores(dict(onehot), by_sample, wheels[m], chinese="keep").set_index("sample")[
            "hit"
        ]
        for m in HIT_RATE_METRICS
    }


def ew_sample_f(samples: pd.DataFrame) -> pd.Series:
    """Per-sample F-score averaged over the EW metrics that can score the sample (a per-sample M-avg)."""
    f = np.stack(
        [_f_score(samples[f"P {m}"].to_numpy(float), samples[f"R {m}"].to_numpy(float)) for m in EW_METRICS],
        1,
    )
    f[np.isnan(samples[[f"P {m}" for m in EW_METRICS]].to_numpy(float))] = np.nan
    with np.errstate(invalid="ignore"):
        return pd.Series(np.nanmean(np.where(np.isnan(f), np.nan, f), axis=1), index=samples.index)


class EmotionAggregate:
    """Per-system emotion-based metrics (fractions, except EW columns and M-avg in percent, as published)."""

    def __call__(self, samples: pd.DataFrame) -> pd.DataFrame:
        means = samples.groupby(KEYS, sort=True).mean(numeric_only=True)
        out = pd.DataFrame(index=means.index)
        out["set accuracy"] = means["set acc"]
        out["set recall"] = means["set rec"]
        out["set avg"] = (out["set accuracy"] + out["set recall"]) / 2
        for metric in EW_METRICS:
            out[metric] = 100 * _f_score(means[f"P {metric}"].to_numpy(), means[f"R {metric}"].to_numpy())
        out["M-avg"] = out[list(EW_METRICS)].mean(axis=1)
        out["hit rate"] = means[[f"hit {m}" for m in HIT_RATE_METRICS]].mean(axis=1)
        return out.reset_index()

    def __repr__(self) -> str:
        return "EmotionAggregate()"


def correlation_strength(table: pd.DataFrame, weak: float = 0.3, strong: float = 0.7) -> pd.DataFrame:
    """Per method: how many (emotion, matching) pairs are weak (|r| < ``weak``), moderate or strong
    (|r| ≥ ``strong``), the median r, and how many 95% intervals contain 0 (when the table has them)."""
    rows = []
    for method, part in table.groupby("method", sort=False):
        r = part["r"].to_numpy(float)
        r = r[np.isfinite(r)]
        row = {
            "method": method,
            "pairs": len(r),
            "median r": float(np.median(r)) if len(r) else float("nan"),
            "weak": int((np.abs(r) < weak).sum()),
            "moderate": int(((np.abs(r) >= weak) & (np.abs(r) < strong)).sum()),
            "strong": int((np.abs(r) >= strong).sum()),
        }
        if "ci_low" in part:
            row["CI contains 0"] = int(((part["ci_low"] <= 0) & (part["ci_high"] >= 0)).sum())
        rows.append(row)
    return pd.DataFrame(rows)


def hit_sample_table(
    outputs: pd.DataFrame, onehot: Mapping[str, str], wheels: Mapping[str, WheelGrouping]
) -> pd.DataFrame:
    """Per (system, setting, sample): the one-hot hit averaged over the wheel-level-1 groupings that can
    map the one-hot label (column ``hit rate``; its mean over samples is a system's hit rate)."""
    frames = []
    for (system, setting), part in outputs.groupby(KEYS, sort=True):
        by_sample = dict(zip(part["sample"], part["labels"], strict=True))
        hits = pd.DataFrame(_hits(by_sample, onehot, wheels))
        frame = hits.mean(axis=1).rename("hit rate").rename_axis("sample").reset_index()
        frame.insert(0, "setting", setting)
        frame.insert(0, "system", system)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def extract_system_labels(runner, outputs: pd.DataFrame) -> pd.DataFrame:
    """``outputs`` (system, setting, sample, language, description) with OV labels extracted from each
    description by ``runner`` (an :mod:`emer.llm` runner); failed or malformed extractions give ``[]``."""
    from emer.llm.tasks import extract_ov_labels, labels_or_empty

    frames = []
    for _, part in outputs.groupby(KEYS, sort=True):
        texts = part.assign(text=part["description"])[["sample", "text", "language"]]
        labels = labels_or_empty(extract_ov_labels(runner, texts))
        frames.append(part.assign(labels=part["sample"].map(labels)))
    return pd.concat(frames, ignore_index=True)
