"""The record of LLM calls: an SQLite file keyed by backend, model, prompt and generation settings.

Each row holds the answer and its provenance (task, sample, backend, model, settings, the prompt itself
compressed, when it was made) and a status: ``ok`` (a usable answer) or ``rejected`` (the answer could not
be parsed: kept as evidence, never used as a result). Failed calls (timeouts, server errors) leave no row.

Modes: ``read-write`` (use recorded answers, record new ones as they arrive, so an interrupted run
resumes where it stopped), ``replay`` (read only; a missing answer is an error: no model is needed or
used) and ``off`` (no reading, no writing). In replay mode the file is opened immutable, so its bytes
never change.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from emer.llm.backends import GenerationSettings, Request
from emer.llm.multimodal import key_messages

MODES = ("read-write", "replay", "off")
ROOT = Path(__file__).resolve().parents[3]
SCHEMA_VERSION = "1"
DEFAULT_FILE = "llm-calls.sqlite"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
    key TEXT PRIMARY KEY,
    task TEXT NOT NULL,
    sample TEXT NOT NULL,
    backend TEXT NOT NULL,
    model TEXT NOT NULL,
    settings TEXT NOT NULL,
    prompt BLOB NOT NULL,
    answer TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('ok', 'rejected')),
    error TEXT NOT NULL DEFAULT '',
    provenance TEXT NOT NULL DEFAULT '{}',
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class CacheError(RuntimeError):
    """The cache file is missing, unreadable or of another schema."""


class ReplayMiss(CacheError):
    """Replay mode found no recorded answer for a call."""


@dataclass(frozen=True)
class Record:
    key: str
    task: str
    sample: str
    backend: str
    model: str
    answer: str
    status: str
    error: str
    provenance: Mapping[str, Any]


def call_key(backend: str, model: str, request: Request, settings: GenerationSettings) -> str:
    """sha256 of the canonical JSON of (backend, model, messages, settings); image and audio payloads
    enter as their sha256 (:func:`~emer.llm.multimodal.key_messages`)."""
    payload = {
        "backend": backend,
        "model": model,
        "messages": key_messages(request.messages),
        "settings": settings.key(),
    }
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class CallCache:
    """One SQLite file of recorded calls (see the module docstring for the modes)."""

    def __init__(self, path: str | os.PathLike | None, mode: str = "read-write") -> None:
        if mode not in MODES:
            raise ValueError(f"cache mode must be one of {MODES}, not {mode!r}")
        self.mode = mode
        self.path = Path(path) if path is not None else None
        self._db: sqlite3.Connection | None = None
        if mode == "off":
            return
        if self.path is None:
            raise ValueError(f"cache mode {mode!r} needs a cache file path")
        if mode == "replay":
            if not self.path.is_file():
                raise CacheError(
                    f"{self.path}: no LLM call cache to replay; run with cache_mode='read-write' and the "
                    "model available first, or point cache_dir at a filled cache"
                )
            uri = f"file:{self.path.resolve()}?mode=ro&immutable=1"
            self._db = sqlite3.connect(uri, uri=True, check_same_thread=False)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False)
            self._db.executescript(_SCHEMA)
            self._db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
            self._db.commit()
        self._check_schema()

    def _check_schema(self) -> None:
        try:
            row = self._db.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone()
        except sqlite3.DatabaseError as exc:
            raise CacheError(f"{self.path}: not an LLM call cache ({exc})") from None
        if row is None or row[0] != SCHEMA_VERSION:
            raise CacheError(f"{self.path}: cache schema {row and row[0]!r}, expected {SCHEMA_VERSION!r}")

    @property
    def reads(self) -> bool:
        return self.mode != "off"

    @property
    def writes(self) -> bool:
        return self.mode == "read-write"

    def get(self, key: str) -> Record | None:
        if not self.reads:
            return None
        row = self._db.execute(
            "SELECT key, task, sample, backend, model, answer, status, error, provenance "
            "FROM calls WHERE key = ?",
            (key,),
        ).fetchone()
        if row is None:
            return None
        return Record(*row[:8], provenance=json.loads(row[8]))

    def put(
        self,
        key: str,
        request: Request,
        backend: str,
        model: str,
        settings: GenerationSettings,
        answer: str,
        status: str,
        error: str = "",
        provenance: Mapping[str, Any] | None = None,
    ) -> None:
        """Record one answer and commit at once (an interrupted run keeps everything recorded so far)."""
        if not self.writes:
            return
        prompt = json.dumps(key_messages(request.messages), ensure_ascii=False).encode("utf-8")
        self._db.execute(
            "INSERT OR REPLACE INTO calls VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                key,
                request.task,
                request.sample,
                backend,
                model,
                json.dumps(settings.key(), sort_keys=True),
                zlib.compress(prompt, 9),
                answer,
                status,
                error,
                json.dumps(dict(provenance or {}), sort_keys=True, default=str),
                datetime.now(UTC).isoformat(timespec="seconds"),
            ),
        )
        self._db.commit()

    def prompt(self, key: str) -> list[dict[str, str]] | None:
        """The recorded chat messages of one call."""
        if not self.reads:
            return None
        row = self._db.execute("SELECT prompt FROM calls WHERE key = ?", (key,)).fetchone()
        return None if row is None else json.loads(zlib.decompress(row[0]).decode("utf-8"))

    def summary(self) -> list[dict[str, Any]]:
        """Rows per (backend, model, task, status) with their counts, sorted."""
        if not self.reads:
            return []
        rows = self._db.execute(
            "SELECT backend, model, task, status, COUNT(*) FROM calls GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
        ).fetchall()
        return [dict(zip(("backend", "model", "task", "status", "calls"), r, strict=True)) for r in rows]

    def has_all(self, keys: list[str]) -> bool:
        """Whether every key has a recorded answer (ok or rejected)."""
        return all(self.get(k) is not None for k in keys) if self.reads else False

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def __enter__(self) -> CallCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def project_path(path: str | os.PathLike) -> Path:
    """A parameter path: absolute as given, relative to the repository root otherwise (not to the working
    directory, which differs between papermill, nbval and a shell)."""
    path = Path(path)
    return path if path.is_absolute() else ROOT / path


def open_cache(
    cache_dir: str | os.PathLike | None, mode: str = "read-write", name: str = DEFAULT_FILE
) -> CallCache:
    """The call cache ``<cache_dir>/<name>`` in ``mode`` (``cache_dir`` may be None when mode is off;
    a relative ``cache_dir`` is taken from the repository root)."""
    if mode == "off":
        return CallCache(None, "off")
    if cache_dir is None:
        raise ValueError("cache_dir is needed unless cache_mode is 'off'")
    return CallCache(project_path(cache_dir) / name, mode)
