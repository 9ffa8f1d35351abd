"""Paired bootstrap (Koehn 2004) and one system's bootstrap interval.

The bootstrap p-value follows sacrebleu (``sacrebleu.significance``): the null distribution is the
resampled differences shifted to mean 0 and ``p = (c + 1) / (n_draws + 1)``. Two details differ, on
purpose. sacrebleu shifts the *absolute* resampled differences (``|d*| - mean |d*|``), which folds the
distribution: it acts as a one-sided test for large differences and rejects a true "no difference" too
often (about 12% of the time at the 5% level for two exchangeable systems; see the calibration test in
``tests/test_significance.py``); here the signed differences are shifted and their absolute value
compared (``|d* - mean d*| >= |d_obs|``), a two-sided test (about 5%). And sacrebleu counts only
strict exceedances (``>``), so a system compared with itself gets ``p = 1 / (n_draws + 1)`` there; here
ties count as "at least as extreme" (``>=``, as Riezler & Maxwell define it), so identical systems get
``p = 1`` in both tests. ``p_method="sacrebleu"`` reproduces sacrebleu's bootstrap rule exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from emer.metrics.checks import check_interval_draws
from emer.metrics.significance.components import Statistic
from emer.metrics.significance.draws import (
    as_matrix,
    bootstrap_index,
    check_draws,
    check_index,
    check_systems,
    draw_counts,
    evaluate,
    weighted_sums,
)

P_METHODS = ("shift", "sacrebleu")


@dataclass(frozen=True)
class BootstrapResult:
    """Paired bootstrap: scores on all samples, ``delta = value_a - value_b``, its percentile interval
    ``low``–``high`` and the two-sided p-value for "no difference"; ``deltas`` holds the resampled ones."""

    value_a: float
    value_b: float
    delta: float
    low: float
    high: float
    p_value: float
    n_draws: int
    confidence: float
    deltas: np.ndarray = field(repr=False, compare=False)


def bootstrap_p_value(deltas: np.ndarray, delta: float, p_method: str = "shift") -> float:
    """Two-sided p of "no difference" from resampled differences ``deltas`` and the observed ``delta``.

    ``"shift"``: ``(#{|d* - mean d*| >= |delta|} + 1) / (n + 1)``; ``"sacrebleu"``: sacrebleu's rule,
    ``(#{|d*| - mean |d*| > |delta|} + 1) / (n + 1)`` (see the module docstring).
    """
    deltas = np.asarray(deltas, dtype=float)
    if p_method == "shift":
        count = int(np.count_nonzero(np.abs(deltas - deltas.mean()) >= abs(delta)))
    elif p_method == "sacrebleu":
        folded = np.abs(deltas)
        count = int(np.count_nonzero(folded - folded.mean() > abs(delta)))
    else:
        raise ValueError(f"p_method must be one of {P_METHODS}, not {p_method!r}")
    return (count + 1) / (len(deltas) + 1)


def _interval(deltas: np.ndarray, confidence: float) -> tuple[float, float]:
    tail = (1 - confidence) / 2
    low, high = np.quantile(deltas, [tail, 1 - tail])
    return float(low), float(high)


def paired_bootstrap(
    xa: np.ndarray,
    xb: np.ndarray,
    statistic: Statistic,
    n_draws: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
    index: np.ndarray | None = None,
    p_method: str = "shift",
) -> BootstrapResult:
    """Paired bootstrap of ``statistic(a) - statistic(b)`` over samples (rows of ``xa``/``xb``, aligned).

    Each draw takes ``n_samples`` samples with replacement, the same for both systems; ``index`` is a
    precomputed (n_draws, n_samples) matrix of sample indices (:func:`bootstrap_index`) so that many
    comparisons share draws (``n_draws`` and ``seed`` are then ignored). The interval is the percentile
    interval of the resampled differences; the p-value is :func:`bootstrap_p_value`.
    """
    check_draws(n_draws, confidence)
    if p_method not in P_METHODS:
        raise ValueError(f"p_method must be one of {P_METHODS}, not {p_method!r}")
    systems = check_systems({"a": xa, "b": xb})
    xa, xb = systems["a"], systems["b"]
    n_samples = xa.shape[0]
    if index is None:
        index = bootstrap_index(n_samples, n_draws, seed)
    counts = draw_counts(check_index(index, n_samples), n_samples)
    value_a = float(evaluate(statistic, xa.sum(axis=0), "a"))
    value_b = float(evaluate(statistic, xb.sum(axis=0), "b"))
    deltas = evaluate(statistic, weighted_sums(counts, xa), "a") - evaluate(
        statistic, weighted_sums(counts, xb), "b"
    )
    return bootstrap_result(value_a, value_b, deltas, confidence, p_method)


def bootstrap_result(
    value_a: float, value_b: float, deltas: np.ndarray, confidence: float, p_method: str
) -> BootstrapResult:
    """The result of a paired bootstrap from the two scores and the resampled differences."""
    delta = value_a - value_b
    low, high = _interval(deltas, confidence)
    p = bootstrap_p_value(deltas, delta, p_method)
    return BootstrapResult(value_a, value_b, delta, low, high, p, len(deltas), confidence, deltas)


def bootstrap_interval(
    x: np.ndarray, statistic: Statistic, n_draws: int = 1000, seed: int = 0, confidence: float = 0.95
) -> tuple[float, float, float]:
    """One system's score on all samples and its percentile bootstrap interval: (value, low, high).

    Same draws as :func:`paired_bootstrap` and :func:`emer.metrics.wheel.ew_intervals` for the same seed.
    """
    return bootstrap_intervals([(x, statistic)], n_draws, seed, confidence)[0]


def bootstrap_intervals(
    items: Sequence[tuple[np.ndarray, Statistic]],
    n_draws: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> list[tuple[float, float, float]]:
    """:func:`bootstrap_interval` of many (components, statistic) pairs over the same samples, with one
    draw matrix; the resampled sums of a components array are computed once however many statistics
    read it (pass the same array object to share them)."""
    check_interval_draws(n_draws, confidence)
    if not items:
        return []
    n_samples = np.shape(items[0][0])[0]
    counts = draw_counts(bootstrap_index(n_samples, n_draws, seed), n_samples)
    resampled: dict[int, np.ndarray] = {}
    out = []
    for x, statistic in items:
        matrix = as_matrix(x, "x")
        if matrix.shape[0] != n_samples:
            raise ValueError(f"components have {matrix.shape[0]} rows, the first ones {n_samples}")
        if id(x) not in resampled:
            resampled[id(x)] = weighted_sums(counts, matrix)
        low, high = _interval(evaluate(statistic, resampled[id(x)], "x"), confidence)
        out.append((float(evaluate(statistic, matrix.sum(axis=0), "x")), low, high))
    return out


def bootstrap_draws(x: np.ndarray, statistic: Statistic, n_draws: int = 1000, seed: int = 0) -> np.ndarray:
    """The statistic of each bootstrap draw of the samples (the draws of :func:`bootstrap_intervals` for
    the same seed and sample count), shape (n_draws,)."""
    check_draws(n_draws)
    matrix = as_matrix(x, "x")
    n_samples = matrix.shape[0]
    counts = draw_counts(bootstrap_index(n_samples, n_draws, seed), n_samples)
    return evaluate(statistic, weighted_sums(counts, matrix), "x")
