"""The selector extractor: hard cases, Chinese, the development-split guard, determinism, the backend."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emer.analysis.fidelity import (
    DEV,
    HELD_OUT,
    fidelity_summary,
    fidelity_table,
    fit_systems,
    split_systems,
    targets_met,
)
from emer.data import load_system_outputs
from emer.labels.lexicon import load_lexicon
from emer.labels.selector import (
    DEV_SYSTEMS,
    FEATURES,
    HeldOutSystemError,
    SelectorExtractor,
    check_dev_systems,
    dev_lexicon,
    fit_selector,
    load_selector,
)
from emer.labels.wheel import wheel_groupings
from emer.llm import OfflineBackend, make_runner

CLUES_THEN_CONCLUSION = (
    "In the video, the man frowns and his facial expression shows seriousness and focus. His tone of voice "
    'is steady. The subtitle content says: "I do not know the answer." Based on the video clues and the '
    "subtitle, it can be inferred that his emotional state is confusion and uncertainty. In conclusion, "
    "the man feels confused and uncertain."
)


@pytest.fixture(scope="module")
def selector(data_dir: Path) -> SelectorExtractor:
    return load_selector(data_dir)


@pytest.fixture(scope="module")
def outputs(data_dir: Path) -> pd.DataFrame:
    return load_system_outputs(data_dir)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("He is not angry at all. In conclusion, he is calm.", ["calm"]),  # negation
        ("There is no sign of fear in her voice, and she is relaxed.", ["relaxed"]),  # "no sign of"
        ("Her anger is absent; she is happy.", ["happy"]),  # described as absent
        ("The other person is angry, while she stays calm.", ["calm"]),  # someone else's emotion
        ("The audience feels amused. Overall, the speaker is nervous.", ["nervous"]),
        ("She might be slightly annoyed.", ["annoyed"]),  # hedged: kept, as the field's extractor does
        # a negation reaches along a coordination
        ("He shows no signs of distress or agitation. Overall, he is relaxed.", ["relaxed"]),
        ("The content of the video is unclear, but she is happy.", ["happy"]),  # "content of": a noun
    ],
)
def test_hard_cases(selector: SelectorExtractor, text: str, expected: list[str]) -> None:
    assert selector.extract(text) == expected


def test_hedged_dropped_on_request(selector: SelectorExtractor) -> None:
    assert selector.extract("She might be slightly annoyed.", keep_hedged=False) == []


def test_conclusion_over_clue_sentences(selector: SelectorExtractor, data_dir: Path) -> None:
    labels = selector.extract(CLUES_THEN_CONCLUSION)
    assert {"confused", "uncertain"} <= set(labels)
    assert not {"seriousness", "focus", "content"} & set(labels)
    old = load_lexicon(data_dir).extract(CLUES_THEN_CONCLUSION)
    assert {"seriousness", "focus"} <= set(old)  # the lexicon takes every emotion word it reads


def test_subtitle_content_is_not_an_emotion(selector: SelectorExtractor, data_dir: Path) -> None:
    text = 'The subtitle content reads "ok". Overall, she is calm.'
    assert selector.extract(text) == ["calm"]
    assert load_lexicon(data_dir).extract(text) == ["content", "calm"]


def test_a_declared_state_wins_over_the_reasoning(selector: SelectorExtractor) -> None:
    text = (
        "The voice sounds tense. In the text, the character's emotional state is fear. Reasoning: 1. The "
        "subtitle conveys a sense of worry and confusion, which matches being scared."
    )
    labels = selector.extract(text)
    assert labels[0] == "fear" and not {"worry", "scared"} & set(labels)


def test_speech_fallback_reads_quoted_speech(selector: SelectorExtractor) -> None:
    assert selector.speech is not None and 0.0 < selector.speech_threshold < 1.0
    # no state named: the quoted words are read (English and Chinese)
    angry = 'The audio is of a man speaking, in Chinese, saying, "你给我滚出去！我恨死你了，滚！"'
    assert selector.extract(angry) == ["angry"]
    assert selector.extract('A woman says, "I miss her so much, she is gone forever."') == ["sad"]
    # a neutral or weak reading, no quote, or a description that names a state: no fallback
    assert selector.extract('The audio is of a man speaking, saying, "The meeting is at three."') == []
    assert selector.extract("A man sits at a desk.") == []
    assert selector.extract('She is calm. She says, "Get out! I hate you!"') == ["calm"]
    hedged = 'He might be annoyed, saying, "你给我滚出去！我恨死你了，滚！"'
    assert selector.extract(hedged, keep_hedged=False) == []  # a state is named, only hedged


def test_speech_reader_is_fitted_away_from_the_gold_sets(data_dir: Path) -> None:
    from emer.data import load_gold_ov_labels, load_mer2023_labels, load_mer2023_transcripts
    from emer.labels.speech import TRAINING_SPLIT, fit_speech_reader, mer2023_training_rows, quoted_speech

    labels, transcripts = load_mer2023_labels(data_dir), load_mer2023_transcripts(data_dir)
    gold = set(load_gold_ov_labels(data_dir)["sample"])
    texts, classes = mer2023_training_rows(labels, transcripts, exclude=gold)
    assert len(texts) > 1500 and set(classes) <= {"angry", "happy", "neutral", "sad", "surprise", "worried"}
    in_training = set(labels[labels["split"] == TRAINING_SPLIT]["sample"])
    with pytest.raises(ValueError, match="gold sets"):
        mer2023_training_rows(labels, transcripts, exclude=[sorted(in_training)[0]])
    first, second = fit_speech_reader(texts, classes), fit_speech_reader(texts, classes)
    assert first.identity == second.identity
    with pytest.raises(ValueError, match="unknown MER2023 classes"):
        fit_speech_reader(["hello"], ["bored"])
    assert quoted_speech('He says "hi" and then “bye”.') == "hi bye"
    assert quoted_speech("no quote") == ""


def test_chinese_uses_the_lexicon_rules(selector: SelectorExtractor, data_dir: Path) -> None:
    lexicon = load_lexicon(data_dir)
    for text in ("他并不生气，但是有点担心，可能很失望。", "没有表现出紧张。", "她感到不好意思。"):
        assert selector.extract(text, "auto") == lexicon.extract(text, "auto")
    assert selector.extract("他并不生气，但是有点担心，可能很失望。", "zh") == ["worried", "disappointed"]


def test_every_candidate_scored(selector: SelectorExtractor) -> None:
    scores = selector.scores(CLUES_THEN_CONCLUSION)
    assert [label for label, _ in scores][:1] == ["seriousness"]
    assert all(0.0 <= p <= 1.0 for _, p in scores)
    assert len(selector.weights) == len(FEATURES)


def test_fit_refuses_held_out_systems(outputs: pd.DataFrame, data_dir: Path) -> None:
    held = sorted(set(outputs["system"]) - set(DEV_SYSTEMS))
    leak = outputs[outputs["system"].isin([DEV_SYSTEMS[0], held[0]])]
    with pytest.raises(HeldOutSystemError, match=held[0]):
        fit_selector(leak, load_lexicon(data_dir, calibrate=False))
    with pytest.raises(HeldOutSystemError):
        dev_lexicon(leak, data_dir)
    with pytest.raises(HeldOutSystemError):
        check_dev_systems([])


def test_fit_is_deterministic_and_fitted_on_dev_only(outputs: pd.DataFrame, data_dir: Path) -> None:
    part = outputs[(outputs["system"] == DEV_SYSTEMS[1]) & (outputs["setting"] == "S0")]
    lexicon = load_lexicon(data_dir, calibrate=False)
    first, second = fit_selector(part, lexicon), fit_selector(part.iloc[::-1], lexicon)
    assert first.weights == second.weights and first.identity == second.identity
    assert first.fitted_on == (DEV_SYSTEMS[1],)
    assert load_selector(data_dir).fitted_on == DEV_SYSTEMS


def test_split_guard(data_dir: Path, tmp_path: Path) -> None:
    split = split_systems(DEV_SYSTEMS, {"selector": DEV_SYSTEMS})
    assert sorted(s for s, v in split.items() if v == DEV) == sorted(DEV_SYSTEMS)
    assert sum(v == HELD_OUT for v in split.values()) == 5
    other = [s for s in split if s not in DEV_SYSTEMS][:5]
    with pytest.raises(HeldOutSystemError, match="selector"):
        split_systems(other, {"selector": DEV_SYSTEMS})  # the selector's fit systems would be held out
    everything = tuple(split)
    with pytest.raises(HeldOutSystemError, match="lexicon"):
        split_systems(DEV_SYSTEMS, {"lexicon": everything})
    assert split_systems(DEV_SYSTEMS, {"lexicon": everything}, seen_allowed=["lexicon"]) == split
    with pytest.raises(ValueError, match="not released"):
        split_systems(["GPT-9"])
    with pytest.raises(ValueError, match="some but not all"):
        split_systems(everything)
    old = make_runner("offline", cache_dir=tmp_path, data_dir=data_dir, extractor="lexicon")
    assert fit_systems(old) == everything  # the lexicon's calibration read all 30 released sets
    old.cache.close()


def test_backend_identity_follows_the_extractor(data_dir: Path, selector: SelectorExtractor) -> None:
    new = OfflineBackend(data_dir)
    old = OfflineBackend(data_dir, extractor="lexicon")
    assert new.model.startswith("selector-2/") and new.model != old.model
    assert old.model.startswith(f"{load_lexicon(data_dir).identity};")  # the old tables' identity
    assert new.extract(CLUES_THEN_CONCLUSION) == selector.extract(CLUES_THEN_CONCLUSION)
    with pytest.raises(Exception, match="must be one of"):
        OfflineBackend(data_dir, extractor="regex")
    with pytest.raises(Exception, match="pass extractor='lexicon'"):
        OfflineBackend(data_dir, lexicon=load_lexicon(data_dir))


def test_fidelity_table_on_identical_and_emptied_labels(outputs: pd.DataFrame, data_dir: Path) -> None:
    samples = sorted(set(outputs["sample"]))[:40]
    released = outputs[outputs["sample"].isin(samples) & outputs["setting"].isin(["S0", "S2"])]
    same = released[["system", "setting", "sample", "labels"]].assign(extractor="copy")
    empty = same.assign(extractor="none", labels=[[] for _ in range(len(same))])
    gold = dict(zip(released["sample"], released["labels"], strict=False))
    split = split_systems(DEV_SYSTEMS)
    table = fidelity_table(released, pd.concat([same, empty]), gold, wheel_groupings(data_dir), split)
    copy = table[table["extractor"] == "copy"]
    assert (copy["delta"].abs() < 1e-9).all() and (copy["agree_f_l1"] > 99.999).all()
    assert (table[table["extractor"] == "none"]["m_avg_ours"] == 0).all()
    summary = fidelity_summary(table)
    pooled = summary[(summary["setting"] == "all") & (summary["extractor"] == "copy")]
    assert list(pooled["split"]) == [DEV, HELD_OUT] and list(pooled["n_rows"]) == [10, 10]
    assert targets_met(summary, "copy")["met"].all()
    assert not targets_met(summary, "none")["met"].any()


def test_the_logistic_fit_is_the_exact_minimum_whatever_the_threads():
    import json
    import os
    import subprocess
    import sys

    from emer.labels.selector import fit_logistic

    rng = np.random.default_rng(3)
    x = rng.normal(size=(4000, 12))
    y = (x @ rng.normal(size=12) + rng.logistic(size=4000) > 0).astype(int)
    w = fit_logistic(x, y, 1.0)
    p = 1 / (1 + np.exp(-(x @ w)))
    assert np.abs(w + x.T @ (p - y)).max() < 1e-8  # the gradient vanishes: no solver tolerance left
    code = (
        "import json, numpy as np; from emer.labels.selector import fit_logistic; "
        "r = np.random.default_rng(3); x = r.normal(size=(4000, 12)); "
        "y = (x @ r.normal(size=12) + r.logistic(size=4000) > 0).astype(int); "
        "print(json.dumps([round(float(v), 6) for v in fit_logistic(x, y, 1.0)]))"
    )
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    single = json.loads(
        subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, check=True).stdout
    )
    assert single == [round(float(v), 6) for v in w]
