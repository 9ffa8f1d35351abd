"""Per-sample emotion metrics and their aggregation agree with the tables of notebooks 02 and 06."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emer.analysis.metric_study import (
    EmotionAggregate,
    correlation_strength,
    emotion_sample_table,
    hit_sample_table,
)
from emer.analysis.onehot import onehot_gold, system_hit_rates
from emer.analysis.strategies import strategy_table
from emer.data import load_gold_ov_labels, load_mer2023_labels, load_system_outputs
from emer.labels.wheel import wheel_groupings
from emer.metrics.hitrate import HIT_RATE_METRICS


@pytest.fixture(scope="module")
def released(data_dir: Path):
    outputs = load_system_outputs(data_dir)
    outputs = outputs[outputs["system"].isin(["Otter", "SALMONN"])]
    gold = load_gold_ov_labels(data_dir)
    onehot = onehot_gold(load_mer2023_labels(data_dir), gold["sample"].tolist())
    return outputs, gold, onehot, wheel_groupings(data_dir)


def test_aggregate_equals_the_strategy_table(released) -> None:
    outputs, gold, onehot, wheels = released
    labels = dict(zip(gold["sample"], gold["labels"], strict=True))
    samples = emotion_sample_table(outputs, labels, onehot, wheels)
    assert len(samples) == len(outputs)
    aggregated = EmotionAggregate()(samples).set_index(["system", "setting"])
    reference = strategy_table(outputs, gold, wheels).set_index(["system", "setting"])
    np.testing.assert_allclose(aggregated["M-avg"], reference["M-avg"], rtol=0, atol=1e-9)
    hits = system_hit_rates(outputs, onehot, {m: wheels[m] for m in HIT_RATE_METRICS})
    mean_hits = hits[hits["metric"] == "mean"].set_index(["system", "setting"])["hit_rate"]
    np.testing.assert_allclose(aggregated["hit rate"], mean_hits, rtol=0, atol=1e-12)


def test_hit_sample_table_skips_unmappable_labels(released) -> None:
    outputs, _, _, wheels = released
    part = outputs[(outputs["system"] == "Otter") & (outputs["setting"] == "S2")].head(2)
    onehot = {part["sample"].iloc[0]: "neutral", part["sample"].iloc[1]: "happy"}
    part = part.assign(labels=[["happy"], ["joyful"]])
    table = hit_sample_table(part, onehot, wheels)
    assert np.isnan(table["hit rate"].iloc[0])  # neutral maps nowhere: skipped
    assert table["hit rate"].iloc[1] == 1.0  # joyful and happy share each wheel's level-1 class


def test_correlation_strength_counts() -> None:
    table = pd.DataFrame(
        {
            "method": ["pearson"] * 3,
            "r": [0.1, 0.5, 0.9],
            "ci_low": [-0.2, 0.1, 0.8],
            "ci_high": [0.3, 0.7, 1.0],
        }
    )
    row = correlation_strength(table).iloc[0]
    assert (row["weak"], row["moderate"], row["strong"], row["CI contains 0"]) == (1, 1, 1, 1)
