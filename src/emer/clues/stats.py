"""Tables of the clue notebook: per-frame readings, clue texts, and per-modality clue statistics of the gold
EMER-v2 descriptions beside those of our clues."""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from emer.clues.lexical import read_lexical
from emer.clues.visual import EXPRESSIONS, VisualReading
from emer.data.lengths import text_length

#: Gold description parts and the clue modality each corresponds to.
GOLD_PARTS = {"video": "visual", "audio": "acoustic", "text": "lexical"}
_SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)|[。！？]+")
_TIME_ORDER = {
    "en": re.compile(r"\b(beginning|middle|end|then|later|finally|initially|at first|throughout)\b", re.I),
    "zh": re.compile(r"开始|开头|中间|随后|然后|接着|最后|结尾|末尾|始终|全程"),
}


def frame_table(reading: VisualReading, digits: int = 2) -> pd.DataFrame:
    """One row per sampled frame: time, face box, faces found, expression probabilities (rounded)."""
    rows = []
    for frame in reading.frames:
        x, y, w, h = frame.box if frame.box else (None,) * 4
        probs = frame.probs if frame.probs is not None else np.full(len(EXPRESSIONS), np.nan)
        rows.append(
            {
                "time_s": round(frame.time, 2),
                "faces": frame.faces,
                "x": x,
                "y": y,
                "w": w,
                "h": h,
                **{name: round(float(p), digits) for name, p in zip(EXPRESSIONS, probs, strict=True)},
            }
        )
    table = pd.DataFrame(rows)
    for column in ("x", "y", "w", "h"):
        table[column] = table[column].astype("Int64")
    return table


def sentences(text: str) -> int:
    """Sentences in ``text``: . ! ? before a space or the end (not decimal points), 。！？ anywhere; a
    trailing fragment counts."""
    parts = [p for p in _SENTENCE_END.split(text) if p.strip()]
    return len(parts)


def clue_measures(text: str, language: str) -> dict[str, float]:
    """Length (words / characters), sentences, lexicon emotion words, and whether time order is marked."""
    reading = read_lexical(text) if text.strip() else None
    return {
        "length": float(text_length(text, language)),
        "sentences": float(sentences(text)),
        "emotion_words": float(sum(not w["negated"] for w in reading.words)) if reading else 0.0,
        "time_order": float(bool(_TIME_ORDER[language].search(text))),
    }


def clue_statistics(parts: pd.DataFrame, records: Iterable[dict], digits: int = 2) -> pd.DataFrame:
    """Per source (gold EMER-v2 / ours), language and modality: clue count, mean and median length,
    mean sentences, mean lexicon emotion words, and the share of clues that mark time order.

    ``parts`` is :func:`emer.data.load_emer_v2_parts` (failed splits and empty parts are left out);
    ``records`` are clue records (their ``clues`` per language; unreadable clips have none).
    """
    rows = []
    for part in parts[parts["status"] != "failed"].itertuples(index=False):
        for column, modality in GOLD_PARTS.items():
            text = str(getattr(part, column))
            if text.strip():
                rows.append(
                    {"source": "EMER-v2 gold", "language": part.language, "modality": modality}
                    | clue_measures(text, part.language)
                )
    for record in records:
        for language, texts in record.get("clues", {}).items():
            for modality in GOLD_PARTS.values():
                rows.append(
                    {"source": "ours", "language": language, "modality": modality}
                    | clue_measures(texts[modality], language)
                )
    long = pd.DataFrame(rows)
    order = {"visual": 0, "acoustic": 1, "lexical": 2}
    grouped = long.groupby(["source", "language", "modality"], sort=False)
    table = grouped.agg(
        clues=("length", "size"),
        length_mean=("length", "mean"),
        length_median=("length", "median"),
        sentences_mean=("sentences", "mean"),
        emotion_words_mean=("emotion_words", "mean"),
        time_order_share=("time_order", "mean"),
    ).reset_index()
    table["unit"] = np.where(table["language"] == "zh", "characters", "words")
    table = table.sort_values(
        ["language", "modality", "source"], key=lambda s: s.map(order) if s.name == "modality" else s
    ).reset_index(drop=True)
    numeric = ["length_mean", "length_median", "sentences_mean", "emotion_words_mean", "time_order_share"]
    table[numeric] = table[numeric].round(digits)
    return table[["language", "modality", "source", "clues", "unit", *numeric]]


def clue_lengths(parts: pd.DataFrame, records: Iterable[dict]) -> pd.DataFrame:
    """Long table (source, language, modality, length) for the length figure."""
    rows = []
    for part in parts[parts["status"] != "failed"].itertuples(index=False):
        for column, modality in GOLD_PARTS.items():
            text = str(getattr(part, column))
            if text.strip():
                rows.append(("EMER-v2 gold", part.language, modality, text_length(text, part.language)))
    for record in records:
        for language, texts in record.get("clues", {}).items():
            for modality in GOLD_PARTS.values():
                rows.append(("ours", language, modality, text_length(texts[modality], language)))
    return pd.DataFrame(rows, columns=["source", "language", "modality", "length"])


def clue_report(clues: pd.DataFrame) -> str:
    """The clue texts of :func:`emer.clues.pipeline.clue_table`, one paragraph each, for printing."""
    return "\n\n".join(f"[{r.clip} · {r.language} · {r.modality}] {r.clue}" for r in clues.itertuples())


def explanation_table(explanations: pd.DataFrame) -> pd.DataFrame:
    """Explanations for saving: clip, strategy, status, labels (comma-joined), explanation."""
    table = explanations[["clip", "strategy", "status", "labels", "explanation"]].copy()
    table["labels"] = table["labels"].map(lambda x: ", ".join(x) if isinstance(x, list) else "")
    return table


def explanation_report(table: pd.DataFrame) -> str:
    """The explanations of :func:`explanation_table`, each with its labels, for printing."""
    return "\n\n".join(
        f"[{r.clip} · {r.strategy} · {r.status}] labels: {r.labels or '-'}\n{r.explanation}"
        for r in table.itertuples()
    )
