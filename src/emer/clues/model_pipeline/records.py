"""What a model pipeline run writes: one record per clip and setting, the summary table and the
``predictions-<setting>.jsonl`` files that ``emer score`` reads."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from emer.clues.pipeline import record_path
from emer.data.predictions import prediction_line
from emer.data.predictions import write_predictions as write_prediction_lines
from emer.files import write_atomic

SUMMARY_COLUMNS = [
    "clip",
    "setting",
    "status",
    "images",
    "image_kb",
    "audio_kb",
    "request_kb",
    "description_chars",
    "cached",
    "media_s",
    "model_s",
    "error",
]


def write_text(path: Path, text: str) -> None:
    write_atomic(path, text.encode("utf-8"))


def model_record_path(out_dir: Path, pipeline: str, setting: str, clip: str) -> Path:
    """The record of one clip and setting: named like the CPU pipeline's (distinct clip ids never share
    a record, see :func:`emer.clues.pipeline.record_name`)."""
    return record_path(out_dir, clip, kind=f"model/{pipeline}/{setting}")


def write_predictions(records: Sequence[dict], path: Path) -> int:
    """The predictions file of one setting (:mod:`emer.data.predictions`): every record, its status and
    description; no labels (``emer score`` extracts them). Returns how many are ok."""
    lines = [
        prediction_line(
            r["clip"], r["setting"], r["status"], r.get("description") or "", None, r.get("error") or ""
        )
        for r in records
    ]
    return write_prediction_lines(lines, path)


def read_predictions(path: str | Path) -> pd.DataFrame:
    """A ``predictions-<setting>.jsonl`` file as a table (name, description, status)."""
    rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    return pd.DataFrame(rows, columns=["name", "description", "status"])


def summary_row(record: dict) -> dict:
    payload = record.get("payload") or {}
    timings = record.get("timings") or {}
    return {
        "clip": record["clip"],
        "setting": record["setting"],
        "status": record["status"],
        "images": payload.get("images", 0),
        "image_kb": round(payload.get("image_bytes", 0) / 1024, 1),
        "audio_kb": round(payload.get("audio_bytes", 0) / 1024, 1),
        "request_kb": round(payload.get("request_bytes", 0) / 1024, 1),
        "description_chars": len(record.get("description") or ""),
        "cached": bool(record.get("cached")),
        "media_s": round(float(timings.get("media", 0.0)), 3),
        "model_s": round(float(timings.get("model", 0.0)), 3),
        "error": (record.get("error") or "")[:200],
    }
