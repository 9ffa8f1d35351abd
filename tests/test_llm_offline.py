"""The offline backend: every task answered by rules, through the same runner, prompts and parsers."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from emer.labels.lexicon import load_lexicon
from emer.labels.synonyms import HeadGrouping
from emer.llm import (
    BackendError,
    GenerationSettings,
    LLMRunner,
    OfflineBackend,
    Request,
    RunSettings,
    extract_ov_labels,
    group_synonyms,
    make_runner,
    map_to_onehot,
    merge_clues,
    merge_template,
    open_cache,
    synonym_grouping,
)
from emer.metrics.sets import set_scores, summarise_set_scores


@pytest.fixture(scope="module")
def runner(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> LLMRunner:
    cache_dir = tmp_path_factory.mktemp("cache")
    backend = OfflineBackend(
        data_dir, lexicon=load_lexicon(data_dir, calibrate=False), cache_dir=cache_dir, extractor="lexicon"
    )
    return LLMRunner(backend, open_cache(cache_dir, "read-write"), GenerationSettings(), RunSettings())


def test_extraction_english_and_chinese(runner: LLMRunner) -> None:
    texts = pd.DataFrame(
        {
            "sample": ["b", "a", "c"],
            "text": ["He is furious, not sad.", "她很高兴，但有点紧张。", "The room is blue."],
        }
    )
    out = extract_ov_labels(runner, texts)
    assert out["sample"].tolist() == ["a", "b", "c"]
    assert out["labels"].tolist() == [["happy", "nervous"], ["furious"], []]
    assert (out["status"] == "ok").all() and not out["cached"].any()
    assert runner.cache.summary() == []  # computed, not recorded


def test_merge_template() -> None:
    assert merge_template("He frowns.", "Go away!") == 'He frowns. The subtitle of the clip reads: "Go away!"'
    assert merge_template("He frowns.", "  ") == "He frowns."
    assert merge_template("他皱眉。", "走开！", "zh") == "他皱眉。字幕内容为：“走开！”。"


def test_merge_task(runner: LLMRunner) -> None:
    frame = pd.DataFrame(
        {
            "sample": ["x", "y"],
            "description": ["He frowns.", "她笑了。"],
            "subtitle": ["Leave me alone!", None],
        }
    )
    out = merge_clues(runner, frame)
    assert out["merged"].tolist() == [
        'He frowns. The subtitle of the clip reads: "Leave me alone!"',
        "她笑了。",
    ]


def test_grouping_task_and_set_metric(runner: LLMRunner) -> None:
    out = group_synonyms(runner, {"s1": ["Angry", "anger", "happy", "joyful", "blue-sky"]})
    groups = out["groups"][0]
    assert ["anger", "angry"] in groups and ["blue-sky"] in groups and out["status"][0] == "ok"
    gold = {"s1": ["angry", "happy"]}
    pred = {"s1": ["anger", "joyful"]}
    grouping, frame = synonym_grouping(runner, gold, pred)
    summary = summarise_set_scores(set_scores(gold, pred, grouping))
    assert summary["accuracy"] == 1.0 and summary["recall"] == 1.0 and (frame["status"] == "ok").all()


def test_onehot_task(runner: LLMRunner) -> None:
    texts = pd.DataFrame(
        {
            "sample": ["a", "b", "c", "d"],
            "text": ["He is furious and annoyed.", "[joyful, happy]", "Nothing shows.", "她很担心。"],
        }
    )
    assert map_to_onehot(runner, texts)["label"].tolist() == ["angry", "happy", "neutral", "worried"]


def test_unknown_task_fails_per_sample(runner: LLMRunner) -> None:
    outcome = runner.run([Request("translate", "s1", ({"role": "user", "content": "x"},))], str)[0]
    assert outcome.status == "failed" and "no rule for task 'translate'" in outcome.error
    with pytest.raises(BackendError):
        runner.backend.complete(Request("extract_ov_labels", "s", (), {}), GenerationSettings(), 1.0)


def test_make_runner_offline_in_replay_mode_needs_no_cache_entries(data_dir: Path, tmp_path: Path) -> None:
    make_runner("offline", cache_dir=tmp_path, cache_mode="read-write", data_dir=data_dir).cache.close()
    replay = make_runner("offline", cache_dir=tmp_path, cache_mode="replay", data_dir=data_dir)
    out = extract_ov_labels(replay, pd.DataFrame({"sample": ["a"], "text": ["He is happy."]}))
    assert out["labels"].tolist() == [["happy"]]
    replay.cache.close()
    assert isinstance(HeadGrouping([["a", "b"]], "x").canonical(["b"]), frozenset)
