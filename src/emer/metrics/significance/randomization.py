"""Paired approximate randomization (Riezler & Maxwell 2005): swap the two systems' rows of each sample
with probability 1/2; ``p = (#{|d_perm| >= |d_obs|} + 1) / (n_draws + 1)``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emer.metrics.significance.components import Statistic
from emer.metrics.significance.draws import (
    check_draws,
    check_masks,
    check_systems,
    evaluate,
    swap_masks,
    weighted_sums,
)


@dataclass(frozen=True)
class RandomizationResult:
    """Approximate randomization: scores on all samples, ``delta = value_a - value_b``, the p-value."""

    value_a: float
    value_b: float
    delta: float
    p_value: float
    n_draws: int


def approximate_randomization(
    xa: np.ndarray,
    xb: np.ndarray,
    statistic: Statistic,
    n_draws: int = 1000,
    seed: int = 0,
    masks: np.ndarray | None = None,
) -> RandomizationResult:
    """Paired approximate randomization test of ``statistic(a) - statistic(b)`` (two-sided).

    Each draw swaps the two systems' rows of every sample with probability 1/2 (``masks``: precomputed
    bool (n_draws, n_samples), :func:`swap_masks`; ``n_draws``/``seed`` are then ignored) and recomputes
    the difference; ``p = (#{|d_perm| >= |d_obs|} + 1) / (n_draws + 1)``. Ties count, so identical systems
    get p = 1; a system better on every sample gets p = 1 / (n_draws + 1) unless a draw swaps all rows.
    """
    check_draws(n_draws)
    systems = check_systems({"a": xa, "b": xb})
    xa, xb = systems["a"], systems["b"]
    n_samples = xa.shape[0]
    if masks is None:
        masks = swap_masks(n_samples, n_draws, seed)
    masks = check_masks(masks, n_samples)
    sum_a, sum_b = xa.sum(axis=0), xb.sum(axis=0)
    value_a = float(evaluate(statistic, sum_a, "a"))
    value_b = float(evaluate(statistic, sum_b, "b"))
    return randomization_result(value_a, value_b, sum_a, sum_b, xb - xa, masks.astype(float), statistic)


def randomization_result(
    value_a: float,
    value_b: float,
    sum_a: np.ndarray,
    sum_b: np.ndarray,
    diff: np.ndarray,
    weights: np.ndarray,
    statistic: Statistic,
) -> RandomizationResult:
    """The result of a randomization test from the two scores and sums, the per-sample difference of the
    components (b - a) and the swap masks as weights."""
    # what the swapped rows move from b to a; components where the systems agree move nothing
    cols = np.flatnonzero(diff.any(axis=0))
    n_draws = len(weights)
    moved = np.zeros((n_draws, diff.shape[1]))
    if len(cols):
        moved[:, cols] = weighted_sums(weights, diff[:, cols])
    d_perm = evaluate(statistic, sum_a + moved, "a") - evaluate(statistic, sum_b - moved, "b")
    delta = value_a - value_b
    count = int(np.count_nonzero(np.abs(d_perm) >= abs(delta)))
    return RandomizationResult(value_a, value_b, delta, (count + 1) / (n_draws + 1), n_draws)
