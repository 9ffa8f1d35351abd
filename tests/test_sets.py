"""Set-level Accuracy_s / Recall_s / Avg: hand-computed cases and the exact R1 reproduction."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from emer.analysis.reproduce import mer2024_example_scores
from emer.labels import IdentityGrouping, RecordedGroups
from emer.metrics import set_scores, summarise_set_scores


def test_hand_computed() -> None:
    gold = {"s1": ["happy", "joyful"], "s2": ["angry"], "s3": ["sad", "worried", "tired"]}
    pred = {"s1": ["happy"], "s2": [], "s3": ["sad", "angry"]}
    scores = set_scores(gold, pred, IdentityGrouping()).set_index("sample")
    assert scores.loc["s1", ["accuracy", "recall"]].tolist() == [1.0, 0.5]
    assert scores.loc["s2", ["accuracy", "recall"]].tolist() == [0.0, 0.0]  # empty prediction scores 0
    assert scores.loc["s3", ["accuracy", "recall"]].tolist() == [0.5, 1 / 3]
    summary = summarise_set_scores(scores.reset_index())
    assert summary["accuracy"] == pytest.approx(0.5)
    assert summary["recall"] == pytest.approx((0.5 + 0 + 1 / 3) / 3)
    assert summary["avg"] == pytest.approx((summary["accuracy"] + summary["recall"]) / 2)


def test_grouping_merges_synonyms_and_duplicates() -> None:
    grouping = RecordedGroups({"s": [["happy", "joyful", "cheerful"]]})
    scores = set_scores({"s": ["happy", "joyful"]}, {"s": ["cheerful", "joyful"]}, grouping)
    assert scores.loc[0, ["n_gold", "n_pred", "n_hit", "accuracy", "recall"]].tolist() == [1, 1, 1, 1.0, 1.0]


def test_unicode_labels() -> None:
    scores = set_scores({"s": ["高兴", "担忧"]}, {"s": ["高兴"]}, IdentityGrouping())
    assert scores.loc[0, ["accuracy", "recall"]].tolist() == [1.0, 0.5]


def test_empty_gold_is_skipped() -> None:
    scores = set_scores({"a": [], "b": ["x"]}, {"a": ["x"], "b": ["x"]}, IdentityGrouping())
    assert scores["skipped"].tolist() == [True, False]
    assert math.isnan(scores.loc[0, "accuracy"])
    summary = summarise_set_scores(scores)
    assert (summary["n_scored"], summary["n_skipped"], summary["accuracy"]) == (1, 1, 1.0)


def test_identity_grouping_ignores_case_and_surrounding_marks() -> None:
    scores = set_scores({"s": ["Happy", "sad"]}, {"s": ["happy", " SAD.", "angry"]}, IdentityGrouping())
    assert scores.loc[0, ["n_gold", "n_pred", "n_hit"]].tolist() == [2, 3, 2]


def test_nothing_scored_gives_no_score_not_zero() -> None:
    summary = summarise_set_scores(set_scores({"a": []}, {"a": ["x"]}, IdentityGrouping()))
    assert summary["n_scored"] == 0 and all(math.isnan(summary[k]) for k in ("accuracy", "recall", "f1"))


def test_missing_prediction_is_an_error() -> None:
    with pytest.raises(KeyError, match="have no prediction"):
        set_scores({"a": ["x"], "b": ["y"]}, {"a": ["x"]}, IdentityGrouping())


def test_r1_published_digits_with_legacy_parse(data_dir: Path) -> None:
    legacy = mer2024_example_scores(data_dir, parse="legacy")
    assert legacy["accuracy"] == 0.581777108433735
    assert legacy["recall"] == 0.4977911646586345
    assert legacy["avg"] == 0.5397841365461847


def test_r1_clean_parse(data_dir: Path) -> None:
    clean = mer2024_example_scores(data_dir, parse="clean")
    assert round(clean["accuracy"], 6) == 0.580271
    assert round(clean["recall"], 6) == 0.496285
    assert round(clean["avg"], 6) == 0.538278
