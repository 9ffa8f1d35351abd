"""Paired significance tests of system scores over samples: paired bootstrap, approximate randomization, Holm.

The tests work on any system-level score that is a function of per-sample sums. One system's per-sample
data is a float matrix ``X`` of shape ``(n_samples, c)`` ("components"); a statistic maps column sums of
``X`` over a multiset of samples, shape ``(..., c)``, to the score, shape ``(...)``. A plain mean is
``sum(value) / sum(1)``; a mean over the scored samples ``sum(value * scored) / sum(scored)``; the EW score
of a metric ``F = 2PR / (P + R)`` of the mean precision ``P`` and mean recall ``R`` over the scored samples,
and M-avg the mean of 12 such F's (:func:`ew_components`). A resample or a permutation then only changes
which rows are summed, so a draw costs one sum, never a rescoring.

- :func:`paired_bootstrap`: the same resample of samples for both systems (Koehn 2004), the percentile
  interval of the difference and a two-sided p-value for "no difference";
- :func:`approximate_randomization`: swap the two systems' rows of each sample with probability 1/2
  (Riezler & Maxwell 2005); ``p = (#{|d_perm| >= |d_obs|} + 1) / (n_draws + 1)``;
- :func:`holm`: Holm–Bonferroni adjusted p-values over a family of comparisons;
- :func:`paired_comparisons`: all of these for many pairs of systems, as one table.

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

Determinism: draws come from ``numpy.random.default_rng`` seeded with ``seed`` (the bootstrap index
matrix is the one :func:`emer.metrics.wheel.ew_intervals` draws for the same seed; the randomization masks
come from an independent child stream of the same seed), and draw sums are computed with ``np.einsum``
(numpy's own loops in a fixed order, no BLAS), so results are identical floats for the same inputs and
seed on one machine, whatever the number of threads.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
import pandas as pd

Statistic = Callable[[np.ndarray], np.ndarray]
P_METHODS = ("shift", "sacrebleu")
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


# --------------------------------------------------------------------------------------------------
# components and statistics


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
    from emer.labels.wheel import EW_METRICS
    from emer.metrics.wheel import KEY_COLUMNS

    missing = [c for c in ("metric", "sample", "accuracy", "recall", "skipped") if c not in sample_scores]
    if missing:
        raise KeyError(f"sample_scores lacks columns {missing}; pass EWScorer.sample_scores output")
    keys = [c for c in KEY_COLUMNS if c in sample_scores]
    samples = sorted(set(sample_scores["sample"]))
    metrics = [m for m in EW_METRICS if m in set(sample_scores["metric"])]
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


# --------------------------------------------------------------------------------------------------
# draws


def _check_draws(n_draws: int, confidence: float | None = None) -> None:
    if isinstance(n_draws, bool) or not isinstance(n_draws, (int, np.integer)) or n_draws < 1:
        raise ValueError(f"n_draws must be an integer of at least 1, not {n_draws!r}")
    if confidence is not None and not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), not {confidence}")


def bootstrap_index(n_samples: int, n_draws: int = 1000, seed: int = 0) -> np.ndarray:
    """Resample indices, shape (n_draws, n_samples): the draws of :func:`ew_intervals` for the same seed."""
    _check_draws(n_draws)
    if n_samples < 1:
        raise ValueError("there are no samples to resample")
    return np.random.default_rng(seed).integers(0, n_samples, size=(n_draws, n_samples))


def swap_masks(n_samples: int, n_draws: int = 1000, seed: int = 0) -> np.ndarray:
    """Randomization masks, bool (n_draws, n_samples): True swaps the two systems' rows of that sample.

    Drawn from the child stream ``SeedSequence(seed, spawn_key=(1,))``, independent of
    :func:`bootstrap_index` for the same seed.
    """
    _check_draws(n_draws)
    if n_samples < 1:
        raise ValueError("there are no samples to permute")
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1,)))
    return rng.integers(0, 2, size=(n_draws, n_samples)).astype(bool)


def _counts(index: np.ndarray, n_samples: int) -> np.ndarray:
    """How often each sample is drawn in each row of ``index``: float (n_draws, n_samples)."""
    n_draws = index.shape[0]
    flat = (index + n_samples * np.arange(n_draws)[:, None]).ravel()
    return np.bincount(flat, minlength=n_draws * n_samples).reshape(n_draws, n_samples).astype(float)


def _weighted_sums(weights: np.ndarray, x: np.ndarray) -> np.ndarray:
    """weights @ x with numpy's einsum loops (no BLAS: the same floats whatever the thread count)."""
    return np.einsum("dn,nc->dc", weights, x, optimize=False)


