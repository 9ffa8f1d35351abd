"""Reading one system's predictions from a file, whatever shape the field writes them in.

Formats, detected from the file (its suffix, then its first bytes):

- CSV / TSV with a ``name`` column (``sample`` is accepted too) and a ``description`` column and/or a
  label column (``openset`` as in the MER2024/2025 OV tracks, or ``labels``), one row per sample. Label
  cells are list strings (``['happy', 'relaxed']``, ``[happy, relaxed]``) or plain comma-separated words.
- JSON Lines: one object per line, ``{"name": ..., "description": ..., "labels": [...]}`` (``labels`` may
  also be a list string).
- The authors' ``.npz`` files, read with the restricted unpickler: ``name2reason`` (a dict of
  descriptions) or ``filenames`` + ``fileitems`` (names and label lists or list strings; in the field's
  ``*-openset-sentiment.npz`` files, or any such file whose items are sentiment words, a sentiment).

Three kinds of input, detected from the file: descriptions, OV labels and sentiments (a ``sentiment``
column or key: ``positive``, ``negative`` or ``neutral``). A file gives a :class:`Prediction`: a frame with
columns ``sample`` and any of ``description``, ``labels`` (lists) and ``sentiment``, plus the problems found
in rows that could still be scored. Problems that make the file unusable raise :class:`PredictionError`
naming the file, the row and what to do. A sentiment the user wrote must be one of the three words; the
field's LLM answers (``*-sentiment.npz``) are read as the field reads them: any other answer is kept as
unreadable (None), which the field counts as non-positive.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from emer.data import DataError, load_npz
from emer.labels.parse import normalise_label, parse_label_list
from emer.metrics.sentiment import SENTIMENTS

NAME_COLUMNS = ("name", "sample")
DESCRIPTION_COLUMNS = ("description", "reason")
LABEL_COLUMNS = ("openset", "labels")
SENTIMENT_COLUMNS = ("sentiment",)
FORMATS = ("csv", "tsv", "jsonl", "npz")
#: Limits on what one predictions file may hold (see docs/scoring.md, "Limits"); each is 10x or more what
#: the released outputs use (at most 20 labels per sample, descriptions of at most 5,000 characters, the
#: largest MER-UniBench set 4,659 samples). A file beyond one is refused, naming the row and the limit.
MAX_FILE_BYTES = 256 * 2**20
MAX_CELL_CHARS = 100_000  # characters of one description or label cell (or JSON Lines line)
MAX_LABELS = 200  # labels of one sample
#: Cells that are a missing-value marker written as text (pandas, numpy, JSON), never a label.
MISSING_MARKERS = frozenset(
    {
        "nan",
        "-nan",
        "inf",
        "-inf",
        "+inf",
        "infinity",
        "-infinity",
        "+infinity",
        "null",
        "none",
        "na",
        "n/a",
        "nat",
    }
)


class PredictionError(ValueError):
    """A predictions file that cannot be scored as it is."""


@dataclass
class Prediction:
    """One system's predictions, as read from ``path``."""

    system: str
    path: str
    format: str
    frame: pd.DataFrame  # sample, [description], [labels], [sentiment]
    warnings: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # clips an emer explain run could not answer

    @property
    def has_labels(self) -> bool:
        return "labels" in self.frame

    @property
    def has_descriptions(self) -> bool:
        return "description" in self.frame

    @property
    def has_sentiments(self) -> bool:
        return "sentiment" in self.frame

    @property
    def kinds(self) -> list[str]:
        """What the file gives: descriptions, labels, sentiments."""
        present = (self.has_descriptions, self.has_labels, self.has_sentiments)
        return [k for k, p in zip(("descriptions", "labels", "sentiments"), present, strict=True) if p]


def detect_format(path: Path) -> str:
    """``csv``, ``tsv``, ``jsonl`` or ``npz`` from the suffix, else from the first bytes."""
    suffix = path.suffix.lower()
    by_suffix = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".npz": "npz"}
    if suffix in by_suffix:
        return by_suffix[suffix]
    head = path.read_bytes()[:4096]
    if head.startswith(b"PK"):
        return "npz"
    text = head.decode("utf-8", errors="ignore").lstrip("\ufeff").lstrip()
    if text.startswith("{"):
        return "jsonl"
    first = text.splitlines()[0] if text else ""
    if "\t" in first:
        return "tsv"
    if "," in first:
        return "csv"
    raise PredictionError(
        f"{path}: cannot tell the format (suffix {suffix or 'none'}); name it .csv, .tsv, .jsonl or .npz"
    )


