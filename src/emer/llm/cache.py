"""The record of LLM calls: an SQLite file keyed by backend, model, prompt and generation settings.

Each row holds the answer and its provenance (task, sample, backend, model, settings, the prompt itself
compressed, when it was made) and a status: ``ok`` (a usable answer) or ``rejected`` (the answer could not
be parsed: kept as evidence, never used as a result). Failed calls (timeouts, server errors, answers over
the size cap) leave no row.

Modes: ``read-write`` (use recorded answers, record new ones as they arrive, so an interrupted run
resumes where it stopped), ``replay`` (read only; a missing answer is an error: no model is needed or
used) and ``off`` (no reading, no writing). In replay mode the file is opened read-only (``mode=ro``),
so its bytes never change; it is not opened ``immutable``, because another run may be writing the same
file (SQLite then serves a stale picture of it: "database disk image is malformed").

**The project's record.** ``outputs/cache/llm-calls.sqlite`` is committed: it holds the calls that the
published tables replay (the SmolLM2 extraction of notebook 03). Runs read it but never write into it:
when ``cache_dir`` is the project's cache folder, new calls go to the user's own cache,
``$EMER_CACHE_DIR/llm/llm-calls.sqlite`` (default: the user's cache folder, ``~/.cache/emer/llm``), and a
call is answered from the project's record when that holds a usable answer, else from the user's cache.
Only an explicit ``write_project=True`` (``emer record-calls --into-project``, used to re-record the
committed calls) writes into the committed file. Any other ``cache_dir`` is one file, used as asked.

A file that is not a cache (corrupt, or an SQLite file of another schema) is refused with its path and
left untouched. A file locked by another writer is waited for (``busy_timeout_s``, 30 s by default); a write
that still fails raises :class:`CacheWriteError` (the runner keeps the answer for the run, retries the
write at the end and warns with the path if it cannot record it).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from emer.llm.backends import GenerationSettings, Request
from emer.llm.multimodal import key_messages

MODES = ("read-write", "replay", "off")
ROOT = Path(__file__).resolve().parents[3]
#: The committed cache folder of the checkout (its llm-calls.sqlite is the project's record).
PROJECT_CACHE_DIR = ROOT / "outputs" / "cache"
ENV_CACHE_DIR = "EMER_CACHE_DIR"
SCHEMA_VERSION = "1"
DEFAULT_FILE = "llm-calls.sqlite"
#: How long a write waits for another connection's lock before it fails.
BUSY_TIMEOUT_S = 30.0
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


class CacheWriteError(CacheError):
    """An answer could not be recorded (file locked, read-only or damaged)."""


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


_ADVICE = "move it away (or delete it) to start a new cache, or point cache_dir at another folder"
_COLUMNS = "key, task, sample, backend, model, answer, status, error, provenance"


def _connect_read_only(path: Path, busy_timeout_s: float) -> sqlite3.Connection:
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    return sqlite3.connect(uri, uri=True, timeout=busy_timeout_s, check_same_thread=False)


def _check_schema(db: sqlite3.Connection, path: Path) -> None:
    """Refuse a file that is not an LLM call cache of this schema (never modifying it)."""
    try:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        row = (
            db.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone()
            if "meta" in tables
            else None
        )
    except sqlite3.DatabaseError as exc:
        raise CacheError(f"{path}: not an LLM call cache, or a damaged one ({exc}); {_ADVICE}") from None
    if row is None or "calls" not in tables:
        raise CacheError(
            f"{path}: not an LLM call cache (an SQLite file with the tables {sorted(tables)}); {_ADVICE}"
        )
    if row[0] != SCHEMA_VERSION:
        raise CacheError(f"{path}: cache schema {row[0]!r}, expected {SCHEMA_VERSION!r}; {_ADVICE}")


def _is_empty(db: sqlite3.Connection, path: Path) -> bool:
    try:
        return db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0] == 0
    except sqlite3.DatabaseError as exc:
        raise CacheError(f"{path}: not an LLM call cache, or a damaged one ({exc}); {_ADVICE}") from None


class CallCache:
    """One SQLite file of recorded calls (see the module docstring for the modes).

    ``read_also``: further cache files consulted, read-only, before this one (the project's record); a
    call is answered by the first usable (``ok``) record among them and this file, else by the first
    recorded rejection. In read-write mode a file that does not exist yet is created at once, or at the
    first write with ``lazy=True`` (the user's cache: a run that records nothing leaves no file).
    """

    def __init__(
        self,
        path: str | os.PathLike | None,
        mode: str = "read-write",
        read_also: Sequence[str | os.PathLike] = (),
        busy_timeout_s: float = BUSY_TIMEOUT_S,
        lazy: bool = False,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"cache mode must be one of {MODES}, not {mode!r}")
        self.mode = mode
        self.path = Path(path) if path is not None else None
        self.busy_timeout_s = float(busy_timeout_s)
        self._db: sqlite3.Connection | None = None
        self._extra: list[tuple[Path, sqlite3.Connection]] = []
        if mode == "off":
            return
        if self.path is None:
            raise ValueError(f"cache mode {mode!r} needs a cache file path")
        for extra in (Path(p) for p in read_also):
            if extra.is_file() and extra.resolve() != self.path.resolve():
                db = _connect_read_only(extra, self.busy_timeout_s)
                _check_schema(db, extra)
                self._extra.append((extra, db))
        if mode == "replay":
            if self.path.is_file():
                self._db = _connect_read_only(self.path, self.busy_timeout_s)
                _check_schema(self._db, self.path)
            elif not self._extra:
                raise CacheError(
                    f"{self.path}: no LLM call cache to replay; run with cache_mode='read-write' and the "
                    "model available first, or point cache_dir at a filled cache"
                )
        elif self.path.is_file() or not lazy:
            self._open_for_writing()

    def _open_for_writing(self) -> sqlite3.Connection:
        if self._db is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(self.path, timeout=self.busy_timeout_s, check_same_thread=False)
            except (OSError, sqlite3.Error) as exc:
                raise CacheWriteError(
                    f"{self.path}: cannot open the LLM call cache for writing ({exc}); make the folder "
                    "writable, or point cache_dir at a writable folder"
                ) from None
            if _is_empty(db, self.path):
                try:
                    db.executescript(_SCHEMA)
                    db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
                    db.commit()
                except sqlite3.Error as exc:
                    db.close()
                    raise CacheWriteError(f"{self.path}: cannot create the LLM call cache ({exc})") from None
            _check_schema(db, self.path)
            self._db = db
        return self._db

    @property
    def location(self) -> str:
        """The file(s) read, for messages: this file, and the read-only ones before it."""
        extra = ", ".join(str(path) for path, _ in self._extra)
        return f"{self.path}" + (f" (and {extra}, read only)" if extra else "")

    @property
    def reads(self) -> bool:
        return self.mode != "off"

    @property
    def writes(self) -> bool:
        return self.mode == "read-write"

    def _layers(self) -> list[tuple[Path, sqlite3.Connection]]:
        own = [(self.path, self._db)] if self._db is not None else []
        return [*self._extra, *own]

    def _query(self, path: Path, db: sqlite3.Connection, sql: str, args: tuple = ()) -> list[tuple]:
        try:
            return db.execute(sql, args).fetchall()
        except sqlite3.DatabaseError as exc:
            raise CacheError(f"{path}: cannot read the LLM call cache ({exc}); {_ADVICE}") from None

    def get(self, key: str) -> Record | None:
        if not self.reads:
            return None
        found = None
        for path, db in self._layers():
            rows = self._query(path, db, f"SELECT {_COLUMNS} FROM calls WHERE key = ?", (key,))
            if rows:
                record = Record(*rows[0][:8], provenance=json.loads(rows[0][8]))
                if record.status == "ok":
                    return record
                found = found or record
        return found

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
        """Record one answer and commit at once (an interrupted run keeps everything recorded so far).

        Raises :class:`CacheWriteError` (path, call, what to do) when the file cannot be written.
        """
        if not self.writes:
            return
        prompt = json.dumps(key_messages(request.messages), ensure_ascii=False).encode("utf-8")
        db = self._open_for_writing()
        try:
            db.execute(
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
            db.commit()
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                db.rollback()
            raise CacheWriteError(
                f"{self.path}: could not record the answer of {request.task}/{request.sample} ({exc}); "
                f"it is kept for this run only. If another program holds the file (another run, a "
                f"database browser), close it and run again (recorded calls are not asked again); if the "
                f"file is damaged, {_ADVICE}"
            ) from None

    def prompt(self, key: str) -> list[dict[str, Any]] | None:
        """The recorded chat messages of one call."""
        if not self.reads:
            return None
        for path, db in self._layers():
            rows = self._query(path, db, "SELECT prompt FROM calls WHERE key = ?", (key,))
            if rows:
                return json.loads(zlib.decompress(rows[0][0]).decode("utf-8"))
        return None

    def summary(self) -> list[dict[str, Any]]:
        """Rows per (backend, model, task, status) with their counts (over every file read), sorted."""
        if not self.reads:
            return []
        counts: dict[tuple, int] = {}
        for path, db in self._layers():
            sql = "SELECT backend, model, task, status, COUNT(*) FROM calls GROUP BY 1, 2, 3, 4"
            for *group, n in self._query(path, db, sql):
                counts[tuple(group)] = counts.get(tuple(group), 0) + n
        names = ("backend", "model", "task", "status", "calls")
        return [dict(zip(names, (*g, n), strict=True)) for g, n in sorted(counts.items())]

    def has_all(self, keys: list[str]) -> bool:
        """Whether every key has a recorded answer (ok or rejected)."""
        return all(self.get(k) is not None for k in keys) if self.reads else False

    def close(self) -> None:
        for _, db in self._layers():
            db.close()
        self._db = None
        self._extra = []

    def __enter__(self) -> CallCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def project_path(path: str | os.PathLike) -> Path:
    """A parameter path: absolute as given, relative to the repository root otherwise (not to the working
    directory, which differs between papermill, nbval and a shell)."""
    path = Path(path)
    return path if path.is_absolute() else ROOT / path


def user_cache_dir() -> Path:
    """The user's own LLM call cache folder: ``$EMER_CACHE_DIR/llm``, else the user's cache folder."""
    base = os.environ.get(ENV_CACHE_DIR)
    if not base:
        import pooch

        base = pooch.os_cache("emer")
    return Path(base).expanduser() / "llm"


def is_project_cache(cache_dir: str | os.PathLike) -> bool:
    """Whether ``cache_dir`` is the checkout's committed cache folder (``outputs/cache``)."""
    return project_path(cache_dir).resolve() == PROJECT_CACHE_DIR.resolve()


def recording_file(
    cache_dir: str | os.PathLike, name: str = DEFAULT_FILE, write_project: bool = False
) -> Path:
    """The file into which :func:`open_cache` records new calls for ``cache_dir`` (the user's own cache
    for the project's folder, unless ``write_project``)."""
    if write_project or not is_project_cache(cache_dir):
        return project_path(cache_dir) / name
    return user_cache_dir() / name


def open_cache(
    cache_dir: str | os.PathLike | None,
    mode: str = "read-write",
    name: str = DEFAULT_FILE,
    write_project: bool = False,
    busy_timeout_s: float = BUSY_TIMEOUT_S,
) -> CallCache:
    """The call cache ``<cache_dir>/<name>`` in ``mode`` (``cache_dir`` may be None when mode is off;
    a relative ``cache_dir`` is taken from the repository root).

    The project's cache folder is special (see the module docstring): unless ``write_project``, its file is
    read only, and the user's own cache (:func:`user_cache_dir`) takes the new calls.
    """
    if mode == "off":
        return CallCache(None, "off")
    if cache_dir is None:
        raise ValueError("cache_dir is needed unless cache_mode is 'off'")
    path = project_path(cache_dir) / name
    recorded = recording_file(cache_dir, name, write_project)
    if recorded == path:
        return CallCache(path, mode, busy_timeout_s=busy_timeout_s)
    return CallCache(recorded, mode, read_also=[path], busy_timeout_s=busy_timeout_s, lazy=True)
