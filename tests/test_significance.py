"""Paired significance tests: toy cases with known answers, brute-force references, the EW components
against :class:`EWScorer` on the released S2 outputs, Holm on a textbook example, determinism, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from emer.analysis.wheel_reproduction import _released_scorer
from emer.metrics.significance import (
    COMPARISON_COLUMNS,
    approximate_randomization,
    bootstrap_index,
    bootstrap_interval,
    bootstrap_p_value,
    ew_components,
    ew_sample_arrays,
    holm,
    mean_components,
    paired_bootstrap,
    paired_comparisons,
    swap_masks,
)
from emer.metrics.wheel import ew_intervals, ew_table


@pytest.fixture(scope="module")
def released(data_dir):
    """(scorer, S2 sample scores, per-system arrays) of the 10 released S2 systems."""
    scorer, outputs = _released_scorer(data_dir, "S2", "MER2025")
    sample_scores = scorer.sample_scores(outputs)
    return scorer, outputs, sample_scores, ew_sample_arrays(sample_scores)


def ratio_toy(seed: int = 3, n: int = 40) -> tuple[np.ndarray, np.ndarray, object]:
    """Two systems scored on a mean over scored samples (a ratio of sums), some samples unscored."""
    rng = np.random.default_rng(seed)
    scored = rng.random(n) > 0.2
    xa, statistic = mean_components(rng.random(n), scored)
    xb, _ = mean_components(rng.random(n), scored)
    return xa, xb, statistic


# ---------------------------------------------------------------- known answers


def test_identical_systems_give_p_one(released):
    _, _, _, arrays = released
    x, statistic = ew_components(*next(iter(arrays.values())))
    boot = paired_bootstrap(x, x.copy(), statistic, n_draws=300)
    perm = approximate_randomization(x, x.copy(), statistic, n_draws=300)
    assert boot.delta == 0 and boot.low == 0 and boot.high == 0
    assert boot.p_value == 1.0 and perm.p_value == 1.0
    # sacrebleu's strict ">" rule gives the smallest p instead (documented quirk)
    assert bootstrap_p_value(boot.deltas, boot.delta, "sacrebleu") == 1 / 301


def test_dominating_system_gives_smallest_p():
    rng = np.random.default_rng(0)
    b = rng.random(50)
    xa, statistic = mean_components(b + 0.05)
    xb, _ = mean_components(b)
    boot = paired_bootstrap(xa, xb, statistic, n_draws=999)
    perm = approximate_randomization(xa, xb, statistic, n_draws=999)
    assert boot.delta == pytest.approx(0.05)
    assert boot.low == pytest.approx(0.05) and boot.high == pytest.approx(0.05)
    assert perm.p_value == 1 / 1000
    assert boot.p_value <= 1 / 1000 + 1e-15
    reverse = approximate_randomization(xb, xa, statistic, n_draws=999)
    assert reverse.delta == pytest.approx(-0.05) and reverse.p_value == 1 / 1000


def test_bootstrap_interval_of_two_samples_is_known():
    """Per-sample differences (0, 1): a resample's mean difference is 0, 1/2 or 1 with probabilities
    1/4, 1/2, 1/4, so the 95% percentile interval is [0, 1] and the draws follow those frequencies."""
    xa, statistic = mean_components(np.array([0.0, 1.0]))
    xb, _ = mean_components(np.array([0.0, 0.0]))
    boot = paired_bootstrap(xa, xb, statistic, n_draws=20_000, seed=5)
    assert boot.delta == 0.5
    assert (boot.low, boot.high) == (0.0, 1.0)
    freq = [np.mean(boot.deltas == v) for v in (0.0, 0.5, 1.0)]
    np.testing.assert_allclose(freq, [0.25, 0.5, 0.25], atol=0.015)


def test_bootstrap_matches_brute_force_reference():
    xa, xb, statistic = ratio_toy()
    index = bootstrap_index(len(xa), 400, seed=11)
    boot = paired_bootstrap(xa, xb, statistic, index=index, confidence=0.9)
    deltas = np.array([float(statistic(xa[i].sum(0)) - statistic(xb[i].sum(0))) for i in index])
    np.testing.assert_allclose(boot.deltas, deltas, rtol=0, atol=1e-12)
    low, high = np.quantile(deltas, [0.05, 0.95])
    assert boot.low == pytest.approx(low, abs=1e-12) and boot.high == pytest.approx(high, abs=1e-12)
    centred = np.abs(deltas - deltas.mean())
    assert boot.p_value == (np.sum(centred >= abs(boot.delta)) + 1) / 401


def test_randomization_matches_brute_force_reference():
    xa, xb, statistic = ratio_toy(seed=8)
    masks = swap_masks(len(xa), 500, seed=2)
    perm = approximate_randomization(xa, xb, statistic, masks=masks)
    observed = abs(float(statistic(xa.sum(0)) - statistic(xb.sum(0))))
    count = 0
    for swap in masks:
        a = np.where(swap[:, None], xb, xa)
        b = np.where(swap[:, None], xa, xb)
        count += abs(float(statistic(a.sum(0)) - statistic(b.sum(0)))) >= observed - 1e-12
    assert perm.p_value == (count + 1) / 501
    assert 0 < perm.p_value < 1


def test_shift_p_is_calibrated_where_sacrebleu_rule_is_not():
    """Two exchangeable systems (no true difference): a 5%-level test should reject about 5% of the time.
    The shifted signed differences and the randomization test do; sacrebleu's folded rule rejects more."""
    rng = np.random.default_rng(1)
    rejected = {"shift": 0, "sacrebleu": 0, "randomization": 0}
    reps = 300
    for rep in range(reps):
        common = rng.normal(size=100)
        xa, statistic = mean_components(common + rng.normal(size=100))
        xb, _ = mean_components(common + rng.normal(size=100))
        boot = paired_bootstrap(xa, xb, statistic, n_draws=400, seed=rep)
        rejected["shift"] += boot.p_value < 0.05
        rejected["sacrebleu"] += bootstrap_p_value(boot.deltas, boot.delta, "sacrebleu") < 0.05
        rejected["randomization"] += approximate_randomization(xa, xb, statistic, 400, rep).p_value < 0.05
    rate = {k: v / reps for k, v in rejected.items()}
    assert 0.02 <= rate["shift"] <= 0.08 and 0.02 <= rate["randomization"] <= 0.08, rate
    assert rate["sacrebleu"] >= 0.09, rate


