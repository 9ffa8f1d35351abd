"""What the tests resample: one system's per-sample data as components, and the statistic over their sums.

One system's per-sample data is a float matrix ``X`` of shape ``(n_samples, c)`` ("components"); a statistic
maps column sums of ``X`` over a multiset of samples, shape ``(..., c)``, to the score, shape ``(...)``. A
plain mean is ``sum(value) / sum(1)``; a mean over the scored samples ``sum(value * scored) / sum(scored)``;
the EW score of a metric ``F = 2PR / (P + R)`` of the mean precision ``P`` and mean recall ``R`` over the
scored samples, and M-avg the mean of 12 such F's (:func:`ew_components`). A resample or a permutation then
only changes which rows are summed, so a draw costs one sum, never a rescoring.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

Statistic = Callable[[np.ndarray], np.ndarray]


def _f1(precision: np.ndarray, recall: np.ndarray) -> np.ndarray:
    total = precision + recall
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, 2 * precision * recall / np.where(total > 0, total, 1), 0.0)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, 0 where den is 0 (a draw in which a metric scores no sample counts 0, as ew_intervals)."""
    return np.where(den > 0, num / np.where(den > 0, den, 1), 0.0)


def _scored_mask(values: np.ndarray, scored: np.ndarray | None, what: str) -> np.ndarray:
    """``scored`` as bool of ``values``' shape (default: not NaN); NaN in a scored cell is an error."""
    if scored is None:
        scored = ~np.isnan(values)
    scored = np.asarray(scored)
    if scored.shape != values.shape:
        raise ValueError(f"scored has shape {scored.shape} but {what} has shape {values.shape}")
    if scored.dtype != bool:
        raise TypeError(f"scored must be a bool array, not {scored.dtype}")
    bad = np.argwhere(scored & ~np.isfinite(values))
    if len(bad):
        raise ValueError(
            f"{what} is NaN or infinite at scored cell(s) {bad[:3].tolist()} (row = sample); "
            "mark unscored cells with scored=False or fix the scores"
        )
    return scored


def ew_components(
    accuracy: np.ndarray,
    recall: np.ndarray,
    scored: np.ndarray | None = None,
    *,
    metric: int | None = None,
    average: str = "f-of-means",
    scale: float = 1.0,
) -> tuple[np.ndarray, Statistic]:
    """Components and statistic of the EW scores, from per-sample scores of shape (n_samples, n_metrics).

    ``accuracy``/``recall`` are per-sample precision and recall (columns in the order of the metrics,
    e.g. :data:`emer.labels.wheel.EW_METRICS`; see :func:`ew_sample_arrays`); ``scored`` is False where the
    sample's mapped gold is empty (default: where ``accuracy`` is NaN; values there are ignored).
    ``average="f-of-means"`` (the authors' definition, as :meth:`EWScorer.system_scores`): components
    ``accuracy*scored, recall*scored, scored`` per metric (c = 3 n_metrics), per metric F of the mean
    precision and recall over the scored samples. ``average="mean-of-f"``: components ``f*scored, scored``
    (c = 2 n_metrics), per metric the mean per-sample F. The statistic is the mean over metrics (M-avg),
    or with ``metric=j`` the score of column j alone; it is in fractions times ``scale`` (100: percent, as
    :func:`emer.metrics.wheel.ew_table`). A draw in which a metric scores no sample counts 0 for it.
    """
    if average not in ("f-of-means", "mean-of-f"):
        raise ValueError(f"average must be 'f-of-means' or 'mean-of-f', not {average!r}")
    accuracy, recall = np.asarray(accuracy, dtype=float), np.asarray(recall, dtype=float)
    if accuracy.ndim != 2 or accuracy.shape != recall.shape:
        raise ValueError(
            f"accuracy and recall must both have shape (n_samples, n_metrics), not {accuracy.shape} "
            f"and {recall.shape}"
        )
    n_metrics = accuracy.shape[1]
    if metric is not None and not 0 <= metric < n_metrics:
        raise ValueError(f"metric must be a column index in [0, {n_metrics}), not {metric}")
    scored = _scored_mask(accuracy, scored, "accuracy")
    _scored_mask(recall, scored, "recall")
    empty = np.flatnonzero(~scored.any(axis=0))
    if len(empty):
        raise ValueError(f"metric column(s) {empty.tolist()} score no sample; nothing to compare on them")
    weight = scored.astype(float)
    acc, rec = np.where(scored, accuracy, 0.0), np.where(scored, recall, 0.0)
    if average == "f-of-means":
        x = np.hstack([acc * weight, rec * weight, weight])

        def per_metric(sums: np.ndarray) -> np.ndarray:
            count = sums[..., 2 * n_metrics :]
            return _f1(
                _ratio(sums[..., :n_metrics], count), _ratio(sums[..., n_metrics : 2 * n_metrics], count)
            )
    else:
        x = np.hstack([_f1(acc, rec) * weight, weight])

        def per_metric(sums: np.ndarray) -> np.ndarray:
            return _ratio(sums[..., :n_metrics], sums[..., n_metrics:])

    def statistic(sums: np.ndarray) -> np.ndarray:
        f = per_metric(np.asarray(sums, dtype=float))
        f = scale * f  # scaled before the mean, in the order ew_table takes it (same floats)
        return f.mean(axis=-1) if metric is None else f[..., metric]

    return x, statistic


