"""Fidelity of the offline sentiment mapping to the field's released LLM sentiments (development: CMU-MOSI;
held-out: CH-SIMS). The figures asserted here are the ones docs/scoring.md reports."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from emer.analysis.sentiment_fidelity import (
    DEV,
    FIDELITY_COLUMNS,
    HELD_OUT,
    fidelity_summary,
    mapped_sentiments,
    sentiment_disagreements,
    sentiment_fidelity,
)
from emer.data.datasets import load_dataset
from emer.data.loaders import load_released_sentiments
from emer.labels.lexicon import load_lexicon
from emer.labels.sentiment import load_sentiment_mapper
from emer.llm import GenerationSettings, LLMRunner, OfflineBackend, RunSettings, open_cache


@pytest.fixture(scope="module")
def rows(data_dir: Path) -> pd.DataFrame:
    return sentiment_fidelity(data_dir)


def test_one_row_per_checkpoint_development_first(rows: pd.DataFrame) -> None:
    assert list(rows.columns) == FIDELITY_COLUMNS
    assert rows["role"].tolist() == [DEV] * 7 + [HELD_OUT] * 7
    assert rows["dataset"].tolist() == ["cmumosi"] * 7 + ["sims"] * 7
    assert rows["step"].tolist() == [30, 35, 40, 45, 50, 55, 60] * 2
    assert set(rows["n_scored"]) == {656, 388} and set(rows["n_samples"]) == {686, 457}
    assert (rows["delta"] == rows["waf_ours"] - rows["waf_released"]).all()


def test_the_documented_figures(rows: pd.DataFrame) -> None:
    summary = fidelity_summary(rows).set_index("dataset")
    assert summary.loc["cmumosi", "best_released"].round(2) == 81.30
    assert summary.loc["sims", "best_released"].round(2) == 88.49
    figures = summary[["mean_abs_delta", "max_abs_delta", "agreement", "agreement_positive"]].round(3)
    assert figures.loc["cmumosi"].tolist() == [0.456, 0.751, 0.955, 0.973]
    assert figures.loc["sims"].tolist() == [0.866, 2.553, 0.950, 0.967]
    assert summary["meets_target"].tolist() == [True, False]  # held-out: max |delta| 2.55 > 2.5


def test_disagreements_name_the_samples_and_why(data_dir: Path, rows: pd.DataFrame) -> None:
    released = load_released_sentiments("sims", data_dir)
    differ = sentiment_disagreements(mapped_sentiments(released, load_sentiment_mapper(data_dir)))
    held = rows[rows["dataset"] == "sims"]
    assert len(differ) == round(((1 - held["agreement_positive"]) * held["n_samples"]).sum())
    assert differ["reason"].str.contains(" -> ").all()
    assert ((differ["sentiment_raw"] == "positive") != (differ["sentiment_ours"] == "positive")).all()


def test_any_backend_can_be_measured(data_dir: Path, rows: pd.DataFrame, tmp_path: Path) -> None:
    """The field's step through a runner (here the offline backend) gives the mapping's own figures."""
    backend = OfflineBackend(data_dir, lexicon=load_lexicon(data_dir, calibrate=False), extractor="lexicon")
    runner = LLMRunner(backend, open_cache(tmp_path, "off"), GenerationSettings(), RunSettings())
    through = sentiment_fidelity(data_dir, runner=runner, datasets={"sims": HELD_OUT})
    assert through["waf_ours"].tolist() == rows.loc[rows["dataset"] == "sims", "waf_ours"].tolist()


def test_gold_and_released_files_are_read_as_documented(data_dir: Path) -> None:
    gold = load_dataset("sims", data_dir, baselines=False).valence
    assert len(gold) == 457 and sum(v == 0 for v in gold.values()) == 457 - 388
    released = load_released_sentiments("cmumosi", data_dir)
    assert len(released) == 7 * 686 and released["checkpoint"].nunique() == 7
    assert set(released["sample"]) == set(load_dataset("cmumosi", data_dir, baselines=False).valence)
    assert load_dataset("meld", data_dir, baselines=False).valence == {}  # MELD has classes, no values
    with pytest.raises(ValueError, match="no released sentiment outputs for 'meld'"):
        load_released_sentiments("meld", data_dir)
