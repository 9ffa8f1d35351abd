"""Many pairs of systems at once: paired bootstrap and approximate randomization on shared draws, Holm
over the family, as one table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations

import numpy as np
import pandas as pd

from emer.metrics.significance.bootstrap import P_METHODS, bootstrap_result
from emer.metrics.significance.components import Statistic
from emer.metrics.significance.draws import (
    bootstrap_index,
    check_draws,
    check_systems,
    draw_counts,
    evaluate,
    swap_masks,
    weighted_sums,
)
from emer.metrics.significance.holm import holm
from emer.metrics.significance.randomization import randomization_result

COMPARISON_COLUMNS = [
    "system_a",
    "system_b",
    "value_a",
    "value_b",
    "delta",
    "low",
    "high",
    "p_bootstrap",
    "p_randomization",
    "p_holm",
    "significant",
]


def _check_pairs(pairs: Sequence[tuple[str, str]] | None, names: list[str]) -> list[tuple[str, str]]:
    if pairs is None:
        return list(combinations(sorted(names), 2))
    pairs = [tuple(p) for p in pairs]
    unknown = sorted({n for p in pairs for n in p if n not in names})
    if unknown:
        raise KeyError(f"pairs name unknown system(s) {unknown[:5]}; systems given: {sorted(names)[:10]}")
    seen: set[frozenset[str]] = set()
    for a, b in pairs:
        if a == b:
            raise ValueError(f"pair ({a!r}, {b!r}) compares a system with itself")
        if frozenset((a, b)) in seen:
            raise ValueError(f"pair ({a!r}, {b!r}) is given twice (in some order); list each pair once")
        seen.add(frozenset((a, b)))
    return sorted(pairs)


def paired_comparisons(
    systems: Mapping[str, np.ndarray],
    statistic: Statistic,
    pairs: Sequence[tuple[str, str]] | None = None,
    n_draws: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
    alpha: float = 0.05,
    p_method: str = "shift",
    n_permutations: int | None = None,
) -> pd.DataFrame:
    """Paired bootstrap and approximate randomization for each pair, with Holm over the family of pairs.

    ``systems`` maps name -> components (n_samples, c), rows aligned on the same samples; ``pairs`` lists
    (system_a, system_b) (default: every unordered pair, names sorted); ``delta = value_a - value_b``.
    All pairs share one bootstrap index and one set of swap masks (each row equals :func:`paired_bootstrap`
    and :func:`approximate_randomization` called with the same seed). Holm is applied to the randomization
    p-values (``p_holm``; ``significant`` = Holm-adjusted p <= alpha): the randomization test assumes only
    exchangeability of the two systems' outputs under the null, while the bootstrap p rests on the shifted
    resampling distribution approximating the null one. ``n_permutations`` (default ``n_draws``) sets the
    randomization draws apart from the bootstrap ones: the smallest randomization p is
    ``1 / (n_permutations + 1)``, so a family of m pairs needs ``n_permutations + 1 >= m / alpha`` for any
    verdict to be possible (fewer raise ValueError), and about 10 times that for verdicts not limited by
    that floor (sacrebleu's randomization default is 10,000). Rows sorted by (system_a, system_b); columns
    :data:`COMPARISON_COLUMNS`.
    """
    check_draws(n_draws, confidence)
    n_permutations = n_draws if n_permutations is None else n_permutations
    check_draws(n_permutations)
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), not {alpha}")
    if p_method not in P_METHODS:
        raise ValueError(f"p_method must be one of {P_METHODS}, not {p_method!r}")
    checked = check_systems(systems)
    pairs = _check_pairs(pairs, list(checked))
    if not pairs:
        return pd.DataFrame(columns=COMPARISON_COLUMNS)
    if len(pairs) / (n_permutations + 1) > alpha:
        # the smallest randomization p is 1 / (n_draws + 1) and Holm multiplies the smallest by m
        raise ValueError(
            f"{len(pairs)} pairs with {n_permutations} permutations can never be significant at "
            f"alpha={alpha}: the smallest randomization p is 1/{n_permutations + 1} and Holm multiplies "
            f"it by {len(pairs)}; use n_permutations >= {int(np.ceil(round(len(pairs) / alpha, 9)))} "
            "(10x that for verdicts not limited by this floor) or fewer pairs"
        )
    n_samples = next(iter(checked.values())).shape[0]
    counts = draw_counts(bootstrap_index(n_samples, n_draws, seed), n_samples)
    weights = swap_masks(n_samples, n_permutations, seed).astype(float)
    used = sorted({n for p in pairs for n in p})
    sums = {n: checked[n].sum(axis=0) for n in used}
    values = {n: float(evaluate(statistic, sums[n], n)) for n in used}
    resampled = {n: evaluate(statistic, weighted_sums(counts, checked[n]), n) for n in used}
    rows = []
    for a, b in pairs:
        boot = bootstrap_result(values[a], values[b], resampled[a] - resampled[b], confidence, p_method)
        perm = randomization_result(
            values[a], values[b], sums[a], sums[b], checked[b] - checked[a], weights, statistic
        )
        rows.append(
            [a, b, boot.value_a, boot.value_b, boot.delta, boot.low, boot.high, boot.p_value, perm.p_value]
        )
    table = pd.DataFrame(rows, columns=COMPARISON_COLUMNS[:-2])
    table["p_holm"], table["significant"] = holm(table["p_randomization"].to_numpy(), alpha)
    return table
