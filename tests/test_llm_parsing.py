"""Reading model answers: list shapes, Chinese punctuation, fences, duplicates, and malformed answers."""

from __future__ import annotations

import pytest

from emer.llm.parsing import MalformedAnswer, parse_groups, parse_labels, parse_merged, parse_onehot
from emer.llm.tasks import english_labels


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("['happy', 'relaxed']", ["happy", "relaxed"]),
        ("[happy, relaxed]", ["happy", "relaxed"]),
        ('["Happy", "happy", " Relaxed "]', ["happy", "relaxed"]),
        ("【愤怒，不满】", ["愤怒", "不满"]),
        ("[愤怒、失望；悲伤]", ["愤怒", "失望", "悲伤"]),
        ("```python\n['anxious', 'worried']\n```", ["anxious", "worried"]),
        ("The emotions are: [sad, tired]. Hope this helps!", ["sad", "tired"]),
        ("Answer: angry, impatient", ["angry", "impatient"]),
        ("- nervous\n- uneasy\n", ["nervous", "uneasy"]),
        ("[laughs, smiles, laughs, laughs, laughs", ["laughs", "smiles"]),  # cut off at max_tokens
        ("[looks serious, heartbroken, and angry]", ["looks serious", "heartbroken", "angry"]),
        ("[ornery, android-like, & tense]", ["ornery", "android-like", "tense"]),
        ("[]", []),
        ("none", []),
        ("[\"don't care\", 'bored']", ["don't care", "bored"]),
        ("[happy, the person is clearly smiling at the camera all the time]", ["happy"]),
    ],
)
def test_parse_labels(answer: str, expected: list[str]) -> None:
    assert parse_labels(answer) == expected


@pytest.mark.parametrize(
    "answer",
    [
        "",
        "   ",
        "The main character is the person whose clues are described in most detail.",
        "[the man in the video looks at his phone for a long time]",
        None,
    ],
)
def test_malformed_labels(answer: object) -> None:
    with pytest.raises(MalformedAnswer):
        parse_labels(answer)


def test_chinese_labels_become_english() -> None:
    assert english_labels(parse_labels("[愤怒，不满，angry]")) == ["angry", "dissatisfied"]


def test_parse_groups() -> None:
    words = ["angry", "mad", "happy", "joyful", "sad"]
    assert parse_groups("[['angry', 'mad'], ['happy', 'joyful'], ['sad']]", words) == [
        ["angry", "mad"],
        ["happy", "joyful"],
        ["sad"],
    ]
    # bare words, invented words, a word twice, a word left out
    got = parse_groups("Groups: [[Angry, MAD, furious], [happy, angry], [joyful]]", words)
    assert got == [["angry", "mad"], ["happy"], ["joyful"], ["sad"]]
    # a flat list means no grouping
    assert parse_groups("[angry, mad]", ["angry", "mad"]) == [["angry"], ["mad"]]
    with pytest.raises(MalformedAnswer):
        parse_groups("They all mean roughly the same thing.", words)


def test_parse_onehot_and_merged() -> None:
    assert parse_onehot("Angry.") == "angry"
    assert parse_onehot("The answer is sadness, not anger.") == "sad"
    assert parse_onehot("担忧") == "worried"
    with pytest.raises(MalformedAnswer):
        parse_onehot("I cannot tell.")
    assert parse_merged("```\nHe is upset.\n```") == "He is upset."
    with pytest.raises(MalformedAnswer):
        parse_merged(" ")