def mean_components(
    values: np.ndarray, scored: np.ndarray | None = None, *, scale: float = 1.0
) -> tuple[np.ndarray, Statistic]:
    """Components and statistic of a mean of per-sample values, shape (n_samples,).

    With ``scored`` (bool, same shape) the mean runs over the scored samples only (components
    ``value*scored, scored``; values of unscored samples are ignored, NaN allowed there; a draw with no
    scored sample counts 0); without it, over all samples (components ``value, 1``; no NaN allowed).
    The statistic is the mean times ``scale``.
    """
    values = np.asarray(values, dtype=float)
    if values.ndim != 1:
        raise ValueError(f"values must have shape (n_samples,), not {values.shape}")
    if scored is None:
        scored = np.ones(values.shape, dtype=bool)
    scored = _scored_mask(values, scored, "values")
    if len(values) and not scored.any():
        raise ValueError("no sample is scored; nothing to compare")
    weight = scored.astype(float)
    x = np.column_stack([np.where(scored, values, 0.0) * weight, weight])

    def statistic(sums: np.ndarray) -> np.ndarray:
        sums = np.asarray(sums, dtype=float)
        return scale * _ratio(sums[..., 0], sums[..., 1])

    return x, statistic


def ew_sample_arrays(sample_scores: pd.DataFrame) -> dict[object, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per prediction set of :meth:`EWScorer.sample_scores` output: (accuracy, recall, scored) arrays.

    Each array has shape (n_samples, n_metrics): samples sorted by name, metrics in
    :data:`~emer.labels.wheel.EW_METRICS` order (those present). Keys: the value of the one key column
    (e.g. ``system``) or a tuple (``(system, setting)``) when there are several, sorted.
    """
    from emer.metrics.wheel import sample_scores_layout

    keys, samples, metrics = sample_scores_layout(sample_scores)
    groups = sample_scores.groupby(keys, sort=True) if keys else [((), sample_scores)]
    out: dict[object, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for key, part in groups:
        key = key if isinstance(key, tuple) else (key,)
        wide = part.pivot(index="sample", columns="metric", values=["accuracy", "recall", "skipped"])
        wide = wide.reindex(index=samples, columns=metrics, level=1)
        if wide["skipped"].isna().to_numpy().any():
            raise ValueError(f"prediction set {key} does not cover every sample; score all sets on one gold")
        scored = ~wide["skipped"].to_numpy(bool)
        out[key[0] if len(key) == 1 else key] = (
            wide["accuracy"].to_numpy(float),
            wide["recall"].to_numpy(float),
            scored,
        )
    return out
