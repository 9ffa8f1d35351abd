"""Word-level reading of free text shared by the lexical clue and the speech reader: the English word
pattern and the language of a text."""

from __future__ import annotations

import re

#: An English word, lower case, with one inner apostrophe at most (``don't``); apply to lower-cased text
#: with typographic apostrophes replaced by ``'``.
ENGLISH_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


def subtitle_language(text: str) -> str:
    """``zh`` when Han characters make up over a quarter of the non-space characters, else ``en``."""
    chars = [ch for ch in text if not ch.isspace()]
    han = sum(1 for ch in chars if "\u4e00" <= ch <= "\u9fff")
    return "zh" if chars and han > len(chars) / 4 else "en"
