"""Checks every metric entry point runs on its inputs, so a bad input is refused, never scored wrongly.

- label lists: :func:`label_list` / :func:`label_lists` (defined in :mod:`emer.labels.checks`, re-exported
  here): lists of strings only, Chinese emotion words put into English (``chinese="translate"``) or kept;
- predicted samples must all be gold samples (a typo in a name is not an extra sample to ignore), and no
  prediction set may name a sample twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from emer.labels.checks import CHINESE, LabelInputError, label_list, label_lists

__all__ = ["CHINESE", "LabelInputError", "known_samples", "label_list", "label_lists", "unique_samples"]


def known_samples(gold: Iterable[Any], pred: Iterable[Any], what: str = "predictions") -> None:
    """Refuse predicted samples that are not gold samples, naming the first few."""
    unknown = sorted(set(pred) - set(gold), key=str)
    if unknown:
        raise LabelInputError(
            f"{what}: {len(unknown)} sample(s) match no gold sample, first {unknown[:3]}; fix the names or "
            "restrict the predictions to the gold samples"
        )


def unique_samples(samples: Iterable[Any], what: str = "predictions") -> None:
    """Refuse a sample named twice in one prediction set."""
    seen: set = set()
    repeated = sorted({s for s in samples if s in seen or seen.add(s)}, key=str)
    if repeated:
        raise LabelInputError(
            f"{what}: sample(s) {repeated[:3]} appear more than once; give one row per sample"
        )
