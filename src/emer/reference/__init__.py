"""The published figures the study is compared against: one table, each row with its source.

``published.csv`` columns: ref (R1, R2, ...), artefact, system, metric, value, std, unit, source.
These are the only numbers typed into the project; every other figure is computed.
"""

from __future__ import annotations

from importlib import resources

import pandas as pd


def load_published(ref: str | None = None) -> pd.DataFrame:
    """The published figures, optionally only those of one reference (e.g. ``"R2"``)."""
    with resources.files("emer.reference").joinpath("published.csv").open("r", encoding="utf-8") as f:
        table = pd.read_csv(
            f, dtype={"value": "float64", "std": "float64"}, keep_default_na=False, na_values=[""]
        )
    return table if ref is None else table[table["ref"] == ref].reset_index(drop=True)
