"""Figures of the dataset inspection (notebook 00). Each function returns a matplotlib Figure."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402


def label_frequency_figure(frequency: pd.DataFrame, top: int, title: str):
    """Horizontal bars of the ``top`` most frequent labels."""
    data = frequency.head(top)
    fig, ax = plt.subplots(figsize=(6, 0.22 * len(data) + 1))
    sns.barplot(data=data, y="label", x="samples", color="#4C72B0", ax=ax)
    ax.set(title=title, xlabel="samples carrying the label", ylabel="")
    fig.tight_layout()
    return fig


def labels_per_sample_figure(counts: pd.DataFrame):
    """Histogram of labels per sample; ``counts`` has columns source, labels_per_sample."""
    fig, ax = plt.subplots(figsize=(6, 3.5))
    top = int(counts["labels_per_sample"].max())
    sns.histplot(
        data=counts, x="labels_per_sample", hue="source", discrete=True, multiple="dodge", shrink=0.8, ax=ax
    )
    ax.set(xlabel="labels per sample", ylabel="samples", xticks=range(0, top + 1))
    fig.tight_layout()
    return fig


def description_length_figure(lengths: pd.DataFrame):
    """Box plots of description length by modality part, one panel per language."""
    grid = sns.catplot(
        data=lengths,
        x="part",
        y="length",
        col="language",
        kind="box",
        order=["video", "audio", "text", "whole"],
        sharey=False,
        height=3.5,
        aspect=1.1,
        color="#55A868",
    )
    for ax, language in zip(grid.axes.flat, grid.col_names, strict=True):
        ax.set(title=f"EMER-v2 ({language})", xlabel="", ylabel="words" if language == "en" else "characters")
    grid.figure.tight_layout()
    return grid.figure


SETTING_COLOURS = {"S0": "#8C8C8C", "S1": "#DD8452", "S2": "#4C72B0", "S2-ours": "#55A868"}


def strategy_figure(table: pd.DataFrame, metric: str = "M-avg"):
    """M-avg per system for each subtitle strategy, systems ordered by their best score."""
    order = table.groupby("system")[metric].max().sort_values(ascending=False).index.tolist()
    settings = [s for s in SETTING_COLOURS if s in set(table["setting"])]
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(order) + 1.2))
    sns.barplot(
        data=table,
        y="system",
        x=metric,
        hue="setting",
        order=order,
        hue_order=settings,
        palette=SETTING_COLOURS,
        ax=ax,
    )
    ax.set(xlabel=f"{metric} (%)", ylabel="", title="Subtitle strategies on the emotion-wheel metrics")
    ax.legend(title="strategy", loc="lower right")
    fig.tight_layout()
    return fig


def published_vs_ours_figure(mavg: pd.DataFrame):
    """Published and our M-avg per system, one row each (sorted by the published value); a bar shows our
    interval where ``mavg`` has ``low``/``high`` columns (see ``r2_intervals``)."""
    data = mavg.sort_values(["published", "system"]).reset_index(drop=True)
    y = np.arange(len(data))
    fig, ax = plt.subplots(figsize=(6, 0.38 * len(data) + 1.4))
    if "low" in data and "high" in data:
        ax.hlines(y, data["low"], data["high"], color="#4C72B0", alpha=0.35, linewidth=4, label="interval")
    ax.scatter(data["ours"], y, color="#4C72B0", zorder=3, label="ours")
    ax.scatter(
        data["published"], y, marker="D", facecolor="none", edgecolor="#C44E52", zorder=4, label="published"
    )
    ax.set_yticks(y, data["system"])
    ax.set(xlabel="M-avg (%)", title="OV-MER EW table (S2): published vs recomputed")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig


def accuracy_recall_figure(scores: pd.DataFrame):
    """Accuracy and recall of one-hot labels read as OV predictions, per grouping."""
    long = scores.melt(
        id_vars="grouping", value_vars=["accuracy", "recall"], var_name="score", value_name="value"
    )
    fig, ax = plt.subplots(figsize=(8, 3.6))
    sns.barplot(data=long, x="grouping", y="value", hue="score", palette=["#4C72B0", "#C44E52"], ax=ax)
    ax.set(xlabel="grouping", ylabel="score", ylim=(0, 1), title="MER2023 one-hot labels as OV predictions")
    ax.tick_params(axis="x", rotation=45)
    ax.legend(title="score", loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.tight_layout()
    return fig


def hit_rate_figure(matrix: pd.DataFrame):
    """Heatmap of hit rates (percent), system × setting."""
    data = matrix.set_index("system")
    fig, ax = plt.subplots(figsize=(4.5, 0.4 * len(data) + 1.2))
    sns.heatmap(data, annot=True, fmt=".1f", cmap="Blues", cbar_kws={"label": "hit rate (%)"}, ax=ax)
    ax.set(xlabel="strategy", ylabel="", title="Hit rate of OV labels on MER2023 labels")
    fig.tight_layout()
    return fig


def correlation_heatmap(table: pd.DataFrame, methods: tuple[str, ...] = ("pearson", "kendall")):
    """Heatmaps of system-level r (emotion metrics × matching metrics), one panel per method."""
    rows = list(dict.fromkeys(table["x_metric"]))
    cols = list(dict.fromkeys(table["y_metric"]))
    fig, axes = plt.subplots(1, len(methods), figsize=(4.2 * len(methods) + 1, 0.42 * len(rows) + 1.6))
    for ax, method in zip(list(np.atleast_1d(axes)), methods, strict=True):
        part = table[table["method"] == method].pivot(index="x_metric", columns="y_metric", values="r")
        sns.heatmap(
            part.loc[rows, cols], annot=True, fmt=".2f", vmin=-1, vmax=1, cmap="RdBu_r", cbar=False, ax=ax
        )
        ax.set(title=f"{method} r (systems)", xlabel="matching metric", ylabel="")
        ax.tick_params(axis="x", rotation=45)
    fig.tight_layout()
    return fig
