"""Fidelity of the offline sentiment mapping to the field's LLM sentiment step, development vs held-out.

AffectGPT's released outputs (seven checkpoints on CMU-MOSI and on CH-SIMS) hold, per sample, the OV labels
the field's LLM extracted and the sentiment the same LLM then chose from them. For each checkpoint the
mapping under test reads the same OV labels; both sentiments are scored against the gold values (WAF,
:mod:`emer.metrics.sentiment`) and compared: the WAF delta (ours - released, in points) and the
per-sample agreement (three-way, and positive vs non-positive, the decision the score uses).

The split is fixed (:data:`SPLIT`): the mapping's weights were fitted on CMU-MOSI only (development);
CH-SIMS is held out. Target (issue 18): on held-out data, mean |delta| <= 1.0 and max |delta| <= 2.5
points per checkpoint.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from emer.data.datasets import load_dataset
from emer.data.loaders import load_released_sentiments
from emer.labels.sentiment import SentimentMapper, load_sentiment_mapper
from emer.llm import LLMRunner, map_to_sentiment, sentiments_or_unparsable
from emer.metrics.sentiment import sentiment_scores

DataDir = str | os.PathLike | None

DEV, HELD_OUT = "development", "held-out"
#: Dataset -> role; the weights of :mod:`emer.labels.sentiment` were fitted on the development one only.
SPLIT: Mapping[str, str] = {"cmumosi": DEV, "sims": HELD_OUT}
TARGET_MEAN_ABS, TARGET_MAX_ABS = 1.0, 2.5
FIDELITY_COLUMNS = [
    "dataset",
    "role",
    "system",
    "checkpoint",
    "step",
    "n_samples",
    "n_scored",
    "waf_released",
    "waf_ours",
    "delta",
    "accuracy_released",
    "accuracy_ours",
    "agreement",
    "agreement_positive",
    "n_released_other",
    "n_unknown_labels",
]
SUMMARY_COLUMNS = [
    "dataset",
    "role",
    "n_checkpoints",
    "mean_abs_delta",
    "max_abs_delta",
    "agreement",
    "agreement_positive",
    "meets_target",
    "best_released",
    "best_ours",
]


def _step(checkpoint: str) -> int:
    found = re.search(r"checkpoint_0*(\d+)", checkpoint)
    return int(found.group(1)) if found else -1


def mapped_sentiments(
    released: pd.DataFrame, mapper: SentimentMapper | None = None, runner: LLMRunner | None = None
) -> pd.DataFrame:
    """``released`` (:func:`~emer.data.loaders.load_released_sentiments`) with our sentiment of
    each OV-label answer: columns sentiment_ours, reason, n_unknown (labels the mapping could not read).

    With ``runner`` the field's step runs through that LLM backend instead (``map_to_sentiment``; an
    unparsable answer gives sentiment_ours None); else ``mapper`` (default: the offline mapping).
    """
    out = released.copy()
    if runner is not None:
        ours, reasons = [], []
        for _, group in out.groupby(["system", "checkpoint"], sort=False):
            frame = map_to_sentiment(
                runner, pd.DataFrame({"sample": group["sample"], "labels": group["labels_raw"]})
            )
            answers = sentiments_or_unparsable(frame)
            why = dict(zip(frame["sample"], frame["reason"], strict=True))
            ours += [answers[s] for s in group["sample"]]
            reasons += [why[s] for s in group["sample"]]
        out["sentiment_ours"], out["reason"] = ours, reasons
        out["n_unknown"] = np.nan
        return out
    mapper = mapper or load_sentiment_mapper()
    decisions = [mapper.decide(text) for text in out["labels_raw"]]
    out["sentiment_ours"] = [d.sentiment for d in decisions]
    out["reason"] = [d.reason for d in decisions]
    out["n_unknown"] = [len(d.unknown) for d in decisions]
    return out


def fidelity_rows(mapped: pd.DataFrame, gold: Mapping[str, Mapping[str, float]]) -> pd.DataFrame:
    """One row per (dataset, system, checkpoint) of :func:`mapped_sentiments` output (columns
    :data:`FIDELITY_COLUMNS`; WAF, accuracy and delta in percentage points, agreements as fractions).
    ``gold``: dataset -> sample -> value."""
    rows = []
    for (dataset, system, checkpoint), group in mapped.groupby(
        ["dataset", "system", "checkpoint"], sort=True
    ):
        values = gold[dataset]
        missing = sorted(set(values) - set(group["sample"]))
        if missing:
            raise ValueError(f"{dataset}/{system}/{checkpoint}: no output for gold samples {missing[:3]}")
        group = group[group["sample"].isin(set(values))]
        released = sentiment_scores(values, dict(zip(group["sample"], group["sentiment_raw"], strict=True)))
        ours = sentiment_scores(values, dict(zip(group["sample"], group["sentiment_ours"], strict=True)))
        theirs, mine = group["sentiment_raw"].astype(str), group["sentiment_ours"].astype(str)
        rows.append(
            {
                "dataset": dataset,
                "role": SPLIT.get(dataset, "other"),
                "system": system,
                "checkpoint": checkpoint,
                "step": _step(checkpoint),
                "n_samples": len(group),
                "n_scored": released["n_scored"],
                "waf_released": 100 * released["waf"],
                "waf_ours": 100 * ours["waf"],
                "delta": 100 * ours["waf"] - 100 * released["waf"],
                "accuracy_released": 100 * released["accuracy"],
                "accuracy_ours": 100 * ours["accuracy"],
                "agreement": float(np.mean(theirs.to_numpy() == mine.to_numpy())),
                "agreement_positive": float(
                    np.mean((theirs == "positive").to_numpy() == (mine == "positive"))
                ),
                "n_released_other": int((~theirs.isin(["positive", "negative", "neutral"])).sum()),
                "n_unknown_labels": group["n_unknown"].sum(min_count=1),
            }
        )
    return pd.DataFrame(rows, columns=FIDELITY_COLUMNS)


def sentiment_fidelity(
    data_dir: DataDir = None,
    mapper: SentimentMapper | None = None,
    runner: LLMRunner | None = None,
    datasets: Mapping[str, str] = SPLIT,
) -> pd.DataFrame:
    """Per released checkpoint of each dataset: WAF from the released LLM sentiments and from ours, the
    delta, the agreement (see :func:`fidelity_rows`). Development rows first, then held-out."""
    frames, gold = [], {}
    if runner is None and mapper is None:
        mapper = load_sentiment_mapper(data_dir)
    for dataset in datasets:
        gold[dataset] = load_dataset(dataset, data_dir, baselines=False).valence
        released = load_released_sentiments(dataset, data_dir)
        frames.append(mapped_sentiments(released, mapper, runner))
    rows = fidelity_rows(pd.concat(frames, ignore_index=True), gold)
    order = {DEV: 0, HELD_OUT: 1}
    return rows.sort_values(
        ["role", "dataset", "step"], key=lambda c: c.map(order) if c.name == "role" else c, ignore_index=True
    )


def fidelity_summary(rows: pd.DataFrame) -> pd.DataFrame:
    """Per dataset: mean and max |delta| over checkpoints, mean agreements, whether the target holds, and
    the best checkpoint's WAF from each (as the field picks it: best on the test labels)."""
    out = []
    for (dataset, role), group in rows.groupby(["dataset", "role"], sort=False):
        delta = group["delta"].abs()
        out.append(
            {
                "dataset": dataset,
                "role": role,
                "n_checkpoints": len(group),
                "mean_abs_delta": float(delta.mean()),
                "max_abs_delta": float(delta.max()),
                "agreement": float(group["agreement"].mean()),
                "agreement_positive": float(group["agreement_positive"].mean()),
                "meets_target": bool(delta.mean() <= TARGET_MEAN_ABS and delta.max() <= TARGET_MAX_ABS),
                "best_released": float(group["waf_released"].max()),
                "best_ours": float(group["waf_ours"].max()),
            }
        )
    return pd.DataFrame(out, columns=SUMMARY_COLUMNS)


def sentiment_disagreements(mapped: pd.DataFrame) -> pd.DataFrame:
    """The samples where our sentiment differs from the released one on the positive/non-positive
    decision, with the labels and our reason; sorted by dataset, checkpoint, sample."""
    theirs = mapped["sentiment_raw"].astype(str) == "positive"
    mine = mapped["sentiment_ours"].astype(str) == "positive"
    columns = ["dataset", "system", "checkpoint", "sample", "labels_raw", "sentiment_raw", "sentiment_ours"]
    return (
        mapped.loc[theirs != mine, [*columns, "reason"]]
        .sort_values(["dataset", "system", "checkpoint", "sample"])
        .reset_index(drop=True)
    )
