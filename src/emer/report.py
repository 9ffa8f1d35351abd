"""Write tables and figures with deterministic bytes, and their provenance beside them.

Tables go to ``<out_dir>/tables/<name>.csv`` (floats at :data:`CSV_SIGNIFICANT_DIGITS` significant
digits, for machines) and ``.md`` (rounded, for people); figures to ``<out_dir>/figures/<name>.png``
with the metadata that varies (software version, dates) stripped. A ``<name>.provenance.json`` beside
each table records the notebook and the parameters that made it (paths left out, so the bytes do not
depend on where the project lives). A relative ``out_dir`` is taken from the repository root
(:func:`project_path`), not the working directory, so a notebook run interactively from ``notebooks/``
writes to the repository's ``outputs/``.

Why 10 significant digits in the CSV: libm, SIMD and BLAS paths differ between CPUs and builds by a few
units in the last place of a float64 (~1e-15 relative), which the shortest-repr form would show. At 10
digits such a difference changes a written number only when it falls within ~1e-15 of a rounding
boundary, about one number in a million. Whole numbers are written exactly. Model outputs, which
differ far more (float32 kernels, ~1e-7), are rounded where they are computed (see
:mod:`emer.metrics.matching`, :mod:`emer.clues.visual`).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from emer.files import atomic_file, write_atomic
from emer.version import __version__

PATH_KEYS = {"data_dir", "out_dir", "media_dir", "cache_dir", "llm_cache_dir", "manifest"}
#: The repository root: relative paths in the notebooks' params are relative to it.
ROOT = Path(__file__).resolve().parents[2]


def project_path(path: str | os.PathLike) -> Path:
    """``path`` itself when absolute (``~`` expanded), else resolved against the repository root."""
    path = Path(path).expanduser()
    return path if path.is_absolute() else ROOT / path


#: Significant digits of the floats written to a table's CSV (whole numbers are written exactly).
CSV_SIGNIFICANT_DIGITS = 10


def _csv_float(value: float) -> float:
    """``value`` at :data:`CSV_SIGNIFICANT_DIGITS` significant digits (whole numbers, NaN, inf unchanged)."""
    if pd.isna(value):
        return value
    value = float(value)
    if not math.isfinite(value) or value.is_integer():
        return value
    return float(f"{value:.{CSV_SIGNIFICANT_DIGITS}g}")


def _csv_frame(table: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``table`` with its float columns at :data:`CSV_SIGNIFICANT_DIGITS` significant digits."""
    frame = table.copy()
    for column in frame.columns:
        if pd.api.types.is_float_dtype(frame[column]):
            frame[column] = frame[column].map(_csv_float)
    return frame


def save_table(
    table: pd.DataFrame,
    name: str,
    out_dir: str | os.PathLike,
    *,
    notebook: str = "",
    params: Mapping[str, object] | None = None,
    digits: int | None = 4,
) -> Path:
    """Save ``table`` as CSV + Markdown (+ provenance); return the CSV path.

    Floats are rounded to ``digits`` decimals in the Markdown copy (``None``: shortest exact repr).
    """
    folder = project_path(out_dir) / "tables"
    csv_path = folder / f"{name}.csv"
    write_atomic(csv_path, _csv_frame(table).to_csv(index=False, lineterminator="\n").encode("utf-8"))
    rounded = table.copy()
    for column in rounded.columns:
        if pd.api.types.is_float_dtype(rounded[column]):
            rounded[column] = rounded[column].map(
                lambda x: "" if pd.isna(x) else (repr(float(x)) if digits is None else f"{x:.{digits}f}")
            )
    markdown = rounded.to_markdown(index=False, disable_numparse=True) + "\n"
    write_atomic(folder / f"{name}.md", markdown.encode("utf-8"))
    provenance = {
        "table": name,
        "notebook": notebook,
        "emer_version": __version__,
        "params": {k: v for k, v in sorted((params or {}).items()) if k not in PATH_KEYS},
        "rows": int(len(table)),
        "columns": [str(c) for c in table.columns],
    }
    text = json.dumps(provenance, indent=2, sort_keys=True, default=str) + "\n"
    write_atomic(folder / f"{name}.provenance.json", text.encode("utf-8"))
    return csv_path


def save_figure(figure, name: str, out_dir: str | os.PathLike, *, dpi: int = 120) -> Path:
    """Save a matplotlib figure as PNG without run-specific metadata; return its path."""
    path = project_path(out_dir) / "figures" / f"{name}.png"
    with atomic_file(path) as handle:
        figure.savefig(handle, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    return path


def compare_tables(produced: str | os.PathLike, committed: str | os.PathLike) -> list[str]:
    """Names of tables whose bytes differ between two tables folders (or exist in only one).

    Raises :class:`FileNotFoundError` naming a folder that does not exist (or is not a folder).
    """
    a, b = Path(produced), Path(committed)
    for folder in (a, b):
        if not folder.is_dir():
            what = "is not a folder" if folder.exists() else "folder not found"
            raise FileNotFoundError(
                f"{folder}: {what}; give two tables folders, e.g. .check/tables outputs/tables"
            )
    names = {p.name for p in a.glob("*") if p.is_file()} | {p.name for p in b.glob("*") if p.is_file()}
    differing = []
    for name in sorted(names):
        left, right = a / name, b / name
        if not (left.is_file() and right.is_file()) or left.read_bytes() != right.read_bytes():
            differing.append(name)
    return differing
