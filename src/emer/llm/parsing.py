"""Reading model answers: label lists, lists of groups, one class, one sentiment, merged text.

Models wrap lists in code fences or prose, quote or do not quote, use Chinese brackets and commas, repeat
words and change case. Every parser returns a clean value or raises :class:`MalformedAnswer` with the
reason; a malformed answer is reported per sample and never used as a result.

**Which list is the answer's** (:func:`parse_labels`), in this order:

1. Reasoning is not the answer: with a closing ``</think>`` (``</thinking>``, ``</reasoning>``) only the
   text after the last one is read; an opening tag never closed (the answer stopped while reasoning) is
   malformed.
2. A list that repeats a list written in the described text (``source``: the text the labels are asked
   for, which the prompt contains and the model may echo) is not the answer's: whoever wrote the
   description cannot plant the labels. If every list of the answer is such an echo, it is malformed.
3. Of the remaining bracketed lists, the last one introduced by an answer marker (``answer:``,
   ``final answer:``, ``labels:``, ``emotions:``, ``output:``, ``答案：``, ...) is the answer's; with no
   marked list, the last list. A list the answer was still writing when cut off at ``max_tokens`` counts
   as the last list.
4. With no bracketed list, a short comma, line or bullet separated answer is read as the list.

**Answers cut off at max_tokens** (``truncated=True``: finish reason ``length``): when the list the answer
ends in was not closed, its last label is dropped unless a separator or a closing quote shows it was
finished; a closed list is kept whole. An answer cut off before its first label ended is malformed.
"""

from __future__ import annotations

import ast
import re
import unicodedata
from collections.abc import Sequence

from emer.labels.parse import normalise_label, parse_label_list
from emer.llm.prompts import ONEHOT_CLASSES, SENTIMENT_CLASSES


class MalformedAnswer(ValueError):
    """An answer that cannot be read as the task's result."""


_FENCE = re.compile(r"```[a-zA-Z]*\n?|```")
_LIST = re.compile(r"\[[^\[\]]*\]")
_PREFIX = re.compile(
    r"^\s*(?:answer|output|labels?|emotions?|result|答案|输出|情绪)\s*[:：]\s*", re.IGNORECASE
)
#: An answer marker right before a list: "Final answer: [", "**Labels:** [", "The emotions are [".
_MARKER = re.compile(
    r"(?:answer|output|labels?|emotions?|result|答案|输出|情绪|标签)\W{0,4}(?:[:：]|\bis\b|\bare\b)\W{0,4}$",
    re.IGNORECASE,
)
_THINK_OPEN = re.compile(r"<(think|thinking|reasoning)>", re.IGNORECASE)
_THINK_CLOSE = re.compile(r"</(?:think|thinking|reasoning)>", re.IGNORECASE)
_SEPARATOR = re.compile(r"[,，、;；\n]")
_QUOTED = re.compile(r"""^\s*(['"‘“「『]).*(['"’”」』])\s*$""", re.DOTALL)
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


def answer_part(text: str) -> str:
    """``text`` without its reasoning: what follows the last ``</think>``; an unclosed one is malformed."""
    closes = list(_THINK_CLOSE.finditer(text))
    if closes:
        return text[closes[-1].end() :].strip()
    opened = _THINK_OPEN.search(text)
    if opened:
        raise MalformedAnswer(f"the answer stops inside its reasoning (<{opened.group(1)}> never closed)")
    return text


def _label_like(label: str) -> bool:
    return 0 < len(label) <= _MAX_LABEL_CHARS and len(label.split()) <= _MAX_LABEL_WORDS


def _drop_unfinished(body: str) -> str:
    """``body`` (a list cut off at max_tokens) without its last label, unless that label was finished."""
    separators = list(_SEPARATOR.finditer(body))
    tail = body[separators[-1].end() :] if separators else body
    if not tail.strip() or _QUOTED.match(tail):
        return body
    kept = body[: separators[-1].start()] if separators else ""
    if not kept.strip().strip("["):
        raise MalformedAnswer(f"the answer was cut off at max_tokens before its first label ended: {body!r}")
    return kept


def _listed(text: str) -> set[frozenset[str]]:
    """The label sets of the bracketed lists written in ``text``."""
    return {frozenset(parse_label_list(x)) for x in _LIST.findall(_clean(text))} - {frozenset()}


