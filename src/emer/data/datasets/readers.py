"""Readers of gold-label files: MERBench's pickled ``label*.npz`` corpora and plain CSV tables.

MERBench stores each split as a dict ``name -> {'emo': ..., 'val': ...}`` under a key such as
``test_corpus`` (``emo``: a class index or word; ``val``: a continuous sentiment). The user's own copy of a
dataset's labels (``--labels``) is read in the same format, or as a CSV table with a name column and one
value column (see :data:`NAME_COLUMNS` and the ``columns`` each reader accepts). Every problem names the
file and the row or sample.
"""

from __future__ import annotations

import hashlib
import io
import math
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from emer.data.datasets.base import GoldError
from emer.data.label_lists import parse_label_list
from emer.data.safe_npz import load_npz
from emer.data.store import DataError

NAME_COLUMNS = ("name", "sample")
CLASS_COLUMNS = ("label", "discrete", "emotion", "emo")
VALUE_COLUMNS = ("value", "val", "valence", "sentiment", "label")
OV_COLUMNS = ("openset", "labels")


#: Label files already read, by the sha256 of their bytes (a file changed in place is read again).
_READ: dict[str, dict[str, object]] = {}


def corpus(path: Path, key: str, what: str) -> dict[str, dict]:
    """The split ``key`` of a MERBench label file: name -> {'emo': ..., 'val': ...}."""
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest not in _READ:
            _READ[digest] = load_npz(path)
        content = _READ[digest]
    except OSError as exc:
        raise GoldError(f"{path}: cannot read the labels file ({exc.strerror or exc})") from None
    except DataError as exc:
        raise GoldError(str(exc)) from None
    if key not in content:
        raise GoldError(
            f"{path}: no {key!r} in this file (keys found: {sorted(content)}); expected MERBench's label "
            f"file of {what}"
        )
    split = content[key]
    if not isinstance(split, dict) or not all(isinstance(v, dict) for v in split.values()):
        raise GoldError(f"{path}: {key!r} must hold a dict name -> {{'emo': ..., 'val': ...}}")
    return {str(name).strip(): value for name, value in split.items()}


def class_of(value: object, classes: Sequence[str], path: Path, where: str) -> str:
    """A class word from a class index (the position in ``classes``) or a class word."""
    if isinstance(value, str):
        word = value.strip().lower()
        if word in classes:
            return word
    elif isinstance(value, int | float) and float(value).is_integer() and 0 <= int(value) < len(classes):
        return classes[int(value)]
    raise GoldError(
        f"{path}, {where}: label {value!r} is not one of the classes {', '.join(classes)} (or their index)"
    )


def valence_of(value: object, low: float, high: float, path: Path, where: str) -> float:
    """A sentiment value, finite and within [low, high]."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise GoldError(f"{path}, {where}: sentiment value {value!r} is not a number") from None
    if not math.isfinite(number) or not low <= number <= high:
        raise GoldError(f"{path}, {where}: sentiment value {value!r} is outside [{low:g}, {high:g}]")
    return number


def read_table(path: Path, columns: Sequence[str], what: str) -> tuple[pd.DataFrame, str]:
    """A CSV/TSV table with a name column and the first of ``columns`` found; rows as strings.

    Returns the frame (columns ``name``, ``value``, ``where``: the row's line) and the value column used.
    """
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise GoldError(f"{path}: cannot read the labels file ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise GoldError(f"{path}: not UTF-8 (byte {exc.start}); save it as UTF-8") from None
    sep = "\t" if path.suffix.lower() == ".tsv" else ","
    try:
        raw = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise GoldError(f"{path}: not a well-formed CSV table ({exc})") from None
    lowered = {str(c).strip().lower(): c for c in raw.columns}
    name = next((lowered[c] for c in NAME_COLUMNS if c in lowered), None)
    value = next((lowered[c] for c in columns if c in lowered), None)
    if name is None or value is None:
        raise GoldError(
            f"{path}: columns found {list(raw.columns)}; the gold of {what} needs a name column "
            f"({' or '.join(NAME_COLUMNS)}) and a label column ({' or '.join(columns)})"
        )
    frame = pd.DataFrame(
        {
            "name": raw[name].str.strip(),
            "value": raw[value],
            "where": [f"row {i}" for i in range(2, len(raw) + 2)],
        }
    )
    check_names(frame["name"].tolist(), path)
    return frame, str(value)


def check_names(names: list[str], path: Path) -> None:
    """No empty and no repeated sample name."""
    empty = [i for i, n in enumerate(names) if not n]
    if empty:
        raise GoldError(f"{path}: row {empty[0] + 2} has an empty name; every row needs a sample name")
    seen: set[str] = set()
    repeated = sorted({n for n in names if n in seen or seen.add(n)})
    if repeated:
        raise GoldError(f"{path}: {len(repeated)} name(s) appear more than once, first {repeated[:3]}")


def onehot_labels(path: Path, key: str, classes: Sequence[str], what: str) -> dict[str, str]:
    """name -> class word from a MERBench label file (split ``key``) or a ``name,label`` table."""
    if path.suffix.lower() == ".npz":
        split = corpus(path, key, what)
        return {n: class_of(v.get("emo"), classes, path, f"sample {n}") for n, v in sorted(split.items())}
    frame, _ = read_table(path, CLASS_COLUMNS, what)
    return {
        n: class_of(v, classes, path, f"{where} ({n})")
        for n, v, where in sorted(zip(frame["name"], frame["value"], frame["where"], strict=True))
    }


def valence_labels(path: Path, key: str, low: float, high: float, what: str) -> dict[str, float]:
    """name -> sentiment value from a MERBench label file (split ``key``) or a ``name,value`` table."""
    if path.suffix.lower() == ".npz":
        split = corpus(path, key, what)
        return {n: valence_of(v.get("val"), low, high, path, f"sample {n}") for n, v in sorted(split.items())}
    frame, _ = read_table(path, VALUE_COLUMNS, what)
    return {
        n: valence_of(v, low, high, path, f"{where} ({n})")
        for n, v, where in sorted(zip(frame["name"], frame["value"], frame["where"], strict=True))
    }


def ov_labels(path: Path, what: str) -> dict[str, list[str]]:
    """name -> OV labels from a ``name,openset`` table (list strings such as ``['happy', 'relaxed']``)."""
    frame, _ = read_table(path, OV_COLUMNS, what)
    out = {}
    for name, cell, where in zip(frame["name"], frame["value"], frame["where"], strict=True):
        labels = parse_label_list(cell)
        if not labels:
            raise GoldError(f"{path}, {where} ({name}): no gold label; every sample needs at least one")
        out[name] = labels
    return dict(sorted(out.items()))


def expect_size(labels: dict, n: int, path: Path, what: str) -> None:
    """Refuse a labels file whose size is not the scored split's (a partial or foreign file)."""
    if n and len(labels) != n:
        raise GoldError(
            f"{path}: {len(labels)} samples, but {what} has {n}; pass the labels of the whole split "
            "(a file of another split or a partial copy would give a wrong score)"
        )
