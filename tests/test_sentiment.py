"""The offline sentiment mapping (emer.labels.sentiment), the sentiment scores (emer.metrics.sentiment) and
their parity with the field's figures on AffectGPT's released sentiments."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from emer.data.datasets import load_dataset
from emer.data.loaders import load_released_sentiments
from emer.labels.sentiment import (
    FEATURES,
    WEIGHTS,
    SentimentMapper,
    fit_sentiment_weights,
    load_sentiment_mapper,
    with_weights,
)
from emer.metrics.checks import LabelInputError
from emer.metrics.sentiment import sentiment_components, sentiment_scores, sentiment_value, waf


@pytest.fixture(scope="module")
def mapper(data_dir: Path) -> SentimentMapper:
    return load_sentiment_mapper(data_dir)


# -- the mapping ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("labels", "sentiment"),
    [
        (["happy", "excited"], "positive"),
        (["joyful"], "positive"),
        (["angry", "frustrated", "sad"], "negative"),
        ("[anger, frustration, anxiety]", "negative"),  # the OV-label answer as written
        (["neutral"], "neutral"),
        (["calm", "relaxed"], "neutral"),  # states without a clear valence
        (["surprised"], "neutral"),
        (["positive"], "positive"),  # explicit sentiment words
        (["slightly negative"], "negative"),
        (["excited", "enthusiastic", "negative"], "negative"),  # a written-out "negative" outweighs two
        (["teasing", "playful"], "positive"),
        (["lack of interest"], "negative"),  # a negated positive state
        (["not satisfied"], "negative"),
        (["dissapointed"], "negative"),  # a close spelling
        (["Happy", "HAPPY"], "positive"),
    ],
)
def test_clear_cases(mapper: SentimentMapper, labels, sentiment: str) -> None:
    assert mapper.decide(labels).sentiment == sentiment


def test_mixed_lists_lean_towards_their_last_polar_label(mapper: SentimentMapper) -> None:
    """Like the field's LLM on the development data: with one positive and one negative label, the one
    the list ends with decides; the reason names both."""
    assert mapper.sentiment(["excited", "anxious"]) == "negative"
    assert mapper.sentiment(["anxious", "excited"]) == "positive"
    decision = mapper.decide(["happy", "sad"])
    assert decision.labels(1) == ["happy"] and decision.labels(-1) == ["sad"]
    assert decision.reason.startswith("positive: happy; negative: sad -> negative (P(positive)=")


def test_empty_list_is_neutral(mapper: SentimentMapper) -> None:
    for empty in ([], "[]", "", ["", " "]):
        decision = mapper.decide(empty)
        assert (decision.sentiment, decision.rule, decision.reason) == (
            "neutral",
            "empty",
            "no labels -> neutral",
        )


def test_chinese_labels(mapper: SentimentMapper) -> None:
    assert mapper.sentiment(["开心", "兴奋"]) == "positive"
    assert mapper.sentiment(["悲伤", "失望"]) == "negative"
    assert mapper.sentiment(["生气"]) == "negative"
    reading = mapper.read_label("不开心")  # a negator before a listed word
    assert (reading.polarity, reading.via) == (-1, "happy") and reading.source.startswith("negated")
    assert mapper.read_label("有点不开心").polarity == -1  # inside a longer label
    assert mapper.read_label("有点生气").polarity == -1
    assert mapper.read_label("中性").polarity == 0
    assert mapper.read_label("积极").source == "explicit"


def test_unknown_labels_are_reported(mapper: SentimentMapper) -> None:
    decision = mapper.decide(["xyzzy", "flibbert"])
    assert (decision.sentiment, decision.rule, decision.unknown) == (
        "neutral",
        "all-unknown",
        ["xyzzy", "flibbert"],
    )
    assert "no label could be read" in decision.reason
    decision = mapper.decide(["happy", "xyzzy"])
    assert decision.sentiment == "positive" and decision.unknown == ["xyzzy"]
    assert "unknown: xyzzy" in decision.reason
    assert not mapper.read_label("xyzzy").known and mapper.read_label("xyzzy").source == "unknown"


def test_label_reading_names_its_source(mapper: SentimentMapper) -> None:
    assert mapper.read_label("positive").source == "explicit"
    assert mapper.read_label("calm").source == "word-table"
    assert mapper.read_label("frustrated").source in {"nrc", "nrc+wheel"}
    assert mapper.read_label("tension").source == "nrc-emotion"  # NRC: anger, no polarity tag
    high = mapper.read_label("high stress")
    assert (high.polarity, high.via) == (-1, "stress") and high.source.startswith("word")
    assert mapper.read_label("lack_of_interest").polarity == -1  # underscores read as spaces
    assert mapper.read_label("non-aggressive").polarity == 0  # a negated negative state is neutral


def test_the_mapping_is_deterministic(mapper: SentimentMapper, data_dir: Path) -> None:
    lists = [["excited", "anxious", "calm"], ["生气", "happy"], ["xyzzy"], ["lack of interest", "hopeful"]]
    first = [mapper.decide(x) for x in lists]
    fresh = with_weights(mapper, WEIGHTS)  # a new instance with empty memos, read in reverse order
    again = [fresh.decide(x) for x in reversed(lists)][::-1]
    assert [(d.sentiment, d.reason) for d in first] == [(d.sentiment, d.reason) for d in again]
    assert fresh.identity == mapper.identity == load_sentiment_mapper(data_dir).identity
    assert with_weights(mapper, {k: tuple(w + 0.1 for w in v) for k, v in WEIGHTS.items()}).identity != (
        mapper.identity
    )
    with pytest.raises(ValueError, match="needs 7 values"):
        with_weights(mapper, {"positive": (1.0,), "negative": WEIGHTS["negative"]})


def test_weights_refit_on_the_development_data(mapper: SentimentMapper, data_dir: Path) -> None:
    """The shipped weights are the fit on CMU-MOSI's released sentiments (development data only)."""
    released = load_released_sentiments("cmumosi", data_dir)
    fitted = fit_sentiment_weights(mapper, released["labels_raw"], released["sentiment_raw"])
    assert fitted == dict(WEIGHTS) and len(fitted["positive"]) == len(FEATURES)


