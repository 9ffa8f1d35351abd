"""The length of a text as the study counts it: words in English, characters in Chinese."""

from __future__ import annotations


def text_length(text: str, language: str) -> int:
    """Words for English, characters (without spaces) for Chinese."""
    if language == "zh":
        return sum(1 for ch in text if not ch.isspace())
    return len(text.split())
