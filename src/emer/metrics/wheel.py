"""Emotion-wheel (EW) metrics of OV-MER: set precision/recall under the 12 EW groupings, and their F-score.

Per sample and metric, with G and P the gold and predicted labels mapped by the metric's
:class:`~emer.labels.wheel.WheelGrouping` (labels that map nowhere dropped, duplicates merged):
``accuracy = |G ∩ P| / |P|`` (0 when P is empty), ``recall = |G ∩ P| / |G|``; samples whose mapped G is
empty are skipped — the definitions of :mod:`emer.metrics.sets`. Per system, the EW score of a metric is
``f1 = 2 PR / (P + R)`` of the means P and R over the scored samples (``average="f-of-means"``, the
authors' definition, which reproduces the published table); ``average="mean-of-f"`` averages the
per-sample F instead (about 2.4 points lower on the released outputs). ``M-avg`` is the mean of the 12.
A metric that scores no sample has no score (NaN, and so has M-avg), never 0; an empty gold set is refused.

:class:`EWScorer` maps every distinct label once and scores many systems with array operations;
``method="reference"`` runs :func:`emer.metrics.sets.set_scores` per metric instead (same numbers, slower).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from emer.labels.wheel import EW_METRICS, WheelGrouping, wheel_key
from emer.metrics.checks import (
    LabelInputError,
    check_interval_draws,
    known_samples,
    label_list,
    label_lists,
    unique_samples,
)
from emer.metrics.sets import SCORE_COLUMNS, set_scores, summarise_set_scores

AVERAGES = ("f-of-means", "mean-of-f")
SUMMARY_COLUMNS = ["metric", "accuracy", "recall", "avg", "f1", "n_scored", "n_skipped"]
KEY_COLUMNS = ("system", "setting")

Predictions = pd.DataFrame | Mapping[str, Iterable[str]]


def _as_frame(pred: Predictions, chinese: str = "translate") -> tuple[pd.DataFrame, list[str]]:
    """Predictions as a frame with columns keys…, sample, labels; a mapping is one unnamed prediction set."""
    if isinstance(pred, pd.DataFrame):
        missing = [c for c in ("sample", "labels") if c not in pred]
        if missing:
            raise KeyError(f"predictions need columns 'sample' and 'labels' (missing {missing})")
        keys = [c for c in KEY_COLUMNS if c in pred]
        return pred, keys
    checked = label_lists(pred, chinese=chinese)
    return pd.DataFrame({"sample": list(checked), "labels": list(checked.values())}), []


def _f1(accuracy: np.ndarray, recall: np.ndarray) -> np.ndarray:
    total = accuracy + recall
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, 2 * accuracy * recall / np.where(total > 0, total, 1), 0.0)


class EWScorer:
    """Scores prediction sets against one gold set on the EW metrics.

    ``gold`` maps sample -> labels (lists as parsed by :func:`emer.labels.parse_label_list`);
    ``groupings`` maps metric -> :class:`WheelGrouping` (see :func:`emer.labels.wheel.wheel_groupings`).
    The gold side, the class columns and the label lookups are built once; each call then maps every
    distinct predicted label once. Labels are checked (:mod:`emer.metrics.checks`); ``chinese="keep"``
    leaves Chinese labels unmapped (dropped), as the authors' scripts did, instead of translating them.
    """

    def __init__(
        self,
        gold: Mapping[str, Iterable[str]],
        groupings: Mapping[str, WheelGrouping],
        chinese: str = "translate",
    ) -> None:
        unknown = [m for m in groupings if m not in EW_METRICS]
        if unknown:
            raise ValueError(f"unknown EW metric(s) {unknown}; choose from {EW_METRICS}")
        self.metrics = [m for m in EW_METRICS if m in groupings]
        self.groupings = {m: groupings[m] for m in self.metrics}
        self.samples = sorted(gold)
        if not self.samples:
            raise LabelInputError(
                "gold: no sample; give the gold labels of at least one sample to score against"
            )
        self.chinese = chinese
        self._gold = label_lists({s: gold[s] for s in self.samples}, "gold", chinese)
        self._sample_index = {s: i for i, s in enumerate(self.samples)}
        # one column per (metric, class); col_metric gives the metric index of each column
        self._columns: list[dict[str, int]] = []
        offset = 0
        col_metric = []
        for i, metric in enumerate(self.metrics):
            classes = sorted(set(self.groupings[metric].mapping.values()))
            self._columns.append({c: offset + j for j, c in enumerate(classes)})
            col_metric.extend([i] * len(classes))
            offset += len(classes)
        self._n_cols = offset
        self._col_metric = np.asarray(col_metric, dtype=np.int64)
        self._label_cols: dict[str, np.ndarray] = {}
        rows, cols = self._pairs([self._gold[s] for s in self.samples])
        self._gold_matrix = np.zeros((len(self.samples), self._n_cols), dtype=bool)
        self._gold_matrix[rows, cols] = True
        self._n_gold = self._count(rows, cols, len(self.samples))

    def _cols_of(self, label: str) -> np.ndarray:
        """Column indices (one per metric where the label maps) of one raw label, memoised."""
        cols = self._label_cols.get(label)
        if cols is None:
            key = wheel_key(label)
            found = []
            for columns, metric in zip(self._columns, self.metrics, strict=True):
                cls = self.groupings[metric].mapping.get(key)
                if cls is not None:
                    found.append(columns[cls])
            cols = self._label_cols[label] = np.asarray(found, dtype=np.int64)
        return cols

    def _pairs(self, label_lists: Sequence[Iterable[str]]) -> tuple[np.ndarray, np.ndarray]:
        """Distinct (row, column) pairs of the mapped labels of each row."""
        chunks, lengths, per_row = [], [], []
        for labels in label_lists:
            n = 0
            for label in labels:
                cols = self._cols_of(label)
                chunks.append(cols)
                lengths.append(len(cols))
                n += 1
            per_row.append(n)
        cols = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int64)
        if not len(cols):
            return cols, cols
        label_row = np.repeat(np.arange(len(label_lists)), per_row)
        rows = np.repeat(label_row, lengths)
        flat = np.sort(rows * self._n_cols + cols)
        flat = flat[np.concatenate(([True], flat[1:] != flat[:-1]))]  # distinct, faster than np.unique
        return flat // self._n_cols, flat % self._n_cols

    def _count(self, rows: np.ndarray, cols: np.ndarray, n_rows: int) -> np.ndarray:
        """Per row and metric, how many distinct classes: shape (n_rows, n_metrics)."""
        n_metrics = len(self.metrics)
        counts = np.bincount(rows * n_metrics + self._col_metric[cols], minlength=n_rows * n_metrics)
        return counts.reshape(n_rows, n_metrics)

    def _score_arrays(
        self, frame: pd.DataFrame, keys: list[str]
    ) -> tuple[list[tuple], dict[str, np.ndarray]]:
        """Align predictions to the gold samples; count gold/pred/hit classes per (set, sample, metric)."""
        known_samples(self._sample_index, frame["sample"])
        groups = frame.groupby(keys, sort=True) if keys else [((), frame)]
        group_keys, label_lists = [], []
        n_samples = len(self.samples)
        for key, part in groups:
            key = key if isinstance(key, tuple) else (key,)
            where = f" for {dict(zip(keys, key, strict=True))}" if keys else ""
            unique_samples(part["sample"], f"predictions{where}")
            by_sample = {
                s: label_list(v, s, f"predictions{where}", self.chinese)
                for s, v in zip(part["sample"], part["labels"], strict=True)
            }
            missing = [s for s in self.samples if s not in by_sample]
            if missing:
                raise KeyError(
                    f"{len(missing)} gold sample(s) have no prediction{where}, first {missing[:3]}; "
                    "give an empty label list for samples the system answered with no label."
                )
            group_keys.append(key)
            label_lists.extend(by_sample[s] for s in self.samples)
        n_rows = len(label_lists)
        rows, cols = self._pairs(label_lists)
        hit = self._gold_matrix[rows % n_samples, cols]
        arrays = {
            "n_gold": np.tile(self._n_gold, (len(group_keys), 1)),
            "n_pred": self._count(rows, cols, n_rows),
            "n_hit": self._count(rows[hit], cols[hit], n_rows),
        }
        return group_keys, arrays

    def sample_scores(self, pred: Predictions) -> pd.DataFrame:
        """Per-sample scores, long format: keys…, metric, then the columns of :func:`set_scores` and f1."""
        frame, keys = _as_frame(pred, self.chinese)
        group_keys, a = self._score_arrays(frame, keys)
        n_sets, n_samples, n_metrics = len(group_keys), len(self.samples), len(self.metrics)
        skipped = a["n_gold"] == 0
        with np.errstate(invalid="ignore", divide="ignore"):
            accuracy = np.where(a["n_pred"] > 0, a["n_hit"] / np.maximum(a["n_pred"], 1), 0.0)
            recall = a["n_hit"] / np.where(skipped, 1, a["n_gold"])
        f1 = _f1(accuracy, recall)
        accuracy, recall, f1 = (np.where(skipped, np.nan, x) for x in (accuracy, recall, f1))

        def order(values: np.ndarray) -> np.ndarray:
            """(set, sample) rows × metric columns -> long rows ordered (set, metric, sample)."""
            return np.asarray(values).reshape(n_sets, n_samples, n_metrics).transpose(0, 2, 1).ravel()

        out = {
            key: np.repeat([k[i] for k in group_keys], n_metrics * n_samples) for i, key in enumerate(keys)
        }
        # list repetition: np.tile of many strings is slow (it builds a wide unicode array)
        out["metric"] = [m for m in self.metrics for _ in range(n_samples)] * n_sets
        out["sample"] = list(self.samples) * (n_sets * n_metrics)
        for name, values in (
            ("n_gold", a["n_gold"]),
            ("n_pred", a["n_pred"]),
            ("n_hit", a["n_hit"]),
            ("accuracy", accuracy),
            ("recall", recall),
            ("skipped", skipped),
            ("f1", f1),
        ):
            out[name] = order(values)
        return pd.DataFrame(out, columns=[*keys, "metric", *SCORE_COLUMNS, "f1"])

    def system_scores(
        self, pred: Predictions, average: str = "f-of-means", method: str = "fast"
    ) -> pd.DataFrame:
        """Per prediction set and metric: accuracy, recall, avg, f1 (fractions), n_scored, n_skipped.

        ``method="reference"`` computes the same with :func:`set_scores` / :func:`summarise_set_scores`.
        """
        if average not in AVERAGES:
            raise ValueError(f"average must be one of {AVERAGES}, not {average!r}")
        if method == "reference":
            return self._reference_scores(pred, average)
        if method != "fast":
            raise ValueError(f"method must be 'fast' or 'reference', not {method!r}")
        frame, keys = _as_frame(pred, self.chinese)
        group_keys, a = self._score_arrays(frame, keys)
        n_sets, n_samples, n_metrics = len(group_keys), len(self.samples), len(self.metrics)
        shape = (n_sets, n_samples, n_metrics)
        n_gold, n_pred, n_hit = (a[k].reshape(shape) for k in ("n_gold", "n_pred", "n_hit"))
        scored = n_gold > 0
        accuracy = np.where(n_pred > 0, n_hit / np.maximum(n_pred, 1), 0.0)
        recall = n_hit / np.maximum(n_gold, 1)
        n_scored = scored.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_acc = np.where(scored, accuracy, 0).sum(axis=1) / n_scored
            mean_rec = np.where(scored, recall, 0).sum(axis=1) / n_scored
            mean_f = np.where(scored, _f1(accuracy, recall), 0).sum(axis=1) / n_scored
        f1 = _f1(mean_acc, mean_rec) if average == "f-of-means" else mean_f
        f1 = np.where(n_scored > 0, f1, np.nan)  # no scored sample: no score (not 0)
        out = {key: np.repeat([k[i] for k in group_keys], n_metrics) for i, key in enumerate(keys)}
        out.update(
            metric=np.tile(self.metrics, n_sets),
            accuracy=mean_acc.ravel(),
            recall=mean_rec.ravel(),
            avg=((mean_acc + mean_rec) / 2).ravel(),
            f1=f1.ravel(),
            n_scored=n_scored.ravel(),
            n_skipped=(n_samples - n_scored).ravel(),
        )
        return pd.DataFrame(out, columns=[*keys, *SUMMARY_COLUMNS])

    def _reference_scores(self, pred: Predictions, average: str) -> pd.DataFrame:
        frame, keys = _as_frame(pred, self.chinese)
        groups = frame.groupby(keys, sort=True) if keys else [((), frame)]
        rows = []
        for key, part in groups:
            key = key if isinstance(key, tuple) else (key,)
            unique_samples(part["sample"], f"predictions {key}" if keys else "predictions")
            by_sample = dict(zip(part["sample"], part["labels"], strict=True))
            for metric in self.metrics:
                scores = set_scores(self._gold, by_sample, self.groupings[metric], self.chinese)
                summary = summarise_set_scores(scores)
                if average == "mean-of-f":
                    scored = scores[~scores["skipped"]]
                    summary["f1"] = float(
                        _f1(scored["accuracy"].to_numpy(), scored["recall"].to_numpy()).mean()
                    )
                rows.append({**dict(zip(keys, key, strict=True)), "metric": metric, **summary})
        return pd.DataFrame(rows, columns=[*keys, *SUMMARY_COLUMNS])


def ew_table(system_scores: pd.DataFrame, percent: bool = True) -> pd.DataFrame:
    """Wide EW table: one row per prediction set, columns M1 … W5-L2 and M-avg (their mean)."""
    keys = [c for c in KEY_COLUMNS if c in system_scores]
    scale = 100.0 if percent else 1.0
    if keys:
        wide = system_scores.pivot(index=keys, columns="metric", values="f1") * scale
    else:
        wide = system_scores.set_index("metric")[["f1"]].T * scale
    metrics = [m for m in EW_METRICS if m in wide.columns]
    wide = wide[metrics]
    wide["M-avg"] = wide[metrics].mean(axis=1, skipna=False)  # a metric with no score leaves M-avg undefined
    wide.columns.name = None
    return wide.reset_index() if keys else wide.reset_index(drop=True)


def ew_scores(
    gold: Mapping[str, Iterable[str]],
    pred: Predictions,
    groupings: Mapping[str, WheelGrouping],
    average: str = "f-of-means",
    chinese: str = "translate",
) -> pd.DataFrame:
    """One-call EW table (percent): :class:`EWScorer` then :func:`ew_table`."""
    return ew_table(EWScorer(gold, groupings, chinese).system_scores(pred, average=average))


INTERVAL_COLUMNS = ["metric", "value", "low", "high", "se", "confidence", "n_boot", "n_samples"]


def sample_scores_layout(sample_scores: pd.DataFrame) -> tuple[list[str], list[str], list[str]]:
    """The key columns, the samples (sorted) and the metrics (in :data:`EW_METRICS` order) of
    :meth:`EWScorer.sample_scores` output; any other frame is refused."""
    missing = [c for c in ("metric", "sample", "accuracy", "recall", "skipped") if c not in sample_scores]
    if missing:
        raise KeyError(f"sample_scores lacks columns {missing}; pass EWScorer.sample_scores output")
    keys = [c for c in KEY_COLUMNS if c in sample_scores]
    samples = sorted(set(sample_scores["sample"]))
    metrics = [m for m in EW_METRICS if m in set(sample_scores["metric"])]
    return keys, samples, metrics


def ew_intervals(
    sample_scores: pd.DataFrame, n_boot: int = 1000, confidence: float = 0.95, seed: int = 0
) -> pd.DataFrame:
    """Bootstrap intervals (percent) of each prediction set's 12 EW scores and M-avg, over samples.

    ``sample_scores`` is :meth:`EWScorer.sample_scores` output. Each draw takes the samples with
    replacement (the same draws for every set, so sets stay comparable) and recomputes the F-score of the
    mean precision and recall over the drawn samples that the metric scores. ``value`` is the estimate on
    all samples (equal to :meth:`EWScorer.system_scores`), ``low``/``high`` the percentile interval,
    ``se`` the standard deviation of the draws; a draw in which a metric scores no sample counts 0 for it.
    Columns: keys…, :data:`INTERVAL_COLUMNS`.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), not {confidence}")
    check_interval_draws(n_boot, confidence, "n_boot")
    keys, samples, metrics = sample_scores_layout(sample_scores)
    rng = np.random.default_rng(seed)
    # row 0 is the full sample; sums run along the draw in a fixed order (no BLAS), so tables are
    # byte-stable across machines
    index = np.vstack([np.arange(len(samples)), rng.integers(0, len(samples), size=(n_boot, len(samples)))])
    tail = (1 - confidence) / 2
    groups = sample_scores.groupby(keys, sort=True) if keys else [((), sample_scores)]
    rows = []
    for key, part in groups:
        key = key if isinstance(key, tuple) else (key,)
        wide = part.pivot(index="sample", columns="metric", values=["accuracy", "recall", "skipped"])
        wide = wide.reindex(index=samples, columns=metrics, level=1)
        if wide[("skipped", metrics[0])].isna().any():
            raise ValueError(f"prediction set {key} does not cover every sample; score all sets on one gold")
        scored = ~wide["skipped"].to_numpy(bool)
        counts = scored[index].sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            accuracy = np.where(scored, wide["accuracy"].to_numpy(float), 0.0)[index].sum(axis=1) / counts
            recall = np.where(scored, wide["recall"].to_numpy(float), 0.0)[index].sum(axis=1) / counts
        f1 = 100 * _f1(np.nan_to_num(accuracy), np.nan_to_num(recall))
        f1 = np.column_stack([f1, f1.mean(axis=1)])
        for j, metric in enumerate([*metrics, "M-avg"]):
            low, high = np.quantile(f1[1:, j], [tail, 1 - tail])
            se = float(f1[1:, j].std(ddof=1)) if n_boot > 1 else float("nan")
            rows.append([*key, metric, f1[0, j], low, high, se, confidence, n_boot, len(samples)])
    return pd.DataFrame(rows, columns=[*keys, *INTERVAL_COLUMNS])
