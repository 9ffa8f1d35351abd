"""System- and sample-level correlations with bootstrap intervals, on synthetic per-sample tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from emer.analysis import correlation as c
from emer.metrics.matching import matching_system_table


def _tables(n_systems: int = 8, n_samples: int = 40, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """x: an emotion-like metric; y: two matching-like metrics, one tracking the system quality."""
    rng = np.random.default_rng(seed)
    quality = np.linspace(0.2, 0.8, n_systems)
    rows_x, rows_y = [], []
    for s, q in enumerate(quality):
        for i in range(n_samples):
            sample = f"sample_{i:03d}"
            shared = rng.normal(0, 0.2)
            rows_x.append({"system": f"M{s}", "setting": "S0", "sample": sample, "avg": q + shared})
            rows_y.append(
                {
                    "system": f"M{s}",
                    "setting": "S0",
                    "sample": sample,
                    "bleu_4": 0.1 * q + 0.05 * shared + rng.normal(0, 0.01),
                    "noise": rng.normal(0, 1),
                }
            )
    return pd.DataFrame(rows_x), pd.DataFrame(rows_y)


def test_matrix_kernel_equals_scipy() -> None:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 5, size=(12, 3)).astype(float)  # ties on purpose
    y = np.column_stack([x[:, 0] + rng.normal(0, 1, 12), rng.normal(0, 1, 12)])
    reference = {"pearson": stats.pearsonr, "spearman": stats.spearmanr, "kendall": stats.kendalltau}
    for method, function in reference.items():
        matrix = c.correlation_matrix(x, y, method)
        for i in range(3):
            for j in range(2):
                assert matrix[i, j] == pytest.approx(function(x[:, i], y[:, j]).statistic, abs=1e-12)
                assert c.correlation(x[:, i], y[:, j], method)[0] == pytest.approx(matrix[i, j], abs=1e-12)


def test_undefined_correlations_are_nan() -> None:
    assert np.isnan(c.correlation(np.ones(5), np.arange(5.0), "pearson")[0])
    assert np.isnan(c.correlation_matrix(np.ones((5, 1)), np.arange(5.0)[:, None], "kendall")[0, 0])
    with_nan = np.array([[1.0], [2.0], [np.nan], [4.0], [5.0]])
    assert c.correlation_matrix(with_nan, np.arange(5.0)[:, None], "spearman")[0, 0] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="method must be one of"):
        c.correlation(np.arange(3.0), np.arange(3.0), "cosine")


def test_system_correlations_point_estimates() -> None:
    table = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [2.0, 4, 6, 8], "c": [4.0, 3, 2, 1]})
    result = c.system_correlations(table, ["a"], ["b", "c"])
    assert list(result.columns) == c.SYSTEM_COLUMNS
    assert result["r"].tolist() == pytest.approx([1, 1, 1, -1, -1, -1])
    assert (result["n_systems"] == 4).all()


def test_bootstrap_system_correlations() -> None:
    x, y = _tables()
    result = c.bootstrap_system_correlations(x, y, ["avg"], ["bleu_4", "noise"], n_boot=200, seed=7)
    assert list(result.columns) == c.BOOTSTRAP_COLUMNS
    assert len(result) == 6 and (result["n_systems"] == 8).all() and (result["n_samples"] == 40).all()
    strong = result[result["y_metric"] == "bleu_4"]
    assert (strong["r"] > 0.9).all() and (strong["ci_low"] > 0.5).all()
    assert (result["ci_low"] <= result["r"] + 1e-12).all() and (
        result["r"] <= result["ci_high"] + 1e-12
    ).all()
    noise = result[result["y_metric"] == "noise"]
    assert (noise["ci_high"] - noise["ci_low"] > 0.3).all()
    # point estimate = correlation of the per-system means
    means_x, means_y = x.groupby("system")["avg"].mean(), y.groupby("system")["bleu_4"].mean()
    assert strong.iloc[0]["r"] == pytest.approx(stats.pearsonr(means_x, means_y).statistic)
    again = c.bootstrap_system_correlations(x, y, ["avg"], ["bleu_4", "noise"], n_boot=200, seed=7)
    pd.testing.assert_frame_equal(result, again)
    other = c.bootstrap_system_correlations(x, y, ["avg"], ["bleu_4", "noise"], n_boot=200, seed=8)
    assert not np.allclose(other["ci_low"], result["ci_low"])


def test_bootstrap_takes_any_aggregation_and_one_table() -> None:
    x, y = _tables(n_systems=5, n_samples=20)
    seen: list[int] = []

    def median(frame: pd.DataFrame) -> pd.DataFrame:
        seen.append(len(frame))
        return frame.groupby(["system", "setting"], sort=True)[["avg"]].median().reset_index()

    result = c.bootstrap_system_correlations(x, y, ["avg"], ["bleu_4"], aggregate_x=median, n_boot=20)
    assert seen == [100] * 21 and result["n_boot_valid"].tolist() == [20, 20, 20]
    merged = x.merge(y, on=["system", "setting", "sample"])
    single = c.bootstrap_system_correlations(merged, None, ["avg"], ["bleu_4"], n_boot=20)
    plain = c.bootstrap_system_correlations(x, y, ["avg"], ["bleu_4"], n_boot=20)
    pd.testing.assert_frame_equal(single, plain)


def test_bootstrap_with_matching_corpus_aggregation() -> None:
    x, _ = _tables(n_systems=4, n_samples=10)
    rng = np.random.default_rng(3)
    matching = x[["system", "setting", "sample"]].copy()
    matching["language"] = "en"
    for column in ["bleu_1", "bleu_2", "bleu_3", "bleu_4", "meteor", "rouge_l", "cider", "similarity"]:
        matching[column] = rng.uniform(0, 1, len(x))
    matching["pred_tokens"] = rng.integers(5, 30, len(x))
    matching["gold_tokens"] = 20
    for k in range(1, 5):
        matching[f"bleu_match_{k}"] = np.maximum(0, matching["pred_tokens"] // (k + 1) - 1)
    matching["meteor_stats"] = [
        f"{n}.0 20.0 2.0 5.0 {n // 2}.0 {n // 2}.0 1.0 1.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 "
        f"2.0 {n // 2 + 1}.0 {n // 2 + 1}.0"
        for n in matching["pred_tokens"]
    ]
    result = c.bootstrap_system_correlations(
        x, matching, ["avg"], ["bleu_4_corpus", "meteor_corpus"], aggregate_y=matching_system_table, n_boot=10
    )
    assert result["r"].notna().all() and (result["n_boot_valid"] == 10).all()


def test_bootstrap_input_errors() -> None:
    x, y = _tables(n_systems=3, n_samples=5)
    with pytest.raises(ValueError, match="cover different samples: 1 only in x"):
        c.bootstrap_system_correlations(x, y[y["sample"] != "sample_004"], ["avg"], ["bleu_4"], n_boot=5)
    with pytest.raises(ValueError, match="appears more than once"):
        c.bootstrap_system_correlations(pd.concat([x, x.iloc[:1]]), y, ["avg"], ["bleu_4"], n_boot=5)
    with pytest.raises(ValueError, match=r"missing columns \['rouge'\]"):
        c.bootstrap_system_correlations(x, y, ["avg"], ["rouge"], n_boot=5)
    with pytest.raises(ValueError, match="different systems"):
        c.bootstrap_system_correlations(x, y.assign(system=y["system"] + "x"), ["avg"], ["bleu_4"], n_boot=5)


def test_sample_level_correlations_and_summary() -> None:
    x, y = _tables(n_systems=4, n_samples=30)
    table = c.sample_correlations(x, y, ["avg"], ["bleu_4", "noise"])
    assert list(table.columns) == ["system", "setting", *c.SAMPLE_COLUMNS]
    assert len(table) == 4 * 2 * 3 and (table["n_samples"] == 30).all()
    first = table[
        (table["system"] == "M0") & (table["y_metric"] == "bleu_4") & (table["method"] == "pearson")
    ]
    part_x, part_y = x[x["system"] == "M0"], y[y["system"] == "M0"]
    assert first["r"].iloc[0] == pytest.approx(stats.pearsonr(part_x["avg"], part_y["bleu_4"]).statistic)
    summary = c.summarise_sample_correlations(table)
    assert list(summary.columns) == c.SUMMARY_COLUMNS and len(summary) == 6
    row = summary[(summary["y_metric"] == "bleu_4") & (summary["method"] == "pearson")].iloc[0]
    rs = table[(table["y_metric"] == "bleu_4") & (table["method"] == "pearson")]["r"]
    assert row["mean_r"] == pytest.approx(rs.mean()) and row["n_systems"] == 4
    assert row["n_positive"] == 4 and row["n_significant"] == 4 and row["min_r"] <= row["fisher_mean_r"]


def test_sample_level_skips_missing_values() -> None:
    x, y = _tables(n_systems=2, n_samples=10)
    x.loc[x.index[:3], "avg"] = np.nan  # e.g. samples skipped by a set metric
    table = c.sample_correlations(x, y, ["avg"], ["bleu_4"], methods=["spearman"])
    assert table["n_samples"].tolist() == [7, 10]
    with pytest.raises(ValueError, match="in both tables"):
        c.sample_correlations(x, x, ["avg"], ["avg"])


def test_pearson_matrix_sums_in_a_fixed_order_not_blas() -> None:
    # The products are summed over rows in row order, as plain float additions, so the bits do not
    # depend on the BLAS kernel or thread count (another CPU); `xc.T @ yc` sums in the kernel's order.
    rng = np.random.default_rng(7)
    x, y = rng.random((40, 5)) * [1, 1e-3, 1e3, 1, 1], rng.random((40, 6))
    xc, yc = x - x.mean(axis=0), y - y.mean(axis=0)
    expected = np.empty((5, 6))
    for i in range(5):
        for j in range(6):
            total = sx = sy = 0.0
            for k in range(40):
                total += xc[k, i] * yc[k, j]
                sx += xc[k, i] ** 2
                sy += yc[k, j] ** 2
            expected[i, j] = total / np.sqrt(sx * sy)
    assert c.correlation_matrix(x, y, "pearson").tolist() == np.clip(expected, -1, 1).tolist()