def _choose_list(text: str, source: str, truncated: bool) -> str | None:
    """The answer's list (steps 2 and 3 of the module docstring); None when it has no bracketed list."""
    found = list(_LIST.finditer(text))
    echoed = _listed(source) if source else set()
    lists = [m for m in found if frozenset(parse_label_list(m.group())) not in echoed]
    if found and not lists:
        raise MalformedAnswer(f"the answer's only list repeats the described text: {found[-1].group()!r}")
    opened = text.rfind("[")
    if truncated and opened > text.rfind("]"):  # the answer was writing a list when it was cut off
        return _drop_unfinished(text[opened:])
    if not lists:
        return None
    marked = [m for m in lists if _MARKER.search(text[max(0, m.start() - 40) : m.start()])]
    return (marked or lists)[-1].group()


def parse_labels(answer: object, truncated: bool = False, source: str = "") -> list[str]:
    """Emotion labels of an answer: the answer's list (see the module docstring for the rule).

    ``truncated``: the answer was cut off at max_tokens; ``source``: the described text (its lists are
    never the answer's). Labels are normalised (lower case, quotes and trailing punctuation gone),
    de-duplicated, in order; items longer than four words are dropped. ``[]``, "none" or 无 give ``[]``.
    Prose with no list, or a list whose items are all sentences, is malformed.
    """
    text = answer_part(_clean(answer))
    if not text:
        raise MalformedAnswer("empty answer")
    chosen = _choose_list(text, source, truncated)
    if chosen is not None:
        items = parse_label_list(chosen)
    else:
        body = _BULLET.sub("", _PREFIX.sub("", text))
        if truncated:
            body = _drop_unfinished(body)
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
    text = answer_part(_clean(answer))
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


#: A negation cue in the same clause, at most two words before a class word ("not happy", "not very
#: happy", "isn't sad", "neither ... nor"); Chinese: 不, 没, 没有, 并非, 非 right before it.
_NEGATED_EN = re.compile(
    r"\b(?:not|no|never|neither|nor|without|hardly|isn't|aren't|wasn't|weren't|doesn't|don't|didn't)"
    r"(?:\s+[\w'-]+){0,2}\s+$"
)
_NEGATED_ZH = re.compile(r"(?:不|没|没有|并非|非)\s*$")
_CLAUSE_END = re.compile(r"[,.;:!?，。；：！？]|\bbut\b|\brather\b|但|而是")


def _negated(text: str, start: int) -> bool:
    """Whether the word at ``start`` is negated within its clause (commas, stops and "but" end a clause)."""
    clause = re.split(_CLAUSE_END, text[max(0, start - 40) : start])[-1]
    return bool(_NEGATED_EN.search(clause) or _NEGATED_ZH.search(clause))


def parse_onehot(answer: object, classes: Sequence[str] = ONEHOT_CLASSES) -> str:
    """The class named first in the answer (English or Chinese word), skipping negated mentions: "not
    happy, rather sad" is sad. None named (or every one negated) is malformed."""
    text = answer_part(_clean(answer)).lower()
    best: tuple[int, str] | None = None
    for word, cls in ONEHOT_WORDS.items():
        if cls not in classes:
            continue
        pattern = re.escape(word) if not word.isascii() else rf"\b{re.escape(word)}\b"
        for found in re.finditer(pattern, text):
            if _negated(text, found.start()):
                continue
            if best is None or found.start() < best[0]:
                best = (found.start(), cls)
            break
    if best is None:
        raise MalformedAnswer(f"none of {list(classes)} in the answer (or only negated): {text[:80]!r}")
    return best[1]


def parse_sentiment(answer: object) -> str:
    """The sentiment of an answer, by the field's rule: the answer must be the word ``positive``,
    ``negative`` or ``neutral`` itself. Read after the reasoning (``</think>``) and before comparing:
    case, surrounding spaces, quotes, brackets, ``*`` and one final ``.`` (or ``!``, ``:`` ...) are ignored.
    Anything else (another word such as ``mixed``, a sentence, two words) is malformed: the task reports
    it, and the sentiment score counts it as non-positive, as the field does."""
    text = normalise_label(answer_part(_clean(answer)).strip().strip("*"))
    if text not in SENTIMENT_CLASSES:
        raise MalformedAnswer(f"not one of {list(SENTIMENT_CLASSES)}: {text[:80]!r}")
    return text


def parse_merged(answer: object, min_chars: int = 2) -> str:
    """A merged description: the answer text without fences, at least ``min_chars`` long."""
    text = answer_part(_clean(answer))
    if len(text) < min_chars:
        raise MalformedAnswer(f"merged description too short ({len(text)} characters)")
    return text
