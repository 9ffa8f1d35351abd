"""Checks every metric entry point runs on its inputs, so a bad input is refused, never scored wrongly.

- label lists: :func:`label_list` / :func:`label_lists` (defined in :mod:`emer.labels.checks`, re-exported
  here): lists of strings only, Chinese emotion words put into English (``chinese="translate"``) or kept;
- predicted samples must all be gold samples (a typo in a name is not an extra sample to ignore), and no
  prediction set may name a sample twice;
- a percentile interval needs at least 2 draws (:func:`check_interval_draws`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np

from emer.labels.checks import CHINESE, LabelInputError, label_list, label_lists

__all__ = [
    "CHINESE",
    "LabelInputError",
    "check_interval_draws",
    "known_samples",
    "label_list",
    "label_lists",
    "unique_samples",
]


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


def check_interval_draws(n_draws: int, confidence: float, what: str = "n_draws") -> None:
    """The draw count of a percentile interval: refuse fewer than 2 draws (one draw is no interval and
    need not hold the estimate) and warn when fewer than ``1 / tail`` draws leave no draw beyond either
    end (the interval is then the range of the draws)."""
    if isinstance(n_draws, bool) or not isinstance(n_draws, (int, np.integer)) or n_draws < 2:
        raise ValueError(
            f"{what} must be an integer of at least 2 for an interval, not {n_draws!r} (1000 is usual; 0, "
            "where offered, gives point estimates only)"
        )
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), not {confidence}")
    needed = math.ceil(2 / (1 - confidence) - 1e-9)
    if n_draws < needed:
        warnings.warn(
            f"{what}={n_draws}: a {confidence:.0%} percentile interval needs at least {needed} draws to have "
            "one beyond each end; with fewer it is the range of the draws (use 1000)",
            RuntimeWarning,
            stacklevel=3,
        )
