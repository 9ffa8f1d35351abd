"""Reading model answers: label lists, lists of groups, one class, merged text.

Models wrap lists in code fences or prose, quote or do not quote, use Chinese brackets and commas, repeat
words and change case. Every parser returns a clean value or raises :class:`MalformedAnswer` with the
reason; a malformed answer is reported per sample and never used as a result.
"""

from __future__ import annotations

import ast
import re
import unicodedata
from collections.abc import Sequence

from emer.labels.parse import normalise_label, parse_label_list
from emer.llm.prompts import ONEHOT_CLASSES


class MalformedAnswer(ValueError):
    """An answer that cannot be read as the task's result."""


_FENCE = re.compile(r"```[a-zA-Z]*\n?|```")
_LIST = re.compile(r"\[[^\[\]]*\]")
_PREFIX = re.compile(
    r"^\s*(?:answer|output|labels?|emotions?|result|答案|输出|情绪)\s*[:：]\s*", re.IGNORECASE
)
_BULLET = re.compile(r"^\s*(?:[-*•·]|\d+[.)、])\s*", re.MULTILINE)
_CONJUNCTION = re.compile(r"^(?:(?:and|or)\s+|&\s*)")
_EMPTY_WORDS = {"", "none", "no emotion", "no emotions", "n/a", "null", "无", "没有", "空"}
_MAX_LABEL_WORDS = 4
_MAX_LABEL_CHARS = 40


def _clean(text: object) -> str:
    if not isinstance(text, str):
        raise MalformedAnswer(f"the answer is {type(text).__name__}, not text")
    text = unicodedata.normalize("NFKC", text).replace("【", "[").replace("】", "]")
    return _FENCE.sub("", text).strip()


def _label_like(label: str) -> bool:
    return 0 < len(label) <= _MAX_LABEL_CHARS and len(label.split()) <= _MAX_LABEL_WORDS


def parse_labels(answer: object) -> list[str]:
    """Emotion labels of an answer: the last bracketed list, else a short comma/line separated answer.

    Labels are normalised (lower case, quotes and trailing punctuation gone), de-duplicated, in order;
    items longer than four words are dropped. ``[]``, "none" or 无 give ``[]``. Prose with no list, or a
    list whose items are all sentences, is malformed.
    """
    text = _clean(answer)
    if not text:
        raise MalformedAnswer("empty answer")
    lists = _LIST.findall(text)
    if lists:
        items = parse_label_list(lists[-1])
    else:
        body = _BULLET.sub("", _PREFIX.sub("", text))
        if normalise_label(body) in _EMPTY_WORDS:
            return []
        lines = [line for line in body.splitlines() if line.strip()]
        if len(lines) > 1 and all("," not in line and "，" not in line for line in lines):
            body = ",".join(lines)
        items = parse_label_list(body)
        if not items or not all(_label_like(x) for x in items):
            raise MalformedAnswer(f"no list of labels in the answer: {text[:80]!r}")
    items = list(dict.fromkeys(_CONJUNCTION.sub("", x) for x in items))  # "sad, and angry"
    items = [x for x in items if x not in _EMPTY_WORDS]
    kept = [x for x in items if _label_like(x)]
    if items and not kept:
        raise MalformedAnswer(f"the list holds sentences, not labels: {items[0][:60]!r}")
    return kept


def parse_groups(answer: object, words: Sequence[str]) -> list[list[str]]:
    """Synonym groups over ``words``: each word in exactly one group, groups in answer order.

    Words the answer does not mention become groups of their own (appended in the given order); words it
    invents are ignored; a word named twice stays in its first group. No group at all is malformed.
    """
    text = _clean(answer)
    wanted = list(dict.fromkeys(normalise_label(w) for w in words if normalise_label(w)))
    groups: list[list[str]] = []
    value = None
    start, end = text.find("["), text.rfind("]")
    if 0 <= start < end:
        try:
            value = ast.literal_eval(text[start : end + 1])
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            value = None
    if isinstance(value, list | tuple) and value and all(isinstance(g, list | tuple) for g in value):
        raw_groups = [[str(x) for x in g] for g in value]
    else:
        raw_groups = [parse_label_list(g) for g in _LIST.findall(text)]
        if len(raw_groups) == 1 and text.count("[") == 1 and len(wanted) > 1:
            raw_groups = [[x] for x in raw_groups[0]]  # a flat list: no groups given
    if not any(raw_groups):
        raise MalformedAnswer(f"no list of groups in the answer: {text[:80]!r}")
    placed: set[str] = set()
    allowed = set(wanted)
    for raw in raw_groups:
        group = [w for w in (normalise_label(x) for x in raw) if w in allowed and w not in placed]
        placed.update(group)
        if group:
            groups.append(list(dict.fromkeys(group)))
    groups.extend([w] for w in wanted if w not in placed)
    return groups


#: Words that name a one-hot class (English and Chinese) -> the class.
ONEHOT_WORDS = {
    **{c: c for c in ONEHOT_CLASSES},
    "happiness": "happy", "joy": "happy", "anger": "angry", "worry": "worried", "sadness": "sad",
    "surprised": "surprise", "neutrality": "neutral",
    "高兴": "happy", "开心": "happy", "生气": "angry", "愤怒": "angry", "担忧": "worried", "担心": "worried",
    "悲伤": "sad", "伤心": "sad", "惊讶": "surprise", "中性": "neutral", "平静": "neutral",
}  # fmt: skip


def parse_onehot(answer: object, classes: Sequence[str] = ONEHOT_CLASSES) -> str:
    """The class named first in the answer (English or Chinese word). None named is malformed."""
    text = _clean(answer).lower()
    best: tuple[int, str] | None = None
    for word, cls in ONEHOT_WORDS.items():
        if cls not in classes:
            continue
        pattern = re.escape(word) if not word.isascii() else rf"\b{re.escape(word)}\b"
        found = re.search(pattern, text)
        if found and (best is None or found.start() < best[0]):
            best = (found.start(), cls)
    if best is None:
        raise MalformedAnswer(f"none of {list(classes)} in the answer: {text[:80]!r}")
    return best[1]


def parse_merged(answer: object, min_chars: int = 2) -> str:
    """A merged description: the answer text without fences, at least ``min_chars`` long."""
    text = _clean(answer)
    if len(text) < min_chars:
        raise MalformedAnswer(f"merged description too short ({len(text)} characters)")
    return text
