"""Hit rate of one-hot gold labels under the EW groupings: hand-computed toy cases and the released data."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from wheel_toy import toy_tables

from emer.data import load_mer2023_labels, load_system_outputs
from emer.labels.wheel import wheel_groupings
from emer.metrics.hitrate import HIT_RATE_METRICS, hit_rate_scores, hit_rate_table, summarise_hit_rate

GOLD = {"a": "happy", "b": "angry", "c": "neutral", "d": "Scared"}
PRED = {"a": ["glad", "fear"], "b": ["scared"], "c": ["happy"], "d": []}


@pytest.fixture(scope="module")
def toy():
    return wheel_groupings(tables=toy_tables())


def test_hand_computed_wheel1(toy) -> None:
    # W1-L1: happy->happy, angry->mad, neutral->nothing (skipped), scared->scared; glad->happy,
    # fear->happy (through fearless->brave). Label space {happy, mad, scared}.
    scores = hit_rate_scores(GOLD, PRED, toy["W1-L1"]).set_index("sample")
    assert scores["hit"].tolist()[:2] == [1.0, 0.0] and scores.loc["d", "hit"] == 0.0
    assert bool(scores.loc["c", "skipped"]) and math.isnan(scores.loc["c", "hit"])
    assert scores.loc["a", "gold_class"] == "happy" and scores.loc["b", "gold_class"] == "mad"
    assert scores["label_space_precision"].fillna(-1).tolist() == [1.0, 0.0, -1, 0.0]
    summary = summarise_hit_rate(scores.reset_index())
    assert summary["hit_rate"] == pytest.approx(1 / 3)
    assert summary["label_space_precision"] == pytest.approx(1 / 3)
    assert (summary["n_scored"], summary["n_skipped"]) == (3, 1)


def test_hand_computed_wheel2_and_mean(toy) -> None:
    # W2-L1: fear->fearful, so sample a predicts {happy, fearful}: hit, label-space precision 1/2.
    table = hit_rate_table(GOLD, PRED, {"W1-L1": toy["W1-L1"], "W2-L1": toy["W2-L1"]}).set_index("metric")
    assert table.loc["W2-L1", "hit_rate"] == pytest.approx(1 / 3)
    assert table.loc["W2-L1", "label_space_precision"] == pytest.approx((1 / 2 + 0 + 0) / 3)
    assert table.loc["mean", "hit_rate"] == pytest.approx(1 / 3)
    assert table.loc["mean", "label_space_precision"] == pytest.approx((1 / 3 + 1 / 6) / 2)


def test_same_mapping_on_both_sides(toy) -> None:
    # `worried`-like gold words meet synonyms only after mapping: gold "glad" is hit by "happy" at W1-L1.
    scores = hit_rate_scores({"s": "GLAD "}, {"s": ["Happy"]}, toy["W1-L1"])
    assert scores.loc[0, "hit"] == 1.0
    scores = hit_rate_scores({"s": "glad"}, {"s": ["unknownword", "don't care"]}, toy["W1-L1"])
    assert scores.loc[0, ["hit", "n_pred", "label_space_precision"]].tolist() == [0.0, 0, 0.0]


def test_errors(toy) -> None:
    with pytest.raises(KeyError, match="have no prediction"):
        hit_rate_scores({"a": "happy"}, {}, toy["W1-L1"])
    with pytest.raises(TypeError, match="must be strings"):
        hit_rate_scores({"a": ["happy"]}, {"a": []}, toy["W1-L1"])  # type: ignore[dict-item]


def test_released_outputs(data_dir: Path) -> None:
    labels = load_mer2023_labels(data_dir)
    outputs = load_system_outputs(data_dir)
    outputs = outputs[(outputs["setting"] == "S2") & outputs["system"].isin(["Otter", "SALMONN"])]
    gold = dict(zip(labels["sample"], labels["label"], strict=True))
    gold = {s: gold[s] for s in sorted(set(outputs["sample"]))}
    groupings = wheel_groupings(data_dir)
    table = hit_rate_table(gold, outputs, {m: groupings[m] for m in HIT_RATE_METRICS})
    assert isinstance(table, pd.DataFrame) and len(table) == 2 * 6
    rows = table.set_index(["system", "metric"])
    assert rows.loc[("Otter", "W1-L1"), "n_skipped"] == 0  # no neutral sample among the 332
    assert rows.loc[("Otter", "W5-L1"), "n_skipped"] == 23  # `surprise` is on no wheel-5 ring
    assert ((table["hit_rate"] > 0.3) & (table["hit_rate"] < 0.9)).all()
