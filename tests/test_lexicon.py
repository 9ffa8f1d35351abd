"""The emotion lexicon: vocabulary from the released wheel resources, negation, hedging, Chinese."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from emer.labels.lexicon import EmotionLexicon, calibrate_lexicon, label_rates, load_lexicon


@pytest.fixture(scope="module")
def lexicon(data_dir: Path) -> EmotionLexicon:
    return load_lexicon(data_dir, calibrate=False)


def test_vocabulary_comes_from_the_wheel_resources(lexicon: EmotionLexicon) -> None:
    assert "happy" in lexicon.lookup("happiness") and lexicon.lookup("angrily")
    assert lexicon.lookup("at a loss") and lexicon.lookup("don't care")  # phrases, straight apostrophe
    assert lexicon.lookup("frustrations")  # found through its lemma
    assert not lexicon.lookup("emotional") and not lexicon.lookup("table")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("He is angry and frustrated.", ["angry", "frustrated"]),
        ("He is not angry.", []),
        ("There is no sign of fear on her face.", []),
        ("She shows no obvious signs of nervousness or unease, and seems happy.", ["happy"]),
        ("Without any anger, he smiles; he is happy.", ["happy"]),
        ("He is not angry but sad.", ["sad"]),
        ("Not only happy but also excited.", ["happy", "excited"]),
        ("He speaks angrily about his worries.", ["anger", "worried"]),  # inflected forms: base words
        ("Her anger is absent; she is calm.", ["calm"]),
        ("He feels happy, happier than ever, full of happiness.", ["happy"]),
    ],
)
def test_negation(lexicon: EmotionLexicon, text: str, expected: list[str]) -> None:
    assert lexicon.extract(text) == expected


def test_hedging(lexicon: EmotionLexicon) -> None:
    text = "He is angry. He may be slightly worried."
    statuses = {m.surface: m.status for m in lexicon.mentions(text)}
    assert statuses == {"angry": "asserted", "worried": "hedged"}
    assert lexicon.extract(text) == ["angry", "worried"]
    assert lexicon.extract(text, keep_hedged=False) == ["angry"]


def test_chinese(lexicon: EmotionLexicon) -> None:
    assert lexicon.extract("他很生气，也很不满。", "zh") == ["angry", "dissatisfied"]
    assert lexicon.extract("他并不生气，但是有点担心，可能很失望。", "zh") == ["worried", "disappointed"]
    assert lexicon.extract("没有表现出紧张。", "zh") == []
    assert lexicon.extract("她感到不好意思。", "auto") == ["embarrassed"]  # longest match, language detected
    hedged = {m.surface: m.status for m in lexicon.mentions("他似乎很焦虑，非常愤怒，不断抱怨。", "zh")}
    assert hedged == {"焦虑": "hedged", "愤怒": "asserted", "抱怨": "asserted"}


def test_calibration_drops_rarely_labelled_phrases(lexicon: EmotionLexicon) -> None:
    descriptions = ["The scene is calm and he is angry."] * 6
    labels = [["angry"]] * 6
    rates = label_rates(lexicon, descriptions, labels)
    assert rates.set_index("phrase").loc["angry", "rate"] == 1.0
    assert rates.set_index("phrase").loc["calm", "rate"] == 0.0
    calibrated = calibrate_lexicon(lexicon, rates, min_rate=0.1, min_support=5)
    assert calibrated.extract(descriptions[0]) == ["angry"]
    assert lexicon.extract(descriptions[0]) == ["calm", "angry"]
    assert calibrated.identity != lexicon.identity
    too_rare = calibrate_lexicon(lexicon, rates, min_support=7)
    assert too_rare.extract(descriptions[0]) == ["calm", "angry"]
    assert isinstance(rates, pd.DataFrame) and list(rates.columns) == [
        "phrase",
        "n_described",
        "n_labelled",
        "rate",
    ]
