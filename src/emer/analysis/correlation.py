"""Correlations between metric families (e.g. emotion-based vs matching-based), system and sample level.

System level: each system (a (system, setting) pair by default) is one point; its metrics come from an
aggregation of per-sample values (mean by default, any callable allowed, e.g.
:func:`emer.metrics.matching.matching_system_table`). Pearson, Spearman and Kendall (tau-b) get 95%
percentile intervals from a paired bootstrap over samples: one draw of samples (with replacement) is
applied to every system and both tables, the per-system metrics are recomputed from the drawn rows, and
the correlation is recomputed. The draws come from ``numpy.random.default_rng(seed)``.

Reproducible on any machine: the sums behind the bootstrap means and the Pearson/Spearman products are
numpy reductions in a fixed order, not BLAS (``@``), whose kernels and thread count change the order
of a float sum and so the last bits. (Kendall's sign products are small integers, exact in any order.)

Sample level: within each system, the correlation over samples between a per-sample metric of one table
and one of the other; :func:`summarise_sample_correlations` then summarises across systems.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

METHODS = ("pearson", "spearman", "kendall")
KEYS = ("system", "setting")
Aggregate = Callable[[pd.DataFrame], pd.DataFrame]

SYSTEM_COLUMNS = ["x_metric", "y_metric", "method", "n_systems", "r", "p_value"]
BOOTSTRAP_COLUMNS = [
    *SYSTEM_COLUMNS,
    "ci_low",
    "ci_high",
    "confidence",
    "n_boot",
    "n_boot_valid",
    "n_samples",
]
SAMPLE_COLUMNS = ["x_metric", "y_metric", "method", "n_samples", "r", "p_value"]
SUMMARY_COLUMNS = [
    "x_metric",
    "y_metric",
    "method",
    "n_systems",
    "mean_r",
    "fisher_mean_r",
    "median_r",
    "min_r",
    "max_r",
    "n_positive",
    "n_significant",
]


class MeanAggregate:
    """Aggregation by mean over samples (NaN skipped), grouped by ``keys``; the default aggregation."""

    def __init__(self, keys: Sequence[str] = KEYS) -> None:
        self.keys = list(keys)

    def __call__(self, frame: pd.DataFrame) -> pd.DataFrame:
        numeric = [c for c in frame.columns if c not in self.keys and pd.api.types.is_numeric_dtype(frame[c])]
        numeric = [c for c in numeric if not pd.api.types.is_bool_dtype(frame[c])]
        return frame.groupby(self.keys, sort=True)[numeric].mean().reset_index()

    def __repr__(self) -> str:
        return f"MeanAggregate(keys={self.keys})"


# ---------------------------------------------------------------------------------------------- kernels


def correlation(x: np.ndarray, y: np.ndarray, method: str) -> tuple[float, float]:
    """(r, two-sided p) over the pairs where both values are finite; NaN when undefined."""
    _check_method(method)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = np.asarray(x, float)[ok], np.asarray(y, float)[ok]
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan"), float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if method == "pearson":
            result = stats.pearsonr(x, y)
        elif method == "spearman":
            result = stats.spearmanr(x, y)
        else:
            result = stats.kendalltau(x, y, variant="b")
    return float(result.statistic), float(result.pvalue)


def correlation_matrix(x: np.ndarray, y: np.ndarray, method: str) -> np.ndarray:
    """Correlation of every column of ``x`` (n × p) with every column of ``y`` (n × q): a p × q array.

    Vectorised (used by the bootstrap); equals :func:`correlation` column by column. Kendall is tau-b.
    Columns with a non-finite value fall back to pairwise-complete computation.
    """
    _check_method(method)
    x, y = np.asarray(x, float), np.asarray(y, float)
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        return np.array(
            [[correlation(x[:, i], y[:, j], method)[0] for j in range(y.shape[1])] for i in range(x.shape[1])]
        )
    if x.shape[0] < 3:
        return np.full((x.shape[1], y.shape[1]), np.nan)
    if method == "spearman":
        x, y = stats.rankdata(x, axis=0), stats.rankdata(y, axis=0)
    if method == "kendall":
        sx = np.sign(x[:, None, :] - x[None, :, :]).reshape(-1, x.shape[1])
        sy = np.sign(y[:, None, :] - y[None, :, :]).reshape(-1, y.shape[1])
        numerator = sx.T @ sy
        scale = np.sqrt(np.outer((sx**2).sum(axis=0), (sy**2).sum(axis=0)))
    else:
        xc, yc = x - x.mean(axis=0), y - y.mean(axis=0)
        numerator = (xc[:, :, None] * yc[:, None, :]).sum(axis=0)  # not xc.T @ yc: BLAS order varies
        scale = np.sqrt(np.outer((xc**2).sum(axis=0), (yc**2).sum(axis=0)))
    with np.errstate(divide="ignore", invalid="ignore"):
        r = numerator / scale
    r[scale == 0] = np.nan
    return np.clip(r, -1.0, 1.0)


# ---------------------------------------------------------------------------------------------- system level


def system_correlations(
    table: pd.DataFrame,
    x_metrics: Sequence[str],
    y_metrics: Sequence[str],
    methods: Sequence[str] = METHODS,
) -> pd.DataFrame:
    """Point estimates over the rows (systems) of one per-system table, with p-values; no interval."""
    _require_columns(table, [*x_metrics, *y_metrics], "per-system table")
    rows = []
    for x_metric in x_metrics:
        for y_metric in y_metrics:
            x, y = table[x_metric].to_numpy(float), table[y_metric].to_numpy(float)
            for method in methods:
                r, p = correlation(x, y, method)
                n = int((np.isfinite(x) & np.isfinite(y)).sum())
                rows.append([x_metric, y_metric, method, n, r, p])
    return pd.DataFrame(rows, columns=SYSTEM_COLUMNS)


def bootstrap_system_correlations(
    x: pd.DataFrame,
    y: pd.DataFrame | None,
    x_metrics: Sequence[str],
    y_metrics: Sequence[str],
    *,
    keys: Sequence[str] = KEYS,
    aggregate_x: Aggregate | None = None,
    aggregate_y: Aggregate | None = None,
    methods: Sequence[str] = METHODS,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    sample_col: str = "sample",
) -> pd.DataFrame:
    """System-level correlations between metrics of two per-sample tables, with bootstrap intervals.

    ``x`` and ``y`` have one row per (keys..., sample); ``y=None`` takes both metric sets from ``x``.
    Both must cover the same samples. ``aggregate_x``/``aggregate_y`` turn a per-sample table (rows
    may repeat in a bootstrap draw) into a per-system table with the key columns (default
    :class:`MeanAggregate`); the metrics are columns of those aggregated tables. Point estimate and
    p-value: the full data; interval: percentiles of the ``n_boot`` resampled correlations (draws where
    a correlation is undefined are left out, see ``n_boot_valid``). Columns: :data:`BOOTSTRAP_COLUMNS`.
    """
    keys = list(keys)
    for method in methods:
        _check_method(method)
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), not {confidence}")
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1, not {n_boot}")
    y_frame = x if y is None else y
    _require_columns(x, [*keys, sample_col], "x per-sample table")
    _require_columns(y_frame, [*keys, sample_col], "y per-sample table")
    _check_unique(x, [*keys, sample_col], "x per-sample table")
    _check_unique(y_frame, [*keys, sample_col], "y per-sample table")
    samples = sorted(set(x[sample_col]))
    other = sorted(set(y_frame[sample_col]))
    if samples != other:
        only_x, only_y = sorted(set(samples) - set(other)), sorted(set(other) - set(samples))
        raise ValueError(
            f"x and y cover different samples: {len(only_x)} only in x (first {only_x[:3]}), {len(only_y)} "
            f"only in y (first {only_y[:3]}); restrict both tables to the shared samples"
        )
    aggregate_x = aggregate_x or MeanAggregate(keys)
    aggregate_y = aggregate_y or MeanAggregate(keys)

    full_x, full_y = aggregate_x(x), aggregate_y(y_frame)
    systems = _systems(full_x, keys)
    differ = sorted(set(systems) ^ set(_systems(full_y, keys)))
    if differ:
        raise ValueError(
            f"x and y aggregate to different systems, e.g. {differ[:3]}; give both the same systems"
        )
    point_x, point_y = _matrix(full_x, keys, systems, x_metrics), _matrix(full_y, keys, systems, y_metrics)

    resample_x = _resampler(x, aggregate_x, keys, sample_col, samples, systems, x_metrics)
    resample_y = _resampler(y_frame, aggregate_y, keys, sample_col, samples, systems, y_metrics)
    rng = np.random.default_rng(seed)
    draws = np.empty((n_boot, len(methods), len(x_metrics), len(y_metrics)))
    for b in range(n_boot):
        drawn = rng.integers(0, len(samples), size=len(samples))
        boot_x, boot_y = resample_x(drawn), resample_y(drawn)
        for m, method in enumerate(methods):
            draws[b, m] = correlation_matrix(boot_x, boot_y, method)

    tail = (1 - confidence) / 2
    rows = []
    for i, x_metric in enumerate(x_metrics):
        for j, y_metric in enumerate(y_metrics):
            for m, method in enumerate(methods):
                r, p = correlation(point_x[:, i], point_y[:, j], method)
                valid = draws[:, m, i, j][np.isfinite(draws[:, m, i, j])]
                low, high = np.quantile(valid, [tail, 1 - tail]) if len(valid) else (np.nan, np.nan)
                n = int((np.isfinite(point_x[:, i]) & np.isfinite(point_y[:, j])).sum())
                rows.append(
                    [
                        x_metric,
                        y_metric,
                        method,
                        n,
                        r,
                        p,
                        float(low),
                        float(high),
                        confidence,
                        n_boot,
                        len(valid),
                    ]
                    + [len(samples)]
                )
    return pd.DataFrame(rows, columns=BOOTSTRAP_COLUMNS)


# ---------------------------------------------------------------------------------------------- sample level


def sample_correlations(
    x: pd.DataFrame,
    y: pd.DataFrame | None,
    x_metrics: Sequence[str],
    y_metrics: Sequence[str],
    *,
    keys: Sequence[str] = KEYS,
    methods: Sequence[str] = METHODS,
    sample_col: str = "sample",
) -> pd.DataFrame:
    """Within each system, the correlation over samples of each x metric with each y metric.

    Rows are matched on (keys..., sample); samples with a missing value in either metric are left out
    of that pair. Columns: keys, then :data:`SAMPLE_COLUMNS`.
    """
    keys = list(keys)
    for method in methods:
        _check_method(method)
    join = [*keys, sample_col]
    _require_columns(x, [*join, *x_metrics], "x per-sample table")
    _check_unique(x, join, "x per-sample table")
    if y is None:
        merged = x[list(dict.fromkeys([*join, *x_metrics, *y_metrics]))]
    else:
        _require_columns(y, [*join, *y_metrics], "y per-sample table")
        _check_unique(y, join, "y per-sample table")
        clash = sorted(set(x_metrics) & set(y_metrics))
        if clash:
            raise ValueError(f"metric names {clash} are in both tables; rename one side first")
        merged = x[[*join, *x_metrics]].merge(y[[*join, *y_metrics]], on=join, how="inner", validate="1:1")
        if merged.empty:
            raise ValueError("x and y share no (system, sample) row; check the key columns")
    rows = []
    for key, group in merged.groupby(keys, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        for x_metric in x_metrics:
            for y_metric in y_metrics:
                a, b = group[x_metric].to_numpy(float), group[y_metric].to_numpy(float)
                n = int((np.isfinite(a) & np.isfinite(b)).sum())
                for method in methods:
                    r, p = correlation(a, b, method)
                    rows.append([*key, x_metric, y_metric, method, n, r, p])
    return pd.DataFrame(rows, columns=[*keys, *SAMPLE_COLUMNS])


def summarise_sample_correlations(table: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Across systems, per (x metric, y metric, method): mean, Fisher-z mean, median, range of r, and how
    many systems have a positive r and a p-value below ``alpha``. Systems with an undefined r are left out.
    """
    _require_columns(table, SAMPLE_COLUMNS, "sample-level correlation table")
    rows = []
    order = table[["x_metric", "y_metric", "method"]].drop_duplicates()
    for x_metric, y_metric, method in order.itertuples(index=False):
        part = table[
            (table["x_metric"] == x_metric) & (table["y_metric"] == y_metric) & (table["method"] == method)
        ]
        r = part["r"].to_numpy(float)
        ok = np.isfinite(r)
        r, p = r[ok], part["p_value"].to_numpy(float)[ok]
        if len(r):
            fisher = float(np.tanh(np.mean(np.arctanh(np.clip(r, -0.999999, 0.999999)))))
            summary = [float(r.mean()), fisher, float(np.median(r)), float(r.min()), float(r.max())]
        else:
            summary = [float("nan")] * 5
        rows.append(
            [x_metric, y_metric, method, len(r), *summary, int((r > 0).sum()), int((p < alpha).sum())]
        )
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


