"""The leaderboard figure of ``emer score``: every system's score with its interval, best at the top."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

LEADERBOARD_COLUMNS = ["system", "value", "low", "high", "submitted", "tied_with_best"]
BASELINE_COLOUR = "#4C72B0"
SUBMITTED_COLOUR = "#C44E52"


def leaderboard_figure(
    table: pd.DataFrame,
    metric_label: str = "M-avg",
    title: str = "Leaderboard",
    interval_label: str = "interval",
):
    """Points at ``value`` with the ``low``–``high`` interval as a bar (none where both are NaN: point
    estimates only), one row per system, sorted by
    ``value`` (best at the top, ties by name). Submitted systems are red with bold labels; systems whose
    ``tied_with_best`` is True get a hollow marker ("difference from the top system not significant").

    ``table`` needs :data:`LEADERBOARD_COLUMNS`; ``metric_label`` names the x axis (add the unit, e.g.
    ``"M-avg (%)"``), ``interval_label`` the bars in the legend (e.g. ``"95% bootstrap interval"``).
    """
    missing = [c for c in LEADERBOARD_COLUMNS if c not in table]
    if missing:
        raise KeyError(f"leaderboard table lacks columns {missing}; expected {LEADERBOARD_COLUMNS}")
    if table.empty:
        raise ValueError("leaderboard table has no rows; score at least one system")
    if table["system"].duplicated().any():
        twice = sorted(set(table["system"][table["system"].duplicated()]))
        raise ValueError(f"leaderboard lists systems twice: {twice}; give one row per system")
    values, bounds = table["value"].to_numpy(float), table[["low", "high"]].to_numpy(float)
    no_interval = np.isnan(bounds).all(axis=1)  # point estimates only (n_boot 0): no bar
    bad = table["system"][~np.isfinite(values) | ~(np.isfinite(bounds).all(axis=1) | no_interval)]
    if len(bad):
        raise ValueError(f"leaderboard has no finite value/low/high for {sorted(bad)[:5]}; score them first")
    data = table.sort_values(["value", "system"], ascending=[True, False], kind="stable").reset_index(
        drop=True
    )
    submitted = data["submitted"].astype(bool).to_numpy()
    tied = data["tied_with_best"].astype(bool).to_numpy()
    colours = np.where(submitted, SUBMITTED_COLOUR, BASELINE_COLOUR)
    y = np.arange(len(data))
    fig, ax = plt.subplots(figsize=(7, 0.3 * len(data) + 1.9), layout="constrained")
    ax.hlines(y, data["low"], data["high"], colors=colours, alpha=0.4, linewidth=4)
    for hollow in (False, True):
        rows = tied == hollow
        ax.scatter(
            data["value"][rows],
            y[rows],
            s=30,
            zorder=3,
            facecolors="white" if hollow else colours[rows],
            edgecolors=colours[rows],
            linewidths=1.5,
        )
    ax.set_yticks(y, data["system"])
    for label, is_submitted in zip(ax.get_yticklabels(), submitted, strict=True):
        if is_submitted:
            label.set_color(SUBMITTED_COLOUR)
            label.set_fontweight("bold")
    ax.set_ylim(-0.7, len(data) - 0.3)
    ax.grid(axis="x", alpha=0.3)
    ax.set(xlabel=metric_label, title=title)
    marker = {"marker": "o", "linestyle": ""}
    shown = [
        (not submitted.all(), Line2D([], [], color=BASELINE_COLOUR, label="baseline", **marker)),
        (submitted.any(), Line2D([], [], color=SUBMITTED_COLOUR, label="submitted", **marker)),
        (
            tied.any(),
            Line2D(
                [],
                [],
                color="grey",
                markerfacecolor="white",
                label="difference from the top system not significant",
                **marker,
            ),
        ),
        (True, Line2D([], [], color="grey", alpha=0.4, linewidth=4, label=interval_label)),
    ]
    handles = [handle for show, handle in shown if show]
    fig.legend(handles=handles, loc="outside lower center", ncol=2, fontsize=8, frameon=False)
    return fig
