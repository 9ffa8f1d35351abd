"""Split an EMER-v2 gold description into its video, audio and text parts.

English descriptions read "In the video, ... In the audio, ... In the text, ...", with known
artifacts: a stray leading ``Input:``; in 5 cells an ``Output:`` marker, followed in 3 by a second,
paraphrased copy (the model's answer, which is kept) and in 2 by nothing (dropped); lower-case
markers after a semicolon; and variant text markers such as "The subtitle in the text says".
Chinese descriptions read ``在视频中…；在音频中…；在文本中…；``.

``status`` is ``clean`` when the standard markers are found (artifacts removed first are listed in
``note``), ``relaxed`` when a variant marker had to be accepted, and ``failed`` when a part could not
be found (the parts are then empty).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SENTENCE_START = r"(?:^|(?<=[.!?;。；\"”])\s*)"
_EN_AUDIO = re.compile(_SENTENCE_START + r"In the audio\b", re.IGNORECASE)
_EN_TEXT_STRICT = re.compile(_SENTENCE_START + r"In the text\b")
_EN_TEXT_RELAXED = re.compile(
    _SENTENCE_START + r"(?:In the text\b|The subtitles? in the text\b|In the subtitles? of the text\b)",
    re.IGNORECASE,
)
_EN_OUTPUT = re.compile(r"\s*Output:\s*")
_ZH_MARKERS = ("在视频中", "在音频中", "在文本中")


@dataclass(frozen=True)
class Split:
    video: str
    audio: str
    text: str
    status: str  # clean | relaxed | failed
    note: str


def clean_english(description: str) -> tuple[str, list[str]]:
    """Remove the ``Input:``/``Output:`` artifacts; return the text and the notes on what was done."""
    notes = []
    text = description.strip()
    if text.startswith("Input:"):
        text = text.removeprefix("Input:").strip()
        notes.append("stray 'Input:' removed")
        parts = _EN_OUTPUT.split(text, maxsplit=1)
        if len(parts) == 2 and parts[1].strip():
            text = parts[1].strip()
            notes.append("second copy after 'Output:' kept, first copy dropped")
        elif len(parts) == 2:
            text = parts[0].strip()
            notes.append("empty trailing 'Output:' removed")
    return text, notes


def split_english(description: str) -> Split:
    text, notes = clean_english(description)
    audio = _EN_AUDIO.search(text)
    if not text.startswith("In the video") or audio is None:
        return Split("", "", "", "failed", "; ".join(notes + ["video/audio marker not found"]))
    strict = _EN_TEXT_STRICT.search(text, audio.end())
    found = strict or _EN_TEXT_RELAXED.search(text, audio.end())
    if found is None:
        return Split("", "", "", "failed", "; ".join(notes + ["text marker not found"]))
    variants = []
    if strict is None:
        variants.append(f"variant text marker {found.group(0).strip()!r}")
    if not audio.group(0).lstrip().startswith("In the audio"):
        variants.append("lower-case audio marker")
    status = "relaxed" if variants else "clean"
    notes += variants
    return Split(
        text[: audio.start()].strip(),
        text[audio.start() : found.start()].strip(),
        text[found.start() :].strip(),
        status,
        "; ".join(notes),
    )


def split_chinese(description: str) -> Split:
    text = description.strip()
    starts = [text.find(m) for m in _ZH_MARKERS]
    if starts[0] != 0 or not 0 < starts[1] < starts[2]:
        return Split("", "", "", "failed", "markers 在视频中/在音频中/在文本中 not found in order")
    parts = [text[starts[0] : starts[1]], text[starts[1] : starts[2]], text[starts[2] :]]
    parts = [p.strip().rstrip("；").strip() for p in parts]
    extra = sum(p.count("；") for p in parts)
    note = f"{extra} extra '；' inside a part" if extra else ""
    return Split(*parts, "relaxed" if extra else "clean", note)


def split_description(description: str, language: str) -> Split:
    """Split one gold description written in ``language`` ('en' or 'zh')."""
    if language == "en":
        return split_english(description)
    if language == "zh":
        return split_chinese(description)
    raise ValueError(f"unknown language {language!r}; expected 'en' or 'zh'")