def _as_matrix(x: np.ndarray, name: str) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    if x.ndim != 2:
        raise ValueError(f"system {name!r}: components must have shape (n_samples, c), not {x.shape}")
    if x.shape[0] == 0:
        raise ValueError(f"system {name!r} has no samples; nothing to compare")
    bad = np.argwhere(~np.isfinite(x))
    if len(bad):
        raise ValueError(
            f"system {name!r} has NaN or infinite components at (sample row, component) {bad[:3].tolist()}; "
            "build components with ew_components/mean_components, which zero unscored cells"
        )
    return x


def _check_systems(systems: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    out = {name: _as_matrix(x, name) for name, x in systems.items()}
    shapes = {name: x.shape for name, x in out.items()}
    if len(set(shapes.values())) > 1:
        first = next(iter(shapes))
        odd = [f"{n!r} {s}" for n, s in shapes.items() if s != shapes[first]]
        raise ValueError(
            f"systems must be scored on the same samples and components: {first!r} has shape "
            f"{shapes[first]} but {', '.join(odd)}; align every system to one ordered sample list"
        )
    return out


def _evaluate(statistic: Statistic, sums: np.ndarray, name: str) -> np.ndarray:
    values = np.asarray(statistic(sums), dtype=float)
    if values.shape != sums.shape[:-1]:
        raise ValueError(
            f"statistic must map sums of shape {sums.shape} to shape {sums.shape[:-1]} (one score per "
            f"row), but returned shape {values.shape}"
        )
    if sums.ndim == 1 and not np.isfinite(values):
        raise ValueError(f"statistic of system {name!r} is {values} on all samples; it cannot be compared")
    bad = np.count_nonzero(~np.isfinite(values))
    if bad:
        raise ValueError(
            f"statistic of system {name!r} is NaN or infinite in {bad} of {values.size} draws; define it for "
            "draws that lack scored samples (the component helpers count 0 there)"
        )
    return values


# --------------------------------------------------------------------------------------------------
# tests


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


@dataclass(frozen=True)
class RandomizationResult:
    """Approximate randomization: scores on all samples, ``delta = value_a - value_b``, the p-value."""

    value_a: float
    value_b: float
    delta: float
    p_value: float
    n_draws: int


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
    _check_draws(n_draws, confidence)
    if p_method not in P_METHODS:
        raise ValueError(f"p_method must be one of {P_METHODS}, not {p_method!r}")
    systems = _check_systems({"a": xa, "b": xb})
    xa, xb = systems["a"], systems["b"]
    n_samples = xa.shape[0]
    if index is None:
        index = bootstrap_index(n_samples, n_draws, seed)
    counts = _counts(_check_index(index, n_samples), n_samples)
    value_a = float(_evaluate(statistic, xa.sum(axis=0), "a"))
    value_b = float(_evaluate(statistic, xb.sum(axis=0), "b"))
    deltas = _evaluate(statistic, _weighted_sums(counts, xa), "a") - _evaluate(
        statistic, _weighted_sums(counts, xb), "b"
    )
    return _bootstrap_result(value_a, value_b, deltas, confidence, p_method)


def _bootstrap_result(
    value_a: float, value_b: float, deltas: np.ndarray, confidence: float, p_method: str
) -> BootstrapResult:
    delta = value_a - value_b
    low, high = _interval(deltas, confidence)
    p = bootstrap_p_value(deltas, delta, p_method)
    return BootstrapResult(value_a, value_b, delta, low, high, p, len(deltas), confidence, deltas)


def _check_index(index: np.ndarray, n_samples: int) -> np.ndarray:
    index = np.asarray(index)
    if index.ndim != 2 or index.shape[1] != n_samples or index.shape[0] < 1:
        raise ValueError(f"index must have shape (n_draws, {n_samples}), not {index.shape}")
    if not np.issubdtype(index.dtype, np.integer) or index.min() < 0 or index.max() >= n_samples:
        raise ValueError(f"index must hold integer sample indices in [0, {n_samples})")
    return index


def _check_masks(masks: np.ndarray, n_samples: int) -> np.ndarray:
    masks = np.asarray(masks)
    if masks.ndim != 2 or masks.shape[1] != n_samples or masks.shape[0] < 1 or masks.dtype != bool:
        raise ValueError(f"masks must be a bool array of shape (n_draws, {n_samples}), not {masks.shape}")
    return masks


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
    _check_draws(n_draws)
    systems = _check_systems({"a": xa, "b": xb})
    xa, xb = systems["a"], systems["b"]
    n_samples = xa.shape[0]
    if masks is None:
        masks = swap_masks(n_samples, n_draws, seed)
    masks = _check_masks(masks, n_samples)
    sum_a, sum_b = xa.sum(axis=0), xb.sum(axis=0)
    value_a = float(_evaluate(statistic, sum_a, "a"))
    value_b = float(_evaluate(statistic, sum_b, "b"))
    return _randomization_result(value_a, value_b, sum_a, sum_b, xb - xa, masks.astype(float), statistic)


def _randomization_result(
    value_a: float,
    value_b: float,
    sum_a: np.ndarray,
    sum_b: np.ndarray,
    diff: np.ndarray,
    weights: np.ndarray,
    statistic: Statistic,
) -> RandomizationResult:
    # what the swapped rows move from b to a; components where the systems agree move nothing
    cols = np.flatnonzero(diff.any(axis=0))
    n_draws = len(weights)
    moved = np.zeros((n_draws, diff.shape[1]))
    if len(cols):
        moved[:, cols] = _weighted_sums(weights, diff[:, cols])
    d_perm = _evaluate(statistic, sum_a + moved, "a") - _evaluate(statistic, sum_b - moved, "b")
    delta = value_a - value_b
    count = int(np.count_nonzero(np.abs(d_perm) >= abs(delta)))
    return RandomizationResult(value_a, value_b, delta, (count + 1) / (n_draws + 1), n_draws)


def holm(pvalues: Sequence[float] | np.ndarray, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Holm–Bonferroni step-down: adjusted p-values (monotone, capped at 1) and reject flags (adjusted <=
    alpha), in the input order. The k-th smallest p becomes ``max_{j<=k} min(1, (m - j + 1) p_(j))``."""
    p = np.asarray(pvalues, dtype=float)
    if p.ndim != 1:
        raise ValueError(f"pvalues must be one-dimensional, not shape {p.shape}")
    if np.isnan(p).any() or (p < 0).any() or (p > 1).any():
        raise ValueError(f"pvalues must lie in [0, 1] (no NaN), got {p.tolist()[:5]}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), not {alpha}")
    m = len(p)
    order = np.argsort(p, kind="stable")
    stepped = np.maximum.accumulate(np.minimum(1.0, (m - np.arange(m)) * p[order]))
    adjusted = np.empty(m)
    adjusted[order] = stepped
    return adjusted, adjusted <= alpha


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
    _check_draws(n_draws, confidence)
    n_permutations = n_draws if n_permutations is None else n_permutations
    _check_draws(n_permutations)
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), not {alpha}")
    if p_method not in P_METHODS:
        raise ValueError(f"p_method must be one of {P_METHODS}, not {p_method!r}")
    checked = _check_systems(systems)
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
    counts = _counts(bootstrap_index(n_samples, n_draws, seed), n_samples)
    weights = swap_masks(n_samples, n_permutations, seed).astype(float)
    used = sorted({n for p in pairs for n in p})
    sums = {n: checked[n].sum(axis=0) for n in used}
    values = {n: float(_evaluate(statistic, sums[n], n)) for n in used}
    resampled = {n: _evaluate(statistic, _weighted_sums(counts, checked[n]), n) for n in used}
    rows = []
    for a, b in pairs:
        boot = _bootstrap_result(values[a], values[b], resampled[a] - resampled[b], confidence, p_method)
        perm = _randomization_result(
            values[a], values[b], sums[a], sums[b], checked[b] - checked[a], weights, statistic
        )
        rows.append(
            [a, b, boot.value_a, boot.value_b, boot.delta, boot.low, boot.high, boot.p_value, perm.p_value]
        )
    table = pd.DataFrame(rows, columns=COMPARISON_COLUMNS[:-2])
    table["p_holm"], table["significant"] = holm(table["p_randomization"].to_numpy(), alpha)
    return table


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
    _check_draws(n_draws, confidence)
    if not items:
        return []
    n_samples = np.shape(items[0][0])[0]
    counts = _counts(bootstrap_index(n_samples, n_draws, seed), n_samples)
    resampled: dict[int, np.ndarray] = {}
    out = []
    for x, statistic in items:
        matrix = _as_matrix(x, "x")
        if matrix.shape[0] != n_samples:
            raise ValueError(f"components have {matrix.shape[0]} rows, the first ones {n_samples}")
        if id(x) not in resampled:
            resampled[id(x)] = _weighted_sums(counts, matrix)
        low, high = _interval(_evaluate(statistic, resampled[id(x)], "x"), confidence)
        out.append((float(_evaluate(statistic, matrix.sum(axis=0), "x")), low, high))
    return out


def bootstrap_draws(x: np.ndarray, statistic: Statistic, n_draws: int = 1000, seed: int = 0) -> np.ndarray:
    """The statistic of each bootstrap draw of the samples (the draws of :func:`bootstrap_intervals` for
    the same seed and sample count), shape (n_draws,)."""
    _check_draws(n_draws)
    matrix = _as_matrix(x, "x")
    n_samples = matrix.shape[0]
    counts = _counts(bootstrap_index(n_samples, n_draws, seed), n_samples)
    return _evaluate(statistic, _weighted_sums(counts, matrix), "x")
