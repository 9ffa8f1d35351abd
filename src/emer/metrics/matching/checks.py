"""Input checks shared by the matching metrics."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

LANGUAGES = ("en", "zh")


def check_language(language: str) -> None:
    """Refuse a language other than en and zh."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, not {language!r}")


def one_line(text: str) -> str:
    """Collapse every whitespace run (newlines, line separators) to one space."""
    return " ".join(text.split())


def same_length(preds: Sequence[str], golds: Sequence[str]) -> None:
    """Refuse prediction and gold lists of different lengths."""
    if len(preds) != len(golds):
        raise ValueError(
            f"{len(preds)} predictions but {len(golds)} gold texts; give one gold text per prediction"
        )


def require_columns(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Refuse a table that lacks any of ``columns``, naming them."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what}: missing columns {missing}; it has {list(frame.columns)}")
