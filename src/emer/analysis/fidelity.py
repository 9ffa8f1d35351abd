"""Fidelity of an offline OV-label extractor to the field's LLM extractor, on held-out released systems.

The released ``-openset.npz`` files are the field's extractor's labels of each of the 30 released
description sets (10 MLLMs x S0/S1/S2). For each set, the extractor under test reads the same descriptions;
both label sets are scored against the gold OV labels on the emotion-wheel metrics, and the two M-avg are
compared. A fixed **development split** of the MLLMs (stated in params) is the only data anything may be
designed or fitted on; the other MLLMs are the **held-out** test, reported separately.

:func:`split_systems` refuses a split whose held-out part holds a system the extractor was fitted on
(unless that extractor is named as known-to-have-seen it, and its rows are then flagged).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import kendalltau, spearmanr

from emer.data.loaders import MLLMS
from emer.labels.selector import HeldOutSystemError
from emer.llm import LLMRunner, extract_ov_labels, labels_or_empty
from emer.metrics.wheel import EWScorer, ew_scores

DEV, HELD_OUT = "development", "held-out"
SETTINGS = ("S0", "S1", "S2")
ALL = "all"


def fit_systems(runner: LLMRunner) -> tuple[str, ...]:
    """The released systems an offline runner's extractor was fitted or calibrated on: the selector's
    development split; for the lexicon, all ten when its vocabulary was calibrated on the released outputs."""
    backend = runner.backend
    if getattr(backend, "kind", "") != "offline":
        raise ValueError(f"{runner.label}: the fidelity protocol tests offline extractors only")
    if backend.selector is not None:
        return tuple(backend.selector.fitted_on)
    return tuple(MLLMS) if backend.lexicon.calibration != "none" else ()


def split_systems(
    dev_systems: Iterable[str],
    fitted_on: Mapping[str, Iterable[str]] | None = None,
    seen_allowed: Iterable[str] = (),
    systems: Sequence[str] = MLLMS,
) -> dict[str, str]:
    """System -> ``development`` or ``held-out``.

    ``fitted_on`` maps extractor name -> the systems its fit (or calibration) used. An extractor whose fit
    used a held-out system raises :class:`~emer.labels.selector.HeldOutSystemError`, unless its name is in
    ``seen_allowed`` (its held-out rows are then flagged ``saw_held_out``).
    """
    dev = sorted(set(dev_systems))
    unknown = [s for s in dev if s not in systems]
    if unknown:
        raise ValueError(f"development systems {unknown} are not released MLLMs ({sorted(systems)})")
    held = [s for s in systems if s not in dev]
    if not dev or not held:
        raise ValueError("the development split must hold some but not all of the released MLLMs")
    allowed = set(seen_allowed)
    for name, used in (fitted_on or {}).items():
        leaked = sorted(set(used) & set(held))
        if leaked and name not in allowed:
            raise HeldOutSystemError(
                f"extractor {name!r} was fitted on {leaked}, which this split holds out; "
                "hold out only systems it never saw, or change the split"
            )
    return {s: DEV if s in dev else HELD_OUT for s in sorted(systems)}


def extract_released(runner: LLMRunner, outputs: pd.DataFrame, extractor: str) -> pd.DataFrame:
    """Labels ``runner`` extracts from each released description (the columns of
    :func:`emer.data.load_system_outputs`). Columns: extractor, system, setting, sample, labels."""
    frames = []
    for (system, setting), frame in outputs.groupby(["system", "setting"], sort=True):
        texts = pd.DataFrame({"sample": frame["sample"], "text": frame["description"], "language": "en"})
        labels = labels_or_empty(extract_ov_labels(runner, texts))
        frames.append(
            pd.DataFrame(
                {
                    "extractor": extractor,
                    "system": system,
                    "setting": setting,
                    "sample": list(labels),
                    "labels": list(labels.values()),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _agreement(released: pd.DataFrame, ours: pd.DataFrame, groupings: Mapping[str, Any]) -> dict[str, float]:
    """Per-sample F (mean over samples) of our labels against the released ones, wheel levels 1 and 2."""
    scorer = EWScorer(
        dict(zip(released["sample"], released["labels"], strict=True)), groupings, chinese="keep"
    )
    scores = scorer.system_scores(
        dict(zip(ours["sample"], ours["labels"], strict=True)), average="mean-of-f"
    ).set_index("metric")["f1"]
    level = {j: [m for m in scores.index if m.endswith(f"-L{j}")] for j in (1, 2)}
    return {f"agree_f_l{j}": 100 * float(scores[level[j]].mean()) for j in (1, 2)}


def fidelity_table(
    released: pd.DataFrame,
    extracted: pd.DataFrame,
    gold: Mapping[str, Sequence[str]],
    groupings: Mapping[str, Any],
    split: Mapping[str, str],
    seen: Iterable[str] = (),
) -> pd.DataFrame:
    """One row per (extractor, system, setting): split, labels per sample (released, ours), EW M-avg from
    the released labels and from ours (percent, against ``gold``), their difference, and the per-sample
    agreement of the two label sets (EW F at wheel level 1 and 2, released labels as reference).

    ``seen``: extractors whose fit used every system (their held-out rows get ``saw_held_out`` True).
    """
    samples = sorted(set(released["sample"]))
    sub_gold = {s: list(gold[s]) for s in samples}
    keys = ["system", "setting"]
    base = ew_scores(sub_gold, released[[*keys, "sample", "labels"]], groupings, chinese="keep")[
        [*keys, "M-avg"]
    ]
    base = base.rename(columns={"M-avg": "m_avg_released"})
    seen = set(seen)
    rows = []
    for name, frame in extracted.groupby("extractor", sort=True):
        ours = ew_scores(sub_gold, frame[[*keys, "sample", "labels"]], groupings, chinese="keep")[
            [*keys, "M-avg"]
        ]
        table = base.merge(ours.rename(columns={"M-avg": "m_avg_ours"}), on=keys, validate="one_to_one")
        for row in table.itertuples(index=False):
            mine = frame[(frame["system"] == row.system) & (frame["setting"] == row.setting)]
            theirs = released[(released["system"] == row.system) & (released["setting"] == row.setting)]
            rows.append(
                {
                    "extractor": name,
                    "split": split[row.system],
                    "system": row.system,
                    "setting": row.setting,
                    "saw_held_out": name in seen and split[row.system] == HELD_OUT,
                    "n_samples": len(mine),
                    "labels_per_sample_released": float(theirs["labels"].map(len).mean()),
                    "labels_per_sample_ours": float(mine["labels"].map(len).mean()),
                    "m_avg_released": row.m_avg_released,
                    "m_avg_ours": row.m_avg_ours,
                    "delta": row.m_avg_ours - row.m_avg_released,
                    **_agreement(theirs, mine, groupings),
                }
            )
    order = {DEV: 0, HELD_OUT: 1}
    out = pd.DataFrame(rows)
    out["_split"] = out["split"].map(order)
    out = out.sort_values(["extractor", "_split", "system", "setting"], kind="stable")
    return out.drop(columns="_split").reset_index(drop=True)


def _rank_stats(frame: pd.DataFrame) -> dict[str, float]:
    x, y = frame["m_avg_released"].to_numpy(), frame["m_avg_ours"].to_numpy()
    if len(frame) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:  # a constant side has no ranking
        return {"spearman": float("nan"), "kendall": float("nan")}
    return {"spearman": float(spearmanr(x, y)[0]), "kendall": float(kendalltau(x, y)[0])}


def fidelity_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per (extractor, split, setting, and ``all`` settings pooled): systems, mean and max |delta M-avg|,
    mean delta, Spearman and Kendall of the two M-avg over the (system, setting) rows, mean agreement."""
    rows = []
    for (name, split), frame in table.groupby(["extractor", "split"], sort=True):
        for setting in (*SETTINGS, ALL):
            part = frame if setting == ALL else frame[frame["setting"] == setting]
            if part.empty:
                continue
            delta = part["delta"].to_numpy()
            rows.append(
                {
                    "extractor": name,
                    "split": split,
                    "setting": setting,
                    "saw_held_out": bool(part["saw_held_out"].any()),
                    "n_rows": len(part),
                    "mean_abs_delta": float(np.abs(delta).mean()),
                    "max_abs_delta": float(np.abs(delta).max()),
                    "mean_delta": float(delta.mean()),
                    **_rank_stats(part),
                    "labels_per_sample_released": float(part["labels_per_sample_released"].mean()),
                    "labels_per_sample_ours": float(part["labels_per_sample_ours"].mean()),
                    "agree_f_l1": float(part["agree_f_l1"].mean()),
                    "agree_f_l2": float(part["agree_f_l2"].mean()),
                }
            )
    out = pd.DataFrame(rows)
    out["_split"] = out["split"].map({DEV: 0, HELD_OUT: 1})
    return (
        out.sort_values(["_split", "setting", "extractor"], kind="stable")
        .drop(columns="_split")
        .reset_index(drop=True)
    )


def targets_met(
    summary: pd.DataFrame,
    extractor: str,
    mean_abs: float = 1.0,
    max_abs: float = 2.5,
    spearman: float = 0.95,
) -> pd.DataFrame:
    """The done-when check on the held-out systems (all settings pooled): each target, the figure, met."""
    row = summary[
        (summary["extractor"] == extractor) & (summary["split"] == HELD_OUT) & (summary["setting"] == ALL)
    ]
    if len(row) != 1:
        raise ValueError(f"no pooled held-out row for extractor {extractor!r} in the summary")
    row = row.iloc[0]
    checks = [
        ("mean |delta M-avg| <=", mean_abs, float(row["mean_abs_delta"]), row["mean_abs_delta"] <= mean_abs),
        ("max |delta M-avg| <=", max_abs, float(row["max_abs_delta"]), row["max_abs_delta"] <= max_abs),
        ("Spearman >=", spearman, float(row["spearman"]), row["spearman"] >= spearman),
    ]
    return pd.DataFrame(checks, columns=["target", "bound", "value", "met"])