def read_prediction(path: str | os.PathLike, system: str | None = None) -> Prediction:
    """Read one predictions file (see the module notes). ``system`` defaults to the file's stem."""
    path = Path(path)
    if not path.is_file():
        raise PredictionError(f"{path}: no such file")
    size = path.stat().st_size
    if size == 0:
        raise PredictionError(f"{path}: the file is empty; write one row per sample")
    if size > MAX_FILE_BYTES:
        raise PredictionError(
            f"{path}: {size / 2**20:.0f} MiB, over the limit of {MAX_FILE_BYTES // 2**20} MiB for a "
            f"predictions file (at most {MAX_CELL_CHARS:,} characters per cell and {MAX_LABELS} labels per "
            "sample); split it or shorten the descriptions"
        )
    fmt = detect_format(path)
    warnings: list[str] = []
    reader = {"csv": _read_table, "tsv": _read_table, "jsonl": _read_jsonl, "npz": _read_npz}[fmt]
    frame = reader(path, fmt, warnings)
    if frame.empty:
        raise PredictionError(f"{path}: no rows; write one row per sample")
    _check_names(frame, path)
    failed: dict[str, str] = {}
    if "status" in frame:
        bad = frame["status"] != "ok"
        failed = {
            s: f"{status}: {error}" if error else status
            for s, status, error in zip(
                frame["sample"][bad], frame["status"][bad], frame["error"][bad], strict=True
            )
        }
        frame = frame[~bad].drop(columns=["status", "error"])
    if frame.empty:
        raise PredictionError(
            f"{path}: every one of its {len(failed)} clips failed in emer explain (first "
            f"{next(iter(failed.items()))}); nothing to score: see the run's records"
        )
    return Prediction(system or path.stem, str(path), fmt, frame.reset_index(drop=True), warnings, failed)


