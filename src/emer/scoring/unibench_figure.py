"""The figure of MER-UniBench by checkpoint: what choosing the checkpoint on the test labels adds."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from emer.data.datasets import UNIBENCH_ORDER


def _short(checkpoint: str) -> str:
    """A checkpoint's tick label: its first number (``checkpoint_000030_loss_0.602`` -> ``30``)."""
    number = re.search(r"\d+", checkpoint)
    return str(int(number.group())) if number else checkpoint[:8]


def checkpoint_figure(checkpoints: pd.DataFrame):
    """Headline by checkpoint (``Unibench.headline_checkpoints()``), one panel per dataset: each system's
    curve, its last checkpoint and the best one on the test labels marked, so the gain of choosing on the
    test labels shows."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = checkpoints
    datasets = [d for d in UNIBENCH_ORDER if d in set(data["dataset"])]
    fig, axes = plt.subplots(1, len(datasets), figsize=(3.2 * len(datasets), 3.0), squeeze=False)
    for ax, dataset in zip(axes[0], datasets, strict=True):
        part = data[data["dataset"] == dataset]
        for system, rows in part.groupby("system", sort=False):
            x = np.arange(len(rows))
            ax.plot(x, rows["value"], marker="o", ms=3, label=system)
            ax.set_xticks(x, [_short(c) for c in rows["checkpoint"]])
            best = int(np.argmax(rows["value"].to_numpy()))
            ax.scatter([best], [rows["value"].iloc[best]], s=60, facecolors="none", edgecolors="black")
            ax.axhline(rows["value"].iloc[-1], color="grey", lw=0.6, ls=":")
        ax.set_title(f"{dataset} ({part['metric'].iloc[0]})", fontsize=9)
        ax.set_xlabel("checkpoint", fontsize=8)
        ax.tick_params(labelsize=7)
    axes[0][0].legend(fontsize=6, loc="lower left")
    fig.suptitle("Headline by checkpoint: circled = best on the test labels; dotted = last", fontsize=9)
    fig.tight_layout()
    return fig