# -- the scores -------------------------------------------------------------------------------------------
def weighted_f1(gold, pred) -> float:
    """The WAF statistic of emer.metrics.sentiment on a positive / non-positive pair of lists."""
    values = {str(i): 1.0 if g else -1.0 for i, g in enumerate(gold)}
    said = {str(i): "positive" if p else "negative" for i, p in enumerate(pred)}
    x, _ = sentiment_components(values, said)
    return float(waf(scale=1.0)(x.sum(axis=0)))


def test_weighted_f1_matches_scikit_learn() -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(7)
    for n in (1, 2, 5, 40, 300):
        for p_true, p_pred in ((0.5, 0.5), (0.9, 0.1), (1.0, 0.0), (0.0, 0.0), (0.3, 1.0)):
            gold = rng.random(n) < p_true
            pred = rng.random(n) < p_pred
            expected = metrics.f1_score(gold, pred, average="weighted", zero_division=0)
            assert weighted_f1(gold, pred) == pytest.approx(expected, abs=1e-12)


def test_sentiment_rules() -> None:
    gold = {"a": 1.2, "b": -0.4, "c": 0.0, "d": 2.0, "e": -1.0, "f": 0.6}
    predicted = {"a": "positive", "b": "negative", "c": "positive", "d": "neutral", "e": "mixed", "f": None}
    scores = sentiment_scores(gold, predicted)
    # c (gold 0) is left out; neutral, "mixed" and None count as non-positive: a, b, e right; d, f wrong
    assert (scores["n_scored"], scores["n_zero"], scores["n_unparsable"]) == (5, 1, 2)
    assert scores["accuracy"] == pytest.approx(3 / 5)
    assert scores["waf"] == pytest.approx(weighted_f1([1, 0, 1, 0, 1], [1, 0, 0, 0, 0]))
    assert [
        sentiment_value(v) for v in ("positive", "negative", "neutral", "Positive", None, 0.3, -2, 0)
    ] == [
        1,
        -1,
        0,
        0,
        0,
        1,
        -1,
        0,
    ]


def test_bad_sentiment_inputs_are_refused() -> None:
    with pytest.raises(LabelInputError, match="no sentiment prediction, first \\['b'\\]"):
        sentiment_scores({"a": 1.0, "b": -1.0}, {"a": "positive"})
    with pytest.raises(LabelInputError, match="match no gold sample"):
        sentiment_scores({"a": 1.0}, {"a": "positive", "zz": "negative"})
    with pytest.raises(LabelInputError, match="sample a: the value nan is not a finite number"):
        sentiment_scores({"a": float("nan")}, {"a": "positive"})
    with pytest.raises(TypeError):
        sentiment_value(True)


@pytest.mark.parametrize(("dataset", "best", "checkpoint"), [("cmumosi", 81.30, 40), ("sims", 88.49, 30)])
def test_parity_with_the_published_figures(
    data_dir: Path, dataset: str, best: float, checkpoint: int
) -> None:
    """The released LLM sentiments of AffectGPT's best checkpoint give the published MER-UniBench WAF."""
    gold = load_dataset(dataset, data_dir, baselines=False).valence
    released = load_released_sentiments(dataset, data_dir)
    wafs = {}
    for name, group in released.groupby("checkpoint"):
        scores = sentiment_scores(gold, dict(zip(group["sample"], group["sentiment_raw"], strict=True)))
        wafs[int(name.split("_")[1])] = 100 * scores["waf"]
    assert len(wafs) == 7
    top = max(wafs, key=wafs.get)
    assert (top, round(wafs[top], 2)) == (checkpoint, best)