def test_holm_textbook_example():
    adjusted, reject = holm([0.01, 0.04, 0.03, 0.005], alpha=0.05)
    np.testing.assert_allclose(adjusted, [0.03, 0.06, 0.06, 0.02])
    assert reject.tolist() == [True, False, False, True]
    adjusted, reject = holm([0.5, 0.6])
    assert adjusted.tolist() == [1.0, 1.0] and not reject.any()
    assert holm([])[0].size == 0


# ---------------------------------------------------------------- EW components on the real data


@pytest.mark.parametrize("average", ["f-of-means", "mean-of-f"])
def test_ew_components_equal_ew_scorer(released, average):
    scorer, outputs, _, arrays = released
    table = ew_table(scorer.system_scores(outputs, average=average), percent=False).set_index("system")
    assert len(arrays) == 10
    for (system, _setting), (accuracy, recall, scored) in arrays.items():
        x, statistic = ew_components(accuracy, recall, scored, average=average)
        assert x.shape == (332, 36 if average == "f-of-means" else 24)
        assert float(statistic(x.sum(0))) == pytest.approx(table.loc[system, "M-avg"], abs=1e-12)
        for j, metric in enumerate(scorer.metrics):
            x, statistic = ew_components(accuracy, recall, scored, metric=j, average=average)
            assert float(statistic(x.sum(0))) == pytest.approx(table.loc[system, metric], abs=1e-12)
        # NaN where skipped is read as "not scored"
        x_nan, statistic = ew_components(accuracy, recall, average=average, scale=100)
        assert float(statistic(x_nan.sum(0))) == pytest.approx(100 * table.loc[system, "M-avg"], abs=1e-10)


def test_bootstrap_interval_equals_ew_intervals(released):
    _, _, sample_scores, arrays = released
    reference = ew_intervals(sample_scores, n_boot=200, seed=4)
    reference = reference[reference["metric"] == "M-avg"].set_index("system")
    for (system, _setting), arrays_ in arrays.items():
        x, statistic = ew_components(*arrays_, scale=100)
        value, low, high = bootstrap_interval(x, statistic, n_draws=200, seed=4)
        expected = reference.loc[system, ["value", "low", "high"]].to_numpy(float)
        np.testing.assert_allclose([value, low, high], expected, rtol=0, atol=1e-10)


