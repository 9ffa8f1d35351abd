"""The MER-UniBench subtitle rows (emer.analysis.subtitle_baseline): the baselines' answers, the prediction
files, the lexicon's language choice, what each system is scored on (no fit row, no gold-set sample) and the
tables, on CMU-MOSI, IEMOCAP and MER2023 with a stand-in encoder."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hash_encoder import HashEncoder

from emer.analysis import subtitle_baseline as sb
from emer.clues import subtitle_model as sm
from emer.data.corpora import load_corpus
from emer.data.datasets import load_dataset
from emer.scoring.unibench import COLUMNS, score_unibench

LIMIT = 40


def test_the_lexicon_answers_its_most_mentioned_category() -> None:
    assert sb.lexicon_answer("I hate this, it is awful and I am angry", sentiment=False) == "anger"
    assert sb.lexicon_answer("The table is brown.", sentiment=False) == ""
    assert sb.lexicon_answer("我今天很难过。", sentiment=False) == "sadness"  # DUTIR, in English
    assert sb.lexicon_answer("What a wonderful, happy day", sentiment=True) == "positive"
    assert sb.lexicon_answer("This is terrible and sad", sentiment=True) == "negative"
    assert sb.lexicon_answer("The table is brown.", sentiment=True) == "neutral"


def test_the_lexicon_language_is_chosen_on_validation() -> None:
    answers = pd.DataFrame(
        {"system": ["subtitle-baseline", "lexicon (en)", "lexicon (zh)"], "sample": "a", "answer": "x"}
    )
    kept, language = sb.choose_lexicon(answers, {"lexicon (en)": 40.0, "lexicon (zh)": 45.0}, spoken="en")
    assert language == "zh" and list(kept["system"]) == ["subtitle-baseline", "lexicon"]
    _, tie = sb.choose_lexicon(answers, {"lexicon (en)": 40.0, "lexicon (zh)": 40.0}, spoken="zh")
    assert tie == "zh"  # a tie: the language spoken


def test_prediction_files_are_in_our_unibench_layout(tmp_path: Path) -> None:
    answers = pd.DataFrame(
        {
            "part": ["test", "test", "validation"],
            "system": ["lexicon", "lexicon", "lexicon"],
            "sample": ["b", "a", "c"],
            "answer": ["joy", "", "anger"],
            "gold": ["joy", "anger", "anger"],
        }
    )
    sb.write_predictions(answers, "meld", sentiment=False, root=tmp_path)
    assert (tmp_path / "test" / "lexicon" / "meld.csv").read_text() == "name,openset\na,[]\nb,[joy]\n"
    sb.write_predictions(answers.assign(answer="positive"), "sims", sentiment=True, root=tmp_path)
    assert (tmp_path / "validation" / "lexicon" / "sims.csv").read_text() == "name,sentiment\nc,positive\n"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("baseline")


@pytest.fixture(scope="module")
def result(data_dir: Path, folder: Path) -> sb.SubtitleBaseline:
    patch = pytest.MonkeyPatch()
    patch.setattr(sm, "_encoder", HashEncoder)
    try:
        yield sb.subtitle_baseline(["iemocap", "cmumosi"], data_dir, folder, n_boot=50, seed=1, limit=LIMIT)
    finally:
        patch.undo()


def test_the_tables(result: sb.SubtitleBaseline) -> None:
    assert list(result.table.columns) == COLUMNS
    headline = result.table[result.table["metric"].isin(["hit rate", "sentiment WAF"])]
    assert sorted(set(zip(headline["system"], headline["dataset"], strict=True))) == sorted(
        (s, d) for s in sb.SYSTEMS for d in ("IEMOCAP", "CMU-MOSI")
    )
    assert set(result.table["selection"]) == {"last"}
    assert (result.table["ci_low"] <= result.table["value"]).all()
    assert list(result.wide["system"]) == list(sb.SYSTEMS)
    assert list(result.wide.columns) == ["system", "IEMOCAP", "CMU-MOSI", "mean (2 of 9)"]
    assert len(result.development) == 6 and result.development["validation"].notna().all()
    assert set(result.paired["versus"]) == {"majority-class", "lexicon"} and len(result.paired) == 4
    assert set(result.paired["verdict"]) <= {"better", "worse", "no significant difference"}
    models = result.models.set_index("dataset")
    assert models.loc["IEMOCAP", "n fit"] == 80 and models.loc["CMU-MOSI", "n fit"] == 40  # refit / not
    assert models.loc["IEMOCAP", "n test"] == 1241 and models.loc["CMU-MOSI", "n test"] == 686  # whole
    per = result.per_dataset()
    assert list(per.columns[:4]) == [
        "dataset",
        "metric",
        "subtitle-baseline validation",
        "subtitle-baseline test",
    ]
    assert list(per.columns[-2:]) == ["vs lexicon", "vs majority-class"]


def test_the_majority_class_is_never_neutral() -> None:
    model = SimpleNamespace(classes=sm.get_space("iemocap").classes)  # happy, sad, neutral, anger
    assert sb._majority(model, pd.Series(["neutral"] * 5 + ["sad"] * 3 + ["happy"] * 2)) == "sad"
    assert (
        sb._majority(model, pd.Series(["neutral"] * 5 + ["sad"] * 2 + ["happy"] * 2)) == "happy"
    )  # tie: order


def test_the_model_answers_its_most_probable_class_but_neutral() -> None:
    probs = {False: np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]]), True: np.array([[0.1, 0.1, 0.8]] * 2)}
    model = SimpleNamespace(
        classes=("neutral", "angry", "happy"),
        probabilities=lambda texts, development=False: probs[development][: len(texts)],
    )
    assert sb._model_answers(model, ["a", "b"], development=False) == ["angry", "happy"]
    assert sb._model_answers(model, ["a", "b"], development=True) == ["happy", "happy"]  # the dev weights
    sentiment = SimpleNamespace(
        classes=("negative", "positive"),
        probabilities=lambda texts, development=False: np.array([[0.6, 0.4], [0.2, 0.8]]),
    )
    assert sb._model_answers(sentiment, ["a", "b"], development=False) == ["negative", "positive"]


def test_unknown_corpora_are_refused(data_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown corpora \\['cmumosei'\\]"):
        sb.subtitle_baseline(["cmumosi", "cmumosei"], data_dir, tmp_path)


def test_mer2023_is_scored_on_no_fit_row_and_no_gold_set_sample(data_dir: Path, tmp_path: Path) -> None:
    """The validation figures come from samples the development weights never saw, the test figures from
    the whole of test1, and no answer is about an EMER-v1 / EMER-v2 sample (they are scored elsewhere)."""
    model = sm.fit_subtitle_model(
        "mer2023", data_dir=data_dir, cache_dir=tmp_path, limit=LIMIT, encoder=HashEncoder(), grid=(1.0,)
    )
    answers = sb.corpus_answers(model, data_dir)
    gold_sets = sm.gold_set_samples(data_dir)
    frame = load_corpus("mer2023", data_dir)
    test = set(frame.loc[frame["split"] == "test", "sample"])
    assert set(answers["system"]) == {"subtitle-baseline", "majority-class", "lexicon (en)", "lexicon (zh)"}
    for system, rows in answers.groupby("system"):
        validation = set(rows.loc[rows["part"] == "validation", "sample"])
        assert validation == set(model.val_samples) and len(validation) == LIMIT, system
        assert set(rows.loc[rows["part"] == "test", "sample"]) == test, system
    assert not set(answers["sample"]) & gold_sets
    dev_fit = set(model.fit_samples) - set(model.val_samples)  # what the development weights were fitted on
    assert len(dev_fit) == LIMIT and not dev_fit & set(answers["sample"])
    scored = load_dataset("mer2023-test1", data_dir, baselines=False)
    test_rows = answers[(answers["part"] == "test") & (answers["system"] == "subtitle-baseline")]
    assert dict(zip(test_rows["sample"], test_rows["gold"], strict=True)) == scored.onehot
    assert not set(answers.loc[answers["system"] == "subtitle-baseline", "answer"]) & {"neutral", ""}
    # the majority class is counted on the rows each set of weights was fitted on, neutral aside
    labels = frame.set_index("sample")["label"]
    majority = answers[answers["system"] == "majority-class"].groupby("part")["answer"].unique()
    for part, fitted in (("validation", dev_fit), ("test", set(model.fit_samples))):
        counts = labels[sorted(fitted)].value_counts().drop("neutral", errors="ignore")
        assert list(majority[part]) == [counts.idxmax()], part


def test_the_rows_are_what_emer_score_gives_on_the_prediction_files(
    result: sb.SubtitleBaseline, folder: Path, data_dir: Path
) -> None:
    test = folder / "predictions" / f"limit-{LIMIT}" / "test"
    again = score_unibench(
        [f"{s}={test / s}" for s in sb.SYSTEMS], data_dir=data_dir, n_boot=50, seed=1, beside=False
    )
    table = again.table[again.table["selection"] == "last"].reset_index(drop=True)[COLUMNS]
    pd.testing.assert_frame_equal(table, result.table)
    # the majority class by hand: IEMOCAP's hit rate skips neutral gold; one class answered everywhere
    answer = pd.read_csv(test / "majority-class" / "iemocap.csv")["openset"].unique()
    assert len(answer) == 1
    gold = pd.Series(load_dataset("iemocap", data_dir, baselines=False).onehot)
    gold = gold[gold != "neutral"]
    value = result.table.set_index(["system", "dataset", "metric"]).loc[
        ("majority-class", "IEMOCAP", "hit rate"), "value"
    ]
    assert value == pytest.approx(100 * (gold == answer[0].strip("[]")).mean())


def test_the_tables_agree_with_each_other(result: sb.SubtitleBaseline) -> None:
    headline = result.table.set_index(["system", "dataset", "metric"])["value"]
    for row in result.development.itertuples(index=False):
        assert row.test == headline[(row.system, row.dataset, row.metric)]
        assert result.wide.set_index("system").loc[row.system, row.dataset] == pytest.approx(row.test)
    for row in result.paired.itertuples(index=False):
        significant = row.p_holm <= 0.05
        expected = ("better" if row.delta > 0 else "worse") if significant else "no significant difference"
        assert row.verdict == expected
        both = (
            headline[("subtitle-baseline", row.dataset, row.metric)]
            - headline[(row.versus, row.dataset, row.metric)]
        )
        assert row.delta == pytest.approx(both)
    per = result.per_dataset().set_index("dataset")
    for row in result.paired.itertuples(index=False):
        assert per.loc[row.dataset, f"vs {row.versus}"] == row.verdict


def test_the_committed_tables_beat_both_baselines_on_every_test_split() -> None:
    """The issue's bar, on the committed tables of notebook 11 (full profile)."""
    tables = Path(__file__).resolve().parents[1] / "outputs" / "tables"
    paired = pd.read_csv(tables / "table_subtitle_baseline_paired.csv")
    datasets = {"MER2023", "MELD", "IEMOCAP", "CMU-MOSI", "CH-SIMS", "CH-SIMS v2"}
    assert set(paired["dataset"]) == datasets and len(paired) == 2 * len(datasets)
    assert (paired["verdict"] == "better").all() and (paired["low"] > 0).all()
    models = pd.read_csv(tables / "table_subtitle_models.csv").set_index("dataset")
    assert models.loc["MER2023", "n fit"] == 3373 - 393  # train less the EMER-v1 / EMER-v2 samples