# --- readers -------------------------------------------------------------------------------------------
def _decode(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PredictionError(
            f"{path}: not UTF-8 (byte {exc.start}); save the file as UTF-8 and score it again"
        ) from None


def _pick(columns: list[str], wanted: tuple[str, ...]) -> str | None:
    lowered = {c.strip().lower(): c for c in columns}
    return next((lowered[w] for w in wanted if w in lowered), None)


def _read_table(path: Path, fmt: str, warnings: list[str]) -> pd.DataFrame:
    import io

    sep = "\t" if fmt == "tsv" else ","
    try:
        raw = pd.read_csv(io.StringIO(_decode(path)), sep=sep, dtype=str, keep_default_na=False)
    except pd.errors.ParserError as exc:
        raise PredictionError(f"{path}: not a well-formed {fmt.upper()} file ({exc})") from None
    columns = [str(c) for c in raw.columns]
    name = _pick(columns, NAME_COLUMNS)
    description = _pick(columns, DESCRIPTION_COLUMNS)
    labels = _pick(columns, LABEL_COLUMNS)
    sentiment = _pick(columns, SENTIMENT_COLUMNS)
    if name is None or (description is None and labels is None and sentiment is None):
        raise PredictionError(
            f"{path}: columns found {columns}; expected a name column ({' or '.join(NAME_COLUMNS)}) and a "
            f"description column ({' or '.join(DESCRIPTION_COLUMNS)}), a label column "
            f"({' or '.join(LABEL_COLUMNS)}) and/or a sentiment column"
        )
    frame = pd.DataFrame({"sample": raw[name].str.strip()})
    # line numbers (the header being line 1) and sample names
    rows = [f"row {i} ({s})" for i, s in enumerate(frame["sample"], start=2)]
    for column in (description, labels):
        if column is not None:
            for cell, where in zip(raw[column], rows, strict=True):
                _check_size(cell, path, where, column)
    if description is not None:
        frame["description"] = raw[description]
    if labels is not None:
        frame["labels"] = [
            _labels(cell, path, where, warnings) for cell, where in zip(raw[labels], rows, strict=True)
        ]
    if sentiment is not None:
        frame["sentiment"] = [
            _sentiment(cell, path, where) for cell, where in zip(raw[sentiment], rows, strict=True)
        ]
    return frame


def _read_jsonl(path: Path, fmt: str, warnings: list[str]) -> pd.DataFrame:
    records = []
    for number, line in enumerate(_decode(path).splitlines(), start=1):
        if not line.strip():
            continue
        _check_size(line, path, f"line {number}", "the line")
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise PredictionError(f"{path}, line {number}: not a JSON object ({exc.msg})") from None
        if not isinstance(record, dict):
            raise PredictionError(
                f"{path}, line {number}: expected a JSON object, found {type(record).__name__}"
            )
        records.append((number, record))
    keys = sorted({k for _, r in records for k in r})
    name = _pick(keys, NAME_COLUMNS)
    description = _pick(keys, DESCRIPTION_COLUMNS)
    labels = _pick(keys, LABEL_COLUMNS)
    sentiment = _pick(keys, SENTIMENT_COLUMNS)
    if name is None or (description is None and labels is None and sentiment is None):
        raise PredictionError(
            f'{path}: keys found {keys}; expected "name" and "description", "labels" and/or "sentiment"'
        )
    if labels is not None and all(r.get(labels) is None for _, r in records):
        labels = None  # an emer explain run that extracted no labels (a model pipeline)
    out: dict[str, list] = {"sample": []}
    if "status" in keys:  # the predictions file of an emer explain run (emer.data.predictions)
        out["status"], out["error"] = [], []
    if description is not None:
        out["description"] = []
    if labels is not None:
        out["labels"] = []
    if sentiment is not None:
        out["sentiment"] = []
    for number, record in records:
        if name not in record:
            raise PredictionError(f"{path}, line {number}: no {name!r} key; every line needs one")
        out["sample"].append(str(record[name]).strip())
        where = f"line {number} ({out['sample'][-1]})"
        if "status" in out:
            out["status"].append(str(record.get("status") or "ok"))
            out["error"].append(str(record.get("error") or ""))
        if description is not None:
            value = record.get(description, "")
            if value is None:
                value = ""
            if not isinstance(value, str):
                raise PredictionError(f"{path}, {where}: {description!r} must be a string, not {value!r}")
            out["description"].append(value)
        if labels is not None:
            out["labels"].append(_labels(record.get(labels), path, where, warnings))
        if sentiment is not None:
            out["sentiment"].append(_sentiment(record.get(sentiment), path, where))
    return pd.DataFrame(out)


def _read_npz(path: Path, fmt: str, warnings: list[str]) -> pd.DataFrame:
    try:
        content = load_npz(path)
    except DataError as exc:
        raise PredictionError(str(exc)) from None
    if "name2reason" in content:
        reasons = content["name2reason"]
        if not isinstance(reasons, dict):
            raise PredictionError(f"{path}: 'name2reason' must hold a dict of name -> description")
        names = sorted(reasons)
        bad = [n for n in names if not isinstance(reasons[n], str)]
        if bad:
            raise PredictionError(f"{path}: sample {bad[0]}: description is not a string")
        return pd.DataFrame(
            {"sample": [str(n).strip() for n in names], "description": [reasons[n] for n in names]}
        )
    if "filenames" in content and "fileitems" in content:
        names = np.asarray(content["filenames"]).tolist()
        items = np.asarray(content["fileitems"], dtype=object).tolist()
        if len(names) != len(items):
            raise PredictionError(f"{path}: {len(names)} filenames but {len(items)} fileitems")
        if path.stem.endswith("-sentiment") or _look_like_sentiments(items):
            answers = [field_sentiment(item) for item in items]
            unreadable = [str(item) for item, a in zip(items, answers, strict=True) if a is None]
            if unreadable:
                warnings.append(
                    f"{path}: {len(unreadable)} sentiment answer(s) are none of {', '.join(SENTIMENTS)} "
                    f"(e.g. {unreadable[0][:40]!r}); the field scores them as non-positive"
                )
            return pd.DataFrame({"sample": [str(n).strip() for n in names], "sentiment": answers})
        labels = [_labels(item, path, f"sample {n}", warnings) for n, item in zip(names, items, strict=True)]
        return pd.DataFrame({"sample": [str(n).strip() for n in names], "labels": labels})
    raise PredictionError(
        f"{path}: keys found {sorted(content)}; expected 'name2reason' or 'filenames' + 'fileitems'"
    )


def field_sentiment(answer: object) -> str | None:
    """The field's reading of an LLM's sentiment answer: the word itself, else None (unreadable)."""
    text = str(answer).strip()
    return text if text in SENTIMENTS else None


def _look_like_sentiments(items: list) -> bool:
    """Items of a filenames/fileitems file that are sentiment answers rather than label lists."""
    words = [str(x).strip().lower() for x in items]
    if not words or any(w.startswith(("[", "【")) or "," in w for w in words):
        return False
    return sum(w in SENTIMENTS for w in words) >= 0.8 * len(words)


def _sentiment(cell: object, path: Path, where: str) -> str:
    """A sentiment the user wrote: positive, negative or neutral (any case); anything else is refused."""
    word = str(cell).strip().lower() if isinstance(cell, str) else cell
    if word not in SENTIMENTS:
        raise PredictionError(
            f"{path}, {where}: sentiment {cell!r} is not one of {', '.join(SENTIMENTS)}; write one of "
            "them (or give OV labels or descriptions and let emer map them to a sentiment)"
        )
    return str(word)


_LIST_SHAPE = re.compile(r"^\s*[\[【(（].*[\]】)）]\s*$", re.DOTALL)


def _check_size(cell: object, path: Path, where: str, column: str) -> None:
    """Refuse a cell over :data:`MAX_CELL_CHARS` before anything parses it."""
    if isinstance(cell, str) and len(cell) > MAX_CELL_CHARS:
        raise PredictionError(
            f"{path}, {where}: {column} holds {len(cell):,} characters, over the limit of {MAX_CELL_CHARS:,} "
            f"per cell; shorten it (a description is a paragraph, a label list at most {MAX_LABELS} labels)"
        )


def _labels(cell: object, path: Path, where: str, warnings: list[str]) -> list[str] | None:
    """Labels of one cell; None (scored as an empty answer, with a warning) when it cannot be parsed or is a
    missing-value marker (NaN, inf, null ... as a number or as text). More than :data:`MAX_LABELS` labels
    are refused."""
    if cell is None:
        return []
    if isinstance(cell, float | np.floating) or (isinstance(cell, str) and _is_marker(cell)):
        warnings.append(
            f"{path}, {where}: labels {cell!r} are a missing-value marker, not labels; scored as no label "
            "(write [] for an answer with no label)"
        )
        return None
    if isinstance(cell, list | tuple | np.ndarray):
        items = list(cell)
        if not all(isinstance(x, str) for x in items):
            warnings.append(f"{path}, {where}: labels {items[:5]!r} are not all strings; scored as no label")
            return None
        return _kept(parse_label_list(items), path, where, warnings)
    if not isinstance(cell, str):
        warnings.append(
            f"{path}, {where}: labels {cell!r} are not a list or a list string; scored as no label"
        )
        return None
    _check_size(cell, path, where, "the label cell")
    text = cell.strip()
    if not text:
        return []
    opened, closed = text[0] in "[【(（", text[-1] in "]】)）"
    if opened != closed or (opened and not _LIST_SHAPE.match(text)):
        warnings.append(f"{path}, {where}: cannot parse the label list {text[:60]!r}; scored as no label")
        return None
    return _kept(parse_label_list(text), path, where, warnings)


def _is_marker(text: str) -> bool:
    return normalise_label(text) in MISSING_MARKERS


def _kept(labels: list[str], path: Path, where: str, warnings: list[str]) -> list[str]:
    """The labels that are labels: empty ones and missing-value markers dropped (with a warning for the
    markers); more than :data:`MAX_LABELS` refused."""
    normalised = [normalise_label(x) for x in labels]
    markers = [x for x, n in zip(labels, normalised, strict=True) if n in MISSING_MARKERS]
    if markers:
        warnings.append(
            f"{path}, {where}: {', '.join(map(repr, markers[:3]))} in the label list are missing-value "
            "markers, not labels; dropped"
        )
    kept = [x for x, n in zip(labels, normalised, strict=True) if n and n not in MISSING_MARKERS]
    if len(kept) > MAX_LABELS:
        raise PredictionError(
            f"{path}, {where}: {len(kept):,} labels, over the limit of {MAX_LABELS} per sample (the released "
            "systems give at most 20); give the labels the system predicts, not a list of every emotion"
        )
    return kept


def _check_names(frame: pd.DataFrame, path: Path) -> None:
    empty = frame.index[frame["sample"] == ""].tolist()
    if empty:
        raise PredictionError(f"{path}: row {empty[0] + 1} has an empty name; every row needs a sample name")
    repeated = frame["sample"][frame["sample"].duplicated(keep=False)]
    if len(repeated):
        names = sorted(set(repeated))
        raise PredictionError(
            f"{path}: {len(names)} sample name(s) appear more than once, first {names[:3]}; "
            "give one row per sample"
        )
