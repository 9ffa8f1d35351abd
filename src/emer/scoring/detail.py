"""The per-sample detail of a scorecard (``tables/per_sample.csv``): why each label did or did not count."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from emer.labels.wheel import WheelGrouping, wheel_key
from emer.metrics.hitrate import HIT_RATE_METRICS
from emer.metrics.wheel import EWScorer


def ew_detail(
    scorer: EWScorer,
    gold: Mapping[str, list[str]],
    groupings: Mapping[str, WheelGrouping],
    labels: Mapping[str, list[str]],
    arrays: Mapping[str, np.ndarray],
) -> pd.DataFrame:
    """Per sample and EW metric: mapped gold and predicted classes, dropped labels, counts, scores."""
    samples = scorer.samples
    gold_keys = [[wheel_key(x) for x in gold[s]] for s in samples]
    pred_keys = [[wheel_key(x) for x in labels[s]] for s in samples]

    def classes(keys: list[str], mapping: Mapping[str, str]) -> str:
        return "; ".join(sorted({mapping[k] for k in keys if k in mapping}))

    columns: dict[str, list] = {name: [] for name in ("gold_classes", "predicted_classes", "dropped")}
    for metric in scorer.metrics:
        mapping = groupings[metric].mapping
        columns["gold_classes"] += [classes(k, mapping) for k in gold_keys]
        columns["predicted_classes"] += [classes(k, mapping) for k in pred_keys]
        columns["dropped"] += [
            "; ".join(dict.fromkeys(x for x, k in zip(labels[s], keys, strict=True) if k not in mapping))
            for s, keys in zip(samples, pred_keys, strict=True)
        ]
    n_metrics = len(scorer.metrics)
    scored = arrays["scored"].T.ravel()

    def by_metric(name: str) -> np.ndarray:
        return arrays[name].T.ravel()  # (sample, metric) -> rows ordered metric, then sample

    return pd.DataFrame(
        {
            "sample": list(samples) * n_metrics,
            "metric": [m for m in scorer.metrics for _ in samples],
            "gold_labels": ["; ".join(gold[s]) for s in samples] * n_metrics,
            "gold_classes": columns["gold_classes"],
            "labels": ["; ".join(labels[s]) for s in samples] * n_metrics,
            "predicted_classes": columns["predicted_classes"],
            "dropped": columns["dropped"],
            "n_gold": by_metric("n_gold"),
            "n_pred": by_metric("n_pred"),
            "n_hit": by_metric("n_hit"),
            "accuracy": np.where(scored, by_metric("accuracy"), np.nan),
            "recall": np.where(scored, by_metric("recall"), np.nan),
            "scored": scored,
        }
    )


def hit_detail(
    per_sample: pd.DataFrame, groupings: Mapping[str, WheelGrouping], labels: Mapping[str, list[str]]
) -> pd.DataFrame:
    out = per_sample.copy()
    for m in HIT_RATE_METRICS:
        grouping = groupings[m]
        out[f"gold_class {m}"] = [grouping.map_label(g) or "" for g in out["gold_label"]]
        out[f"predicted_classes {m}"] = [
            "; ".join(sorted(grouping.canonical(labels[s]))) for s in out["sample"]
        ]
    return out
