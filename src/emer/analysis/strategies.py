"""Subtitle strategies (S0/S1/S2) and the MLLM benchmark on the emotion-wheel metrics (notebooks 02, 04)."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from scipy import stats

from emer.labels.wheel import EW_METRICS, WheelGrouping, label_losses
from emer.metrics.wheel import EWScorer, ew_table

EW_COLUMNS = [*EW_METRICS, "M-avg"]


def gold_map(gold: pd.DataFrame) -> dict[str, list[str]]:
    """sample -> labels of a gold table (``load_gold_ov_labels``)."""
    return dict(zip(gold["sample"], gold["labels"], strict=True))


def strategy_table(
    outputs: pd.DataFrame, gold: pd.DataFrame, groupings: Mapping[str, WheelGrouping]
) -> pd.DataFrame:
    """EW table (percent): one row per (system, setting), columns M1 … W5-L2, M-avg."""
    scorer = EWScorer(
        gold_map(gold), groupings, chinese="keep"
    )  # released labels, as the authors scored them
    table = ew_table(scorer.system_scores(outputs[["system", "setting", "sample", "labels"]]))
    return table.sort_values(["system", "setting"], ignore_index=True)


def strategy_winners(table: pd.DataFrame) -> pd.DataFrame:
    """Per system: M-avg of each setting, the best setting and its margin over the runner-up."""
    wide = table.pivot(index="system", columns="setting", values="M-avg")
    out = wide.copy()
    out["best"] = wide.idxmax(axis=1)
    out["margin"] = wide.max(axis=1) - wide.apply(lambda row: row.nlargest(2).iloc[-1], axis=1)
    out.columns.name = None
    return out.reset_index()


def winner_counts(winners: pd.DataFrame) -> pd.DataFrame:
    """How many systems each setting wins."""
    counts = winners["best"].value_counts().rename_axis("setting").rename("systems won").reset_index()
    return counts.sort_values(["systems won", "setting"], ascending=[False, True], ignore_index=True)


def loss_summary(outputs: pd.DataFrame, groupings: Mapping[str, WheelGrouping]) -> pd.DataFrame:
    """Labels each (system, setting) loses to the EW mappings: the count per metric, the share lost by
    M1 (a label unknown to the word-form table is lost by every metric) and the most frequent of those."""
    losses = label_losses(outputs, groupings, chinese="keep").set_index(["system", "setting"])
    wide = losses.pivot(columns="metric", values="n_dropped")[list(groupings)]
    wide.columns = [f"dropped {m}" for m in wide.columns]
    m1 = losses[losses["metric"] == "M1"]
    wide.insert(0, "n_labels", m1["n_labels"])
    wide["share dropped M1"] = m1["share_dropped"]
    wide["most dropped (M1)"] = m1["dropped"].map(lambda items: ", ".join(items[:5]))
    return wide.reset_index()


def benchmark_comparison(report: pd.DataFrame) -> pd.DataFrame:
    """Wide published / ours / delta table: one row per (system, row kind), one column per R2 metric."""
    long = report.melt(
        id_vars=["system", "metric"],
        value_vars=["published", "ours", "delta"],
        var_name="row",
        value_name="v",
    )
    wide = long.pivot(index=["system", "row"], columns="metric", values="v")
    wide = wide[[c for c in EW_COLUMNS if c in wide.columns]]
    wide.columns.name = None
    order = {"published": 0, "ours": 1, "delta": 2}
    wide = wide.reset_index()
    wide["_order"] = wide["row"].map(order)
    return wide.sort_values(["system", "_order"]).drop(columns="_order").reset_index(drop=True)


def rank_agreement(report: pd.DataFrame) -> pd.DataFrame:
    """Spearman and Kendall rank correlation of published vs ours, per R2 metric (M-avg first)."""
    rows = []
    metrics = ["M-avg", *[m for m in EW_METRICS if m in set(report["metric"])]]
    for metric in metrics:
        part = report[report["metric"] == metric].sort_values("system")
        spearman = stats.spearmanr(part["published"], part["ours"])
        kendall = stats.kendalltau(part["published"], part["ours"])
        rows.append(
            {
                "metric": metric,
                "systems": len(part),
                "spearman": float(spearman.statistic),
                "spearman_p": float(spearman.pvalue),
                "kendall": float(kendall.statistic),
                "kendall_p": float(kendall.pvalue),
                "mean_abs_delta": float(part["delta"].abs().mean()),
                "max_abs_delta": float(part["delta"].abs().max()),
            }
        )
    return pd.DataFrame(rows)


def label_counts(outputs: pd.DataFrame, labels: list[str]) -> pd.DataFrame:
    """How often each of ``labels`` occurs in each (system, setting)'s predictions, and all labels."""
    exploded = outputs[["system", "setting", "labels"]].explode("labels").dropna(subset=["labels"])
    counts = exploded.groupby(["system", "setting"])["labels"].agg(
        **{"all labels": "size"}, **{label: lambda s, w=label: int((s == w).sum()) for label in labels}
    )
    return counts.reset_index()
