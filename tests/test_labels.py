"""Parsing label lists: released shapes, LLM-answer shapes, and the legacy quirk."""

from __future__ import annotations

import pytest

from emer.labels import (
    IdentityGrouping,
    RecordedGroups,
    normalise_label,
    parse_label_list,
    parse_label_list_legacy,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("['joyful', 'happy']", ["joyful", "happy"]),
        ("[\"don't believe\", 'doubt']", ["don't believe", "doubt"]),
        ("[stress, anxiety, contemplative]", ["stress", "anxiety", "contemplative"]),
        ("[]", []),
        ("", []),
        (None, []),
        (float("nan"), []),
        ("Happy,  SAD ,happy", ["happy", "sad"]),
        ("[高兴，担忧、惊讶]", ["高兴", "担忧", "惊讶"]),
        ("“angry”; 'Tired'.", ["angry", "tired"]),
        ("[Self-Deprecating,  Mildly   Amused]", ["self-deprecating", "mildly amused"]),
        (["A", "a ", "b"], ["a", "b"]),
        ("[ＨＡＰＰＹ]", ["happy"]),  # full-width letters are NFKC-normalised
    ],
)
def test_parse_label_list(text, expected) -> None:
    assert parse_label_list(text) == expected


def test_legacy_parse_splits_on_quotes() -> None:
    assert parse_label_list_legacy("[\"don't believe\", 'doubt']") == ["don", "t believe", "doubt"]
    assert parse_label_list_legacy("['Joyful', 'happy']") == ["joyful", "happy"]
    assert parse_label_list_legacy("[]") == []


def test_normalise_label() -> None:
    assert normalise_label("  'Angry!' ") == "angry"
    assert normalise_label("Very\tWorried") == "very worried"


def test_groupings() -> None:
    assert IdentityGrouping().canonical(["a", "b"], "s") == frozenset({"a", "b"})
    groups = RecordedGroups({"s1": [["Happy", "joyful"], ["sad"]]})
    assert groups.canonical(["joyful", "sad", "other"], "s1") == frozenset({"happy", "sad", "other"})
    assert groups.canonical(["joyful"], "unknown-sample") == frozenset({"joyful"})
