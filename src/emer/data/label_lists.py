"""Parse the label-list strings found in the released files and in LLM answers.

Released lists come in two shapes: Python literals with quotes (``['joyful', "don't believe"]``)
and bare lists (``[stress, anxiety]``). LLM answers add Chinese punctuation, stray quotes and
duplicates. :func:`parse_label_list` reads all of them; :func:`parse_label_list_legacy` reproduces
the reference MER2024 run, which split on every quote character.
"""

from __future__ import annotations

import ast
import re
import unicodedata
from functools import lru_cache

_SEPARATORS = re.compile(r"[,，、;；\n]+")
_QUOTES = "'\"‘’“”`「」『』"
_BRACKETS = "[]【】()（）{}"


@lru_cache(maxsize=1 << 16)
def normalise_label(label: str) -> str:
    """Lower-case, NFKC-normalise, drop surrounding quotes/punctuation and collapse inner spaces."""
    text = unicodedata.normalize("NFKC", label).lower()
    text = text.strip().strip(_QUOTES + _BRACKETS + ".。!！?？:：").strip()
    return re.sub(r"\s+", " ", text)


def _unique(labels: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for label in labels:
        if label and label not in seen:
            seen[label] = None
    return list(seen)


def parse_label_list(text: object) -> list[str]:
    """Labels of a list string, normalised, de-duplicated, in first-seen order.

    Missing values (None, NaN) and empty lists give ``[]``.
    """
    if text is None or (isinstance(text, float) and text != text):
        return []
    if isinstance(text, list | tuple):
        return _unique([normalise_label(str(x)) for x in text])
    raw = unicodedata.normalize("NFKC", str(text)).strip()
    value = None
    if "'" in raw or '"' in raw:  # without quotes no literal is a list of strings: skip the parser
        try:
            value = ast.literal_eval(raw)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            value = None
    if isinstance(value, list | tuple) and all(isinstance(x, str) for x in value):
        return _unique([normalise_label(x) for x in value])
    inner = raw.strip().strip(_BRACKETS)
    return _unique([normalise_label(part) for part in _SEPARATORS.split(inner)])


def parse_label_list_legacy(text: str) -> list[str]:
    """The reference MER2024 parsing: split on every quote character (kept only to reproduce it).

    ``["don't believe", 'doubt']`` gives ``['don', 't believe', 'doubt']``. Labels are lower-cased
    and stripped; nothing else is normalised.
    """
    inner = str(text).strip()[1:-1].replace('"', "'")
    parts = [p.strip().lower() for p in inner.split("'")]
    return _unique([p for p in parts if p and p != ","])
