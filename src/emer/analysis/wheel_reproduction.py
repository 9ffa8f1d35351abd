"""R2 (OV-MER emotion-wheel table): our EW scores of the released outputs beside the published ones.

See ``docs/ew_reproduction.md`` for the variants tried and the per-model deltas.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from emer.analysis.reproduce import REPORT_COLUMNS
from emer.data import load_gold_ov_labels, load_system_outputs
from emer.data.loaders import DataDir
from emer.labels.wheel import EW_METRICS, load_wheel_tables, wheel_groupings
from emer.metrics.wheel import EWScorer, ew_intervals, ew_table
from emer.reference import load_published

R2_METRICS = [*EW_METRICS, "M-avg"]
#: The documented alternatives (keyword overrides of :func:`ew_system_table`), the default first.
R2_VARIANTS: dict[str, dict[str, str]] = {
    "authors (MER2025 format.csv)": {},
    "MER2026 format.csv": {"revision": "MER2026"},
    "level-1 word is its own level-2 class": {"level1_at_level2": "self"},
    "level-1 word skipped at level 2": {"level1_at_level2": "drop"},
    "mean of per-sample F": {"average": "mean-of-f"},
}


def ew_system_table(
    data_dir: DataDir = None,
    setting: str = "S2",
    revision: str = "MER2025",
    level1_at_level2: str = "first-child",
    average: str = "f-of-means",
) -> pd.DataFrame:
    """EW table (percent) of the 10 released systems in one setting, gold = ``check-openset.csv``."""
    scorer, outputs = _released_scorer(data_dir, setting, revision, level1_at_level2)
    return ew_table(scorer.system_scores(outputs, average=average))


def _released_scorer(
    data_dir: DataDir, setting: str, revision: str, level1_at_level2: str = "first-child"
) -> tuple[EWScorer, pd.DataFrame]:
    """EW scorer on the gold OV labels, and the released outputs of one setting."""
    gold = load_gold_ov_labels(data_dir)
    outputs = load_system_outputs(data_dir)
    outputs = outputs[outputs["setting"] == setting]
    tables = load_wheel_tables(data_dir, revision, level1_at_level2)
    gold_labels = dict(zip(gold["sample"], gold["labels"], strict=True))
    scorer = EWScorer(gold_labels, wheel_groupings(tables=tables), chinese="keep")  # as the authors scored
    return scorer, outputs


def reproduce_r2(data_dir: DataDir = None, variant: str = "authors (MER2025 format.csv)") -> pd.DataFrame:
    """Published vs ours for every released system and R2 metric (rows in the report's columns)."""
    if variant not in R2_VARIANTS:
        raise ValueError(f"variant must be one of {list(R2_VARIANTS)}, not {variant!r}")
    ours = ew_system_table(data_dir, **R2_VARIANTS[variant]).set_index("system")
    published = load_published("R2")
    published = published[published["system"].isin(ours.index) & published["metric"].isin(R2_METRICS)]
    rows = []
    for ref in published.sort_values(["system", "metric"]).itertuples(index=False):
        value = float(ours.loc[ref.system, ref.metric])
        rows.append(
            {
                "ref": "R2",
                "artefact": ref.artefact,
                "system": ref.system,
                "metric": ref.metric,
                "variant": variant,
                "published": float(ref.value),
                "ours": value,
                "delta": value - float(ref.value),
                "source": ref.source,
                "note": "",
            }
        )
    return pd.DataFrame(rows, columns=REPORT_COLUMNS)


def r2_mavg_deltas(report: pd.DataFrame) -> pd.DataFrame:
    """Per system: published M-avg, ours, delta (rows of :func:`reproduce_r2`), sorted by system."""
    mavg = report[report["metric"] == "M-avg"]
    return mavg[["system", "published", "ours", "delta"]].sort_values("system").reset_index(drop=True)


def r2_variant_summary(data_dir: DataDir = None) -> pd.DataFrame:
    """For each documented variant: mean |delta| and max |delta| of M-avg, mean delta (bias)."""
    rows = []
    for variant in R2_VARIANTS:
        deltas = r2_mavg_deltas(reproduce_r2(data_dir, variant))["delta"]
        rows.append(
            {
                "variant": variant,
                "mean_abs_delta": float(deltas.abs().mean()),
                "max_abs_delta": float(deltas.abs().max()),
                "mean_delta": float(deltas.mean()),
            }
        )
    return pd.DataFrame(rows)


def r2_intervals(data_dir: DataDir = None, n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Per released system: published M-avg, ours with its bootstrap interval over the 332 samples (default
    method, S2), the delta, and whether the published value lies inside the interval (``inside``)."""
    scorer, outputs = _released_scorer(data_dir, "S2", "MER2025")
    intervals = ew_intervals(scorer.sample_scores(outputs), n_boot=n_boot, seed=seed)
    intervals = intervals[intervals["metric"] == "M-avg"].drop(columns=["metric", "setting"])
    published = load_published("R2")
    published = published[published["metric"] == "M-avg"][["system", "value"]]
    out = intervals.merge(published.rename(columns={"value": "published"}), on="system", how="inner")
    out = out.rename(columns={"value": "ours"})
    out["delta"] = out["ours"] - out["published"]
    out["inside"] = (out["low"] <= out["published"]) & (out["published"] <= out["high"])
    columns = ["system", "published", "ours", "delta", "low", "high", "se", "inside", "confidence", "n_boot"]
    return out[columns].sort_values("system").reset_index(drop=True)


def r2_label_evidence(report: pd.DataFrame) -> pd.DataFrame:
    """Per system: M-avg and M1 deltas, the published run-to-run std of M1 and |delta M1| in those stds.

    M1 depends only on the labels and ``format.csv``; a released label set that was one of the scored runs
    would sit within a few stds of the published mean. A std printed as 0.00 counts as 0.005, the largest
    value that rounds to it.
    """
    deltas = report[report["metric"].isin(["M-avg", "M1"])]
    deltas = deltas.pivot(index="system", columns="metric", values="delta")
    published = load_published("R2")
    std = published[published["metric"] == "M1"].set_index("system")["std"].astype(float)
    out = pd.DataFrame(
        {
            "delta M-avg": deltas["M-avg"],
            "delta M1": deltas["M1"],
            "published std M1": std.reindex(deltas.index),
        }
    )
    out["abs delta M1 / std"] = out["delta M1"].abs() / np.maximum(out["published std M1"], 0.005)
    return out.reset_index()