def test_paired_comparisons_on_released_systems(released):
    _, _, _, arrays = released
    systems, statistic = {}, None
    for (system, _setting), arrays_ in arrays.items():
        systems[system], statistic = ew_components(*arrays_, scale=100)
    names = sorted(systems)
    pairs = [(names[3], n) for n in reversed(names) if n != names[3]]
    table = paired_comparisons(systems, statistic, pairs, n_draws=200, seed=1)
    assert list(table.columns) == COMPARISON_COLUMNS
    assert list(zip(table["system_a"], table["system_b"], strict=True)) == sorted(pairs)
    row = table.iloc[2]
    boot = paired_bootstrap(systems[row.system_a], systems[row.system_b], statistic, n_draws=200, seed=1)
    perm = approximate_randomization(systems[row.system_a], systems[row.system_b], statistic, 200, seed=1)
    assert (row.delta, row.low, row.high, row.p_bootstrap) == (boot.delta, boot.low, boot.high, boot.p_value)
    assert row.p_randomization == perm.p_value
    more = paired_comparisons(systems, statistic, pairs, n_draws=200, seed=1, n_permutations=2000)
    perm = approximate_randomization(systems[row.system_a], systems[row.system_b], statistic, 2000, seed=1)
    assert more.iloc[2].p_randomization == perm.p_value
    pd.testing.assert_frame_equal(more.iloc[:, :8], table.iloc[:, :8])
    adjusted, reject = holm(table["p_randomization"].to_numpy())
    assert table["p_holm"].tolist() == adjusted.tolist() and table["significant"].tolist() == reject.tolist()
    assert (table["p_holm"] >= table["p_randomization"]).all()
    assert ((table["low"] <= table["delta"]) & (table["delta"] <= table["high"])).all()
    default = paired_comparisons(systems, statistic, n_draws=900)
    assert len(default) == 45 and (default["system_a"] < default["system_b"]).all()


# ---------------------------------------------------------------- determinism


def test_same_seed_same_floats_other_seed_other_draws():
    xa, xb, statistic = ratio_toy()
    systems = {"b": xb, "a": xa, "c": (xa + xb) / 2}
    first = paired_comparisons(systems, statistic, n_draws=300, seed=7)
    again = paired_comparisons(dict(reversed(list(systems.items()))), statistic, n_draws=300, seed=7)
    pd.testing.assert_frame_equal(first, again, check_exact=True)
    assert first.to_csv() == again.to_csv()
    other = paired_comparisons(systems, statistic, n_draws=300, seed=8)
    assert not first[["low", "high"]].equals(other[["low", "high"]])
    np.testing.assert_array_equal(bootstrap_index(40, 5, 3), bootstrap_index(40, 5, 3))
    assert not np.array_equal(swap_masks(40, 5, 3), swap_masks(40, 5, 4))


# ---------------------------------------------------------------- errors