# ---------------------------------------------------------------------------------------------- helpers


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")


def _require_columns(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what}: missing columns {missing}; it has {list(frame.columns)}")


def _check_unique(frame: pd.DataFrame, columns: list[str], what: str) -> None:
    duplicated = frame.duplicated(columns)
    if duplicated.any():
        first = frame.iloc[int(np.flatnonzero(duplicated.to_numpy())[0])][columns].tolist()
        raise ValueError(f"{what}: row {dict(zip(columns, first, strict=True))} appears more than once")


def _systems(aggregated: pd.DataFrame, keys: list[str]) -> list[tuple]:
    _require_columns(aggregated, keys, "aggregated table (the aggregation must keep the key columns)")
    return sorted(aggregated[keys].itertuples(index=False, name=None))


def _matrix(
    aggregated: pd.DataFrame, keys: list[str], systems: list[tuple], metrics: Sequence[str]
) -> np.ndarray:
    _require_columns(aggregated, [*keys, *metrics], "aggregated table")
    indexed = aggregated.set_index(keys)
    return indexed.reindex(
        pd.MultiIndex.from_tuples(systems, names=keys) if len(keys) > 1 else [s[0] for s in systems]
    )[list(metrics)].to_numpy(float)


def _resampler(
    frame: pd.DataFrame,
    aggregate: Aggregate,
    keys: list[str],
    sample_col: str,
    samples: list[str],
    systems: list[tuple],
    metrics: Sequence[str],
) -> Callable[[np.ndarray], np.ndarray]:
    """drawn sample indices -> systems × metrics array of the aggregation over the drawn rows.

    A :class:`MeanAggregate` on the same keys is computed from draw counts (weighted means, NaN
    skipped), which equals aggregating the repeated rows; any other aggregation gets the repeated rows.
    """
    sample_index = {s: i for i, s in enumerate(samples)}
    if isinstance(aggregate, MeanAggregate) and aggregate.keys == keys:
        system_index = {s: i for i, s in enumerate(systems)}
        rows = [system_index[k] for k in frame[keys].itertuples(index=False, name=None)]
        cols = frame[sample_col].map(sample_index).to_numpy()
        values = np.full((len(metrics), len(systems), len(samples)), np.nan)
        for m, metric in enumerate(metrics):
            values[m, rows, cols] = frame[metric].to_numpy(float)
        present = np.isfinite(values)
        filled = np.where(present, values, 0.0)

        def weighted(drawn: np.ndarray) -> np.ndarray:
            counts = np.bincount(drawn, minlength=len(samples)).astype(float)
            with np.errstate(divide="ignore", invalid="ignore"):
                # Fixed-order sums, not `filled @ counts` (BLAS: the order depends on CPU and threads).
                return ((filled * counts).sum(axis=-1) / (present * counts).sum(axis=-1)).T

        return weighted
    groups = frame.groupby(sample_col, sort=True).indices
    positions = [np.asarray(groups[s]) for s in samples]

    def repeated(drawn: np.ndarray) -> np.ndarray:
        return _matrix(
            aggregate(frame.take(np.concatenate([positions[i] for i in drawn]))), keys, systems, metrics
        )

    return repeated
