"""Figures of the dataset inspection (notebook 00). Each function returns a matplotlib Figure."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
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