def test_errors_are_clear():
    xa, xb, statistic = ratio_toy()
    with pytest.raises(ValueError, match=r"'base' has shape \(40, 2\) but 'new' \(39, 2\)"):
        paired_comparisons({"base": xa, "new": xb[:-1]}, statistic)
    with pytest.raises(ValueError, match="no samples"):
        paired_bootstrap(xa[:0], xb[:0], statistic)
    with pytest.raises(ValueError, match="n_draws"):
        approximate_randomization(xa, xb, statistic, n_draws=0)
    with pytest.raises(ValueError, match="n_draws"):
        paired_bootstrap(xa, xb, statistic, n_draws=0)
    bad = xa.copy()
    bad[4, 1] = np.nan
    with pytest.raises(ValueError, match=r"system 'x' has NaN.*\[\[4, 1\]\]"):
        paired_comparisons({"x": bad, "y": xb}, statistic)
    with pytest.raises(ValueError, match="confidence"):
        paired_bootstrap(xa, xb, statistic, confidence=1.0)
    with pytest.raises(ValueError, match="NaN or infinite at scored"):
        mean_components(np.array([0.5, np.nan]), np.array([True, True]))
    with pytest.raises(ValueError, match="shape"):
        paired_bootstrap(xa, xb, lambda sums: sums)
    with pytest.raises(ValueError, match=r"system 'a' is NaN or infinite in \d+ of 300 draws"):
        paired_bootstrap(
            xa, xb, lambda sums: np.where(sums[..., 1] > xa[:, 1].sum() + 1, np.nan, 0.5), n_draws=300
        )
    with pytest.raises(KeyError, match="unknown system"):
        paired_comparisons({"a": xa, "b": xb}, statistic, [("a", "z")])
    with pytest.raises(ValueError, match="itself"):
        paired_comparisons({"a": xa, "b": xb}, statistic, [("a", "a")])
    with pytest.raises(ValueError, match="twice"):
        paired_comparisons({"a": xa, "b": xb}, statistic, [("a", "b"), ("b", "a")])
    three = {"a": xa, "b": xb, "c": xa + xb}
    with pytest.raises(ValueError, match=r"can never be significant.*n_permutations >= 60"):
        paired_comparisons(three, statistic, n_draws=50)
    assert len(paired_comparisons(three, statistic, n_draws=60)) == 3
    assert len(paired_comparisons(three, statistic, n_draws=10, n_permutations=60)) == 3
    with pytest.raises(ValueError, match="index must"):
        paired_bootstrap(xa, xb, statistic, index=np.zeros((3, 5), dtype=int))
    with pytest.raises(ValueError, match="score no sample"):
        ew_components(np.full((3, 2), np.nan), np.full((3, 2), np.nan))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        holm([0.2, np.nan])


# ---------------------------------------------------------------- leaderboard figure


def leaderboard_toy(n: int) -> pd.DataFrame:
    value = np.linspace(20, 50, n)
    return pd.DataFrame(
        {
            "system": [f"system {i:02d}" for i in range(n)],
            "value": value,
            "low": value - 3,
            "high": value + 3,
            "submitted": np.arange(n) == n // 2,
            "tied_with_best": value >= value.max() - 5,
        }
    ).sample(frac=1, random_state=0)


@pytest.mark.parametrize("n", [1, 7, 40])
def test_leaderboard_figure(tmp_path, n):
    from matplotlib.collections import PathCollection
    from matplotlib.colors import to_hex

    from emer.analysis.leaderboard import SUBMITTED_COLOUR, leaderboard_figure
    from emer.report import save_figure

    table = leaderboard_toy(n)
    fig = leaderboard_figure(table, "M-avg (%)")
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == table.sort_values("value")["system"].tolist()  # bottom to top: best at the top
    bold = [t.get_text() for t in ax.get_yticklabels() if t.get_fontweight() == "bold"]
    assert bold == table.loc[table["submitted"], "system"].tolist()
    assert all(
        to_hex(t.get_color()) == SUBMITTED_COLOUR.lower()
        for t in ax.get_yticklabels()
        if t.get_text() in bold
    )
    points = [c for c in ax.collections if isinstance(c, PathCollection) and len(c.get_offsets())]
    hollow = [c for c in points if (c.get_facecolors()[:, :3] == 1).all()]
    assert sum(c.get_offsets().shape[0] for c in hollow) == int(table["tied_with_best"].sum())
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "difference from the top system not significant" in legend
    assert ax.get_xlabel() == "M-avg (%)"
    first = save_figure(fig, "leaderboard", tmp_path / "a").read_bytes()
    assert (
        first
        == save_figure(leaderboard_figure(table, "M-avg (%)"), "leaderboard", tmp_path / "b").read_bytes()
    )


def test_leaderboard_figure_refuses_bad_tables():
    from emer.analysis.leaderboard import leaderboard_figure

    table = leaderboard_toy(3)
    with pytest.raises(KeyError, match="tied_with_best"):
        leaderboard_figure(table.drop(columns="tied_with_best"))
    with pytest.raises(ValueError, match="no rows"):
        leaderboard_figure(table.iloc[:0])
    with pytest.raises(ValueError, match="twice"):
        leaderboard_figure(pd.concat([table, table.iloc[:1]]))
    with pytest.raises(ValueError, match="system 01"):
        leaderboard_figure(table.assign(low=np.where(table["system"] == "system 01", np.nan, table["low"])))
