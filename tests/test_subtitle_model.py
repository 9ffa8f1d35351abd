"""The subtitle model: the softmax fit, the development splits, the exclusion of the gold sets and the test
splits, the cache, the reading and the sentence the lexical clue uses."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hash_encoder import HashEncoder

from emer.clues import subtitle_model as sm
from emer.clues.lexical import model_clue, model_sentence
from emer.clues.softmax import fit_softmax, softmax_probabilities
from emer.clues.subtitle_features import DIMENSION, QUANTUM, embed
from emer.data import load_emer_v1, load_gold_ov_labels
from emer.data.corpora import CORPORA, load_corpus

GRID = (0.5, 2.0)  # two penalties keep the fits of these tests short


# --- the fit -----------------------------------------------------------------------------------------------
def test_softmax_is_scikit_learns_multinomial_logistic_regression() -> None:
    linear_model = pytest.importorskip("sklearn.linear_model")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 12))
    y = rng.integers(0, 4, 400)
    x[:, 0] += y
    for c in (0.1, 1.0, 50.0):
        theta = fit_softmax(x, y, 4, c)
        reference = linear_model.LogisticRegression(C=c, tol=1e-12, max_iter=10_000).fit(x, y)
        assert np.abs(softmax_probabilities(x, theta) - reference.predict_proba(x)).max() < 1e-6
        assert abs(theta[-1].sum()) < 1e-9  # the intercepts' free offset is pinned at 0


def test_two_classes_are_a_logistic_regression_with_twice_the_c() -> None:
    linear_model = pytest.importorskip("sklearn.linear_model")
    rng = np.random.default_rng(1)
    x = rng.normal(size=(300, 5))
    y = rng.integers(0, 2, 300)
    x[:, 0] += 2 * y
    theta = fit_softmax(x, y, 2, 1.0)
    reference = linear_model.LogisticRegression(C=2.0, tol=1e-12, max_iter=10_000).fit(x, y)
    assert np.abs(softmax_probabilities(x, theta)[:, 1] - reference.predict_proba(x)[:, 1]).max() < 1e-6


def test_the_minimum_does_not_depend_on_the_start_and_bad_input_is_refused() -> None:
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(200, 6)), rng.integers(0, 3, 200)
    cold = fit_softmax(x, y, 3, 4.0)
    warm = fit_softmax(x, y, 3, 4.0, start=fit_softmax(x, y, 3, 0.5))
    assert np.abs(cold - warm).max() < 1e-8
    absent = fit_softmax(x, np.where(y == 2, 0, y), 3, 1.0)  # a class without samples is fine
    assert softmax_probabilities(x, absent)[:, 2].max() < 0.2
    with pytest.raises(ValueError, match="class indices"):
        fit_softmax(x, y + 1, 3, 1.0)
    with pytest.raises(ValueError, match="positive"):
        fit_softmax(x, y, 3, 0.0)
    with pytest.raises(ValueError, match="as many"):
        fit_softmax(x, y[:10], 3, 1.0)


# --- features --------------------------------------------------------------------------------------------
class BoundaryEncoder:
    """float32 puts the text "near" just above a rounding boundary, float64 just below it."""

    name = "boundary"

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[str]]] = []

    def encode(self, texts, cache_dir=None, precision="float32"):
        self.calls.append((precision, list(texts)))
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32 if precision == "float32" else np.float64)
        for i, text in enumerate(texts):
            shift = 1e-7 if precision == "float32" else -1e-7
            out[i, 0] = (2.5 + shift) * QUANTUM if text == "near" else 1.3 * QUANTUM
        return out


def test_features_are_rounded_and_near_a_boundary_taken_from_float64() -> None:
    encoder = BoundaryEncoder()
    x = embed(["far", "", "near"], encoder, None)
    assert encoder.calls == [("float32", ["far", "near"]), ("float64", ["near"])]
    assert x[0, 0] == QUANTUM and x[2, 0] == 2 * QUANTUM  # float32 alone would give 3 quanta
    assert not x[1].any() and np.array_equal(x, np.round(x / QUANTUM) * QUANTUM)


# --- splits and leakage ------------------------------------------------------------------------------------
def _frame(names: list[str], split: str, label: str = "happy") -> pd.DataFrame:
    return pd.DataFrame(
        {"sample": names, "split": split, "label": label, "value": np.nan, "en": "x", "zh": "x"}
    )


def test_development_parts_follow_each_corpus_rule() -> None:
    iemocap = pd.concat(
        [_frame(["Ses01F_a", "Ses04M_b"], "train"), _frame(["Ses05F_c"], "test")], ignore_index=True
    )
    parts = sm.development_parts(sm.get_space("iemocap"), iemocap, exclude=[])
    assert parts.tolist() == ["fit", "val", "test"]

    names = [f"sample_{i:08d}" for i in range(200)]
    mer = pd.concat([_frame(names, "train"), _frame(["sample_t"], "test")], ignore_index=True)
    parts = sm.development_parts(sm.get_space("mer2023"), mer, exclude=["sample_00000003"])
    assert parts.iloc[3] == "excluded" and parts.iloc[-1] == "test"
    val = [n for n, p in zip(mer["sample"], parts, strict=True) if p == "val"]
    assert 20 < len(val) < 60 and all(sm._bucket(n) == 0 for n in val)

    mosi = pd.concat(
        [_frame(["a", "b"], "train"), _frame(["c"], "val"), _frame(["d"], "test")], ignore_index=True
    )
    mosi["label"] = ["positive", "neutral", "negative", "positive"]
    parts = sm.development_parts(sm.get_space("cmumosi"), mosi, exclude=[])
    assert parts.tolist() == ["fit", "unused", "val", "test"]  # a gold of exactly 0 is not fitted on


def test_no_fit_or_choice_reads_a_test_sample_or_a_gold_set_sample(data_dir: Path) -> None:
    gold = sm.gold_set_samples(data_dir)
    v1, v2 = set(load_emer_v1(data_dir)["sample"]), set(load_gold_ov_labels(data_dir)["sample"])
    assert len(v1) == 100 and len(v2) == 332 and gold == v1 | v2 and len(gold) == 393  # 39 in both
    mer2023 = load_corpus("mer2023", data_dir)
    assert gold <= set(mer2023.loc[mer2023["split"] == "train", "sample"])  # all MER2023 training samples
    for name in CORPORA:
        frame = load_corpus(name, data_dir)
        parts = sm.development_parts(sm.get_space(name), frame, gold)
        used = set(frame.loc[parts.isin(["fit", "val"]), "sample"])
        assert not used & set(frame.loc[frame["split"] == "test", "sample"]), name
        assert not used & gold, name
        assert (parts == "test").sum() == (frame["split"] == "test").sum()
    with pytest.raises(ValueError, match="test or gold-set samples"):
        sm._check_rows(mer2023.head(5), mer2023, frozenset(mer2023["sample"].head(1)), "mer2023")


@pytest.fixture(scope="module")
def small_model(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[sm.SubtitleModel, Path]:
    folder = tmp_path_factory.mktemp("subtitle-model")
    model = sm.fit_subtitle_model(
        "mer2023", data_dir=data_dir, cache_dir=folder, limit=150, encoder=HashEncoder(), grid=GRID
    )
    return model, folder


def test_the_fitted_model_leaves_out_the_gold_sets_and_the_test_split(small_model, data_dir: Path) -> None:
    model, _ = small_model
    gold = sm.gold_set_samples(data_dir)
    frame = load_corpus("mer2023", data_dir)
    test = set(frame.loc[frame["split"] == "test", "sample"])
    assert len(model.fit_samples) == 300 and len(model.val_samples) == 150  # refit on fit + validation
    assert set(model.val_samples) <= set(model.fit_samples)
    assert not (set(model.fit_samples) | set(model.val_samples)) & (gold | test)
    assert list(model.selection["C"]) == list(GRID) and model.selection["chosen"].sum() == 1
    assert model.c == float(model.selection.loc[model.selection["chosen"], "C"].iloc[0])
    assert not np.array_equal(model.theta, model.dev_theta)


def test_a_fitted_model_is_read_back_from_its_cache(small_model, data_dir: Path) -> None:
    model, folder = small_model
    encoder = HashEncoder()
    again = sm.fit_subtitle_model(
        "mer2023", data_dir=data_dir, cache_dir=folder, limit=150, encoder=encoder, grid=GRID
    )
    assert encoder.encoded == 0 and again.identity == model.identity
    assert np.array_equal(again.theta, model.theta) and again.fit_samples == model.fit_samples
    space = sm.get_space("mer2023")
    rows = sm.training_rows("mer2023", data_dir=data_dir, limit=150)
    assert again.identity == f"mer2023-en-{sm._digest(space, 'en', rows, GRID)}"
    fewer = sm.training_rows("mer2023", data_dir=data_dir, limit=120)
    assert sm._digest(space, "en", fewer, GRID) != sm._digest(space, "en", rows, GRID)  # other rows
    assert sm._digest(space, "en", rows, (1.0,)) != sm._digest(space, "en", rows, GRID)  # another grid


def test_reading_a_subtitle(small_model) -> None:
    model, _ = small_model
    text = "I am so happy, happy, happy today!"
    reading = model.read(text)
    probs = model.probabilities([text])[0]
    assert reading.label == model.classes[int(probs.argmax())]
    assert [p for _, p in reading.ranked] == sorted((round(float(p), 3) for p in probs), reverse=True)
    assert abs(sum(p for _, p in reading.ranked) - 1) < 0.01
    record = reading.record()
    assert record["model"] == model.identity and record["space"] == "mer2023"
    assert list(record["probabilities"]) == [c for c, _ in reading.ranked]
    empty = model.probabilities([""])[0]  # no words: the intercepts alone
    assert np.allclose(empty, softmax_probabilities(np.zeros((1, DIMENSION)), model.theta)[0])


def test_unknown_spaces_and_languages_are_refused(data_dir: Path) -> None:
    with pytest.raises(ValueError, match="unknown label space"):
        sm.fit_subtitle_model("mosei", data_dir=data_dir)
    with pytest.raises(ValueError, match="language"):
        sm.fit_subtitle_model("meld", language="fr", data_dir=data_dir)


# --- the sentence of the lexical clue ---------------------------------------------------------------------
def _reading(*ranked: tuple[str, float], space: str = "mer2023") -> dict:
    return {"model": "m", "space": space, "label": ranked[0][0], "probabilities": dict(ranked)}


def test_the_sentence_names_the_top_class_and_a_close_runner_up() -> None:
    alone = model_sentence(_reading(("angry", 0.62), ("sad", 0.2), ("neutral", 0.18)))
    by = "by a subtitle emotion model fitted on MER2023"
    assert alone == f"By its words alone, the speaker is most likely angry (62% {by})."
    close = model_sentence(_reading(("joy", 0.4), ("neutral", 0.3), ("surprise", 0.2)), "en")
    assert close.endswith(f"joyful (40% {by}), or surprised (20%).")
    shuffled = _reading(("angry", 0.2), ("neutral", 0.18), ("sad", 0.62))
    shuffled["label"] = "sad"  # a record read back from JSON has its keys sorted
    assert "most likely sad (62%" in model_sentence(shuffled) and "angry" not in model_sentence(shuffled)
    neutral = model_sentence(_reading(("neutral", 0.5), ("sad", 0.45)))
    assert "neutral (50%" in neutral and "sad" not in neutral  # a neutral reading names no emotion
    zh = model_sentence(_reading(("sad", 0.7), ("worried", 0.2), space="iemocap"), "zh")
    assert zh == "仅从字幕的措辞看，说话人最可能感到悲伤（70%，由在IEMOCAP上拟合的字幕情感模型判断）。"
    assert model_sentence(None) == ""


def test_the_model_clue_quotes_the_subtitle() -> None:
    reading = _reading(("happy", 0.81), ("neutral", 0.1))
    assert model_clue("What a day!", reading).startswith(
        'Lexical clues: the subtitle says "What a day!" By its'
    )
    assert model_clue("What a day", reading).startswith(
        'Lexical clues: the subtitle says "What a day". By its'
    )
    assert model_clue("好开心", reading, "zh").startswith("文本线索：字幕内容为“好开心”。仅从字幕的措辞看")
    assert model_clue("", reading) == "Lexical clues: no subtitle is available."
