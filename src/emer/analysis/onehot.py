"""One-hot (MER2023) labels against open-vocabulary labels (notebook 06)."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from emer.labels.grouping import Grouping
from emer.metrics.hitrate import hit_rate_table
from emer.metrics.sets import set_scores, summarise_set_scores


def onehot_gold(mer2023: pd.DataFrame, samples: list[str]) -> dict[str, str]:
    """sample -> MER2023 label for ``samples`` (every one must have a label)."""
    labels = mer2023.drop_duplicates("sample").set_index("sample")["label"]
    missing = sorted(set(samples) - set(labels.index))
    if missing:
        raise KeyError(f"{len(missing)} sample(s) have no MER2023 label, first {missing[:3]}")
    return {s: labels[s] for s in sorted(samples)}


def onehot_as_prediction(
    gold_ov: pd.DataFrame, onehot: Mapping[str, str], groupings: Mapping[str, Grouping]
) -> pd.DataFrame:
    """The one-hot label read as a one-label prediction of the OV labels, scored under each grouping.

    Columns: grouping, accuracy, recall, avg, f1, n_scored, n_skipped.
    """
    gold = dict(zip(gold_ov["sample"], gold_ov["labels"], strict=True))
    pred = {sample: [onehot[sample]] for sample in gold}
    rows = [
        {"grouping": name, **summarise_set_scores(set_scores(gold, pred, grouping))}
        for name, grouping in groupings.items()
    ]
    return pd.DataFrame(rows)


def system_hit_rates(
    outputs: pd.DataFrame, onehot: Mapping[str, str], groupings: Mapping[str, Grouping]
) -> pd.DataFrame:
    """Hit rate of every (system, setting)'s OV labels against the one-hot label, per grouping + mean."""
    frame = outputs[["system", "setting", "sample", "labels"]]
    return hit_rate_table(dict(onehot), frame, groupings, chinese="keep")  # released labels, as scored


def hit_rate_matrix(hit_rates: pd.DataFrame, metric: str = "mean") -> pd.DataFrame:
    """system × setting hit rates (percent) for one grouping (default: the mean over groupings)."""
    part = hit_rates[hit_rates["metric"] == metric]
    wide = part.pivot(index="system", columns="setting", values="hit_rate") * 100
    wide.columns.name = None
    return wide.reset_index()
