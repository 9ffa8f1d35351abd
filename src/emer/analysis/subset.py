"""Restricting a run to the first N samples (the ``limit`` parameter of every notebook)."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd


def limit_samples(samples: Iterable[str], limit: int | None) -> list[str]:
    """The first ``limit`` distinct samples in name order (all when ``limit`` is None or 0)."""
    ordered = sorted(set(samples))
    return ordered[:limit] if limit else ordered


def take_samples(table: pd.DataFrame, limit: int | None) -> pd.DataFrame:
    """Rows of ``table`` whose ``sample`` is among the first ``limit`` sample names."""
    if not limit:
        return table
    keep = set(limit_samples(table["sample"], limit))
    return table[table["sample"].isin(keep)].reset_index(drop=True)
