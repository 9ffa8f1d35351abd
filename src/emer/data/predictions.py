"""The predictions file: what every ``emer explain`` run writes and ``emer score`` reads (one contract).

One file per strategy, ``<out>/predictions-<strategy>.jsonl``, one JSON object per clip, sorted by name:

``{"name": ..., "strategy": "S2", "status": "ok", "description": ..., "labels": [...], "error": ""}``

- ``name``: the sample name (the clip id);
- ``strategy``: S0, S1 or S2 (the subtitle strategy that made it);
- ``status``: ``ok``, or why there is no answer (``failed``, ``skipped``, ``merge failed`` ...): such a
  clip is listed, never scored as an empty answer;
- ``description``: the explanation; ``labels``: the OV labels the run extracted (``null`` when it did not
  extract any, e.g. a model pipeline, whose descriptions ``emer score`` then extracts);
- ``error``: what went wrong, for a clip whose status is not ok.

Lives in the data layer because both sides use it: the clue pipelines write it, the scorer reads it.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from pathlib import Path

from emer.files import write_atomic

FILE_PATTERN = re.compile(r"^predictions-(?P<strategy>[^/]+)\.jsonl$")
FIELDS = ("name", "strategy", "status", "description", "labels", "error")


def predictions_path(out_dir: str | os.PathLike, strategy: str) -> Path:
    """Where a run writes the predictions of ``strategy``."""
    return Path(out_dir) / f"predictions-{strategy}.jsonl"


def prediction_line(
    name: str,
    strategy: str,
    status: str,
    description: str = "",
    labels: Iterable[str] | None = None,
    error: str = "",
) -> dict:
    """One line of the file (see the module notes)."""
    return {
        "name": name,
        "strategy": strategy,
        "status": status,
        "description": description or "",
        "labels": list(labels) if labels is not None and status == "ok" else None,
        "error": error or "",
    }


def write_predictions(lines: Iterable[dict], path: str | os.PathLike) -> int:
    """Write the lines sorted by name, atomically; how many have status ok."""
    path = Path(path)
    rows = sorted(lines, key=lambda line: line["name"])
    text = "".join(json.dumps({k: row[k] for k in FIELDS}, ensure_ascii=False) + "\n" for row in rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, text.encode("utf-8"))
    return sum(row["status"] == "ok" for row in rows)


def predictions_files(folder: str | os.PathLike) -> dict[str, Path]:
    """strategy -> predictions file of an ``emer explain`` output folder (empty when it has none)."""
    found = {}
    for path in sorted(Path(folder).iterdir()):
        match = FILE_PATTERN.match(path.name)
        if match and path.is_file():
            found[match.group("strategy")] = path
    return found
