"""Hit rate of one-hot gold labels (e.g. MER2023: happy, angry, worried, sad, surprise, neutral).

Per sample, the one-hot gold label and the predicted open-vocabulary labels are mapped through the
**same** grouping (choice: a one-hot word and an open-vocabulary word are compared on equal terms, so
``worried`` is hit by ``anxious`` wherever both land on the same wheel class; mapping only the predictions
would require the one-hot word to be a class name). The sample is *hit* when the mapped gold label is
among the mapped predictions. A sample whose gold label maps nowhere (``neutral`` on every wheel,
``surprise`` on wheel 5) is skipped, as the authors do. Hit rate = mean of hits over scored samples.

``label_space_precision`` is the authors' second score: hits / |mapped predictions ∩ mapped label space|
(0 when no prediction falls in the label space), where the label space is the set of one-hot labels
(by default those found in ``gold``). :data:`HIT_RATE_METRICS` (wheel level 1, averaged) is the
authors' choice of groupings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from emer.labels.grouping import Grouping
from emer.metrics.checks import known_samples, label_lists, unique_samples

MER2023_LABELS = ("happy", "angry", "worried", "sad", "surprise", "neutral")
HIT_RATE_METRICS = ("W1-L1", "W2-L1", "W3-L1", "W4-L1", "W5-L1")
HIT_COLUMNS = ["sample", "gold_label", "gold_class", "n_pred", "hit", "label_space_precision", "skipped"]
SUMMARY_COLUMNS = ["metric", "hit_rate", "label_space_precision", "n_scored", "n_skipped"]


def hit_rate_scores(
    gold: Mapping[str, str],
    pred: Mapping[str, Iterable[str]],
    grouping: Grouping,
    label_space: Iterable[str] | None = None,
    chinese: str = "translate",
) -> pd.DataFrame:
    """Per-sample hits, sorted by sample. ``gold`` maps sample -> one label; ``pred`` sample -> labels."""
    return hit_rate_scores_by_grouping(gold, pred, {"": grouping}, label_space, chinese)[""]


def hit_rate_scores_by_grouping(
    gold: Mapping[str, str],
    pred: Mapping[str, Iterable[str]],
    groupings: Mapping[str, Grouping],
    label_space: Iterable[str] | None = None,
    chinese: str = "translate",
) -> dict[str, pd.DataFrame]:
    """:func:`hit_rate_scores` under each grouping, the inputs checked once."""
    known_samples(gold, pred)
    pred = label_lists(pred, chinese=chinese)
    missing = sorted(set(gold) - set(pred))
    if missing:
        raise KeyError(
            f"{len(missing)} gold sample(s) have no prediction, first {missing[:3]}; "
            "give an empty label list for samples the system answered with no label."
        )
    bad = sorted(s for s, label in gold.items() if not isinstance(label, str))
    if bad:
        raise TypeError(f"one-hot gold labels must be strings; sample {bad[0]} has {gold[bad[0]]!r}")
    space_labels = sorted(set(gold.values()) if label_space is None else set(label_space))
    samples = sorted(gold)
    index: dict[tuple[str, ...], int] = {}  # each distinct label list, numbered once for every grouping
    codes = [index.setdefault(tuple(pred[s]), len(index)) for s in samples]
    inputs = _Inputs(samples, [gold[s] for s in samples], [pred[s] for s in samples], list(index), codes)
    return {name: _scores(inputs, g, space_labels) for name, g in groupings.items()}


@dataclass(frozen=True)
class _Inputs:
    samples: list[str]
    labels: list[str]  # gold, one per sample
    predicted: list[list[str]]  # per sample
    distinct: list[tuple[str, ...]]  # the distinct predicted lists
    codes: list[int]  # per sample, its list's position in ``distinct``


def _scores(inputs: _Inputs, grouping: Grouping, space_labels: list[str]) -> pd.DataFrame:
    samples, labels = inputs.samples, inputs.labels
    space = grouping.canonical(space_labels, "")
    if getattr(grouping, "sample_independent", False):  # map each distinct label (list) once
        gold_classes = {label: grouping.canonical([label], "") for label in set(labels)}
        mapped = [grouping.canonical(key, "") for key in inputs.distinct]
        golds = [gold_classes[label] for label in labels]
        preds = [mapped[code] for code in inputs.codes]
    else:
        golds = [grouping.canonical([label], s) for s, label in zip(samples, labels, strict=True)]
        preds = [grouping.canonical(p, s) for s, p in zip(samples, inputs.predicted, strict=True)]
    nan = float("nan")
    hits = [len(g & p) for g, p in zip(golds, preds, strict=True)]
    in_space = [len(p & space) for p in preds]
    skipped = [not g for g in golds]
    columns = {
        "sample": samples,
        "gold_label": labels,
        "gold_class": [next(iter(g)) if len(g) == 1 else None for g in golds],
        "n_pred": [len(p) for p in preds],
        "hit": [nan if s else float(h) for s, h in zip(skipped, hits, strict=True)],
        "label_space_precision": [
            nan if s else (h / n if n else 0.0) for s, h, n in zip(skipped, hits, in_space, strict=True)
        ],
        "skipped": skipped,
    }
    return pd.DataFrame(columns, columns=HIT_COLUMNS)


def summarise_hit_rate(scores: pd.DataFrame) -> dict[str, float]:
    """Hit rate and label-space precision over the scored (not skipped) samples."""
    scored = scores[~scores["skipped"]]
    nan = float("nan")
    return {
        "hit_rate": float(scored["hit"].mean()) if len(scored) else nan,
        "label_space_precision": float(scored["label_space_precision"].mean()) if len(scored) else nan,
        "n_scored": int(len(scored)),
        "n_skipped": int(scores["skipped"].sum()),
    }


def hit_rate_table(
    gold: Mapping[str, str],
    pred: pd.DataFrame | Mapping[str, Iterable[str]],
    groupings: Mapping[str, Grouping],
    label_space: Iterable[str] | None = None,
    chinese: str = "translate",
) -> pd.DataFrame:
    """Hit rate per prediction set and grouping, plus a ``"mean"`` row over the groupings.

    ``pred`` is a mapping sample -> labels, or a frame with columns sample, labels and optional system,
    setting (one prediction set per key). Pass ``{m: groupings[m] for m in HIT_RATE_METRICS}`` for the
    authors' metric.
    """
    if isinstance(pred, pd.DataFrame):
        keys = [c for c in ("system", "setting") if c in pred]
        sets = []
        for k, part in pred.groupby(keys, sort=True) if keys else [((), pred)]:
            unique_samples(part["sample"], f"predictions {k}" if keys else "predictions")
            sets.append(
                (k if isinstance(k, tuple) else (k,), dict(zip(part["sample"], part["labels"], strict=True)))
            )
    else:
        keys, sets = [], [((), dict(pred))]
    rows = []
    for key, by_sample in sets:
        ident = dict(zip(keys, key, strict=True))
        per_metric = []
        for name, grouping in groupings.items():
            summary = summarise_hit_rate(hit_rate_scores(gold, by_sample, grouping, label_space, chinese))
            per_metric.append(summary)
            rows.append({**ident, "metric": name, **summary})
        frame = pd.DataFrame(per_metric)
        rows.append(
            {
                **ident,
                "metric": "mean",
                "hit_rate": float(frame["hit_rate"].mean()),
                "label_space_precision": float(frame["label_space_precision"].mean()),
                "n_scored": int(frame["n_scored"].min()),
                "n_skipped": int(frame["n_skipped"].max()),
            }
        )
    return pd.DataFrame(rows, columns=[*keys, *SUMMARY_COLUMNS])
