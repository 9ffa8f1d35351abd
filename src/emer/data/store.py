"""Locate, download and verify the public data files.

Where the data comes from, in order:

1. an explicit ``data_dir`` argument (the ``data_dir`` key of the notebook params);
2. the environment variable ``EMER_DATA_DIR``;
3. the download cache (``EMER_CACHE_DIR`` or the user's cache folder), filled by ``emer fetch``.

A directory given by (1) or (2) must be laid out like the data copy (``<source>/<path>``); nothing is
downloaded into it. Every file is checked against its registered sha256 before it is used.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
import zipfile
from pathlib import Path

from emer.data.registry import DataFile, lookup, registry
from emer.files import apply_umask, atomic_file

ENV_DATA_DIR = "EMER_DATA_DIR"
ENV_CACHE_DIR = "EMER_CACHE_DIR"
FETCH_HINT = (
    f"Set {ENV_DATA_DIR} (or the data_dir param) to a copy of the data laid out like shared/data, "
    "or download the files with `emer fetch` (or `make data`)."
)

#: sha256 of the files verified in this process, by file state (see :func:`verify`).
_verified: dict[tuple[str, int, int, int, int, int], str] = {}
#: A file changed less than this long before it was hashed is not memoised: file times tick in steps (a few
#: ms), so a change made in the same step as the hash could leave every time as it was (git's "racy" case).
RACY_NS = 2_000_000_000


class DataError(RuntimeError):
    """A data file is missing, corrupt or malformed."""


class ChecksumError(DataError):
    """A data file does not have its registered sha256."""


def cache_dir() -> Path:
    """The download cache used when no data directory is set."""
    import pooch

    return Path(os.environ.get(ENV_CACHE_DIR) or pooch.os_cache("emer")) / "data"


def data_root(data_dir: str | os.PathLike | None = None) -> tuple[Path, bool]:
    """The data directory in use and whether it is a user-given copy (True) or the cache (False)."""
    chosen = data_dir or os.environ.get(ENV_DATA_DIR)
    if chosen:
        return Path(chosen).expanduser().resolve(), True
    return cache_dir(), False


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _state(path: Path) -> tuple[str, int, int, int, int, int]:
    """What identifies a file's content within a process: path, device, inode, size, mtime and ctime. The
    ctime cannot be set back: an edit in place that restores the size and the mtime still changes it."""
    stat = path.stat()
    return (str(path), stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


def verify(path: Path, entry: DataFile) -> None:
    """Raise ChecksumError unless ``path`` has the registered sha256 (memoised per file state, see
    :func:`_state`; a file changed within :data:`RACY_NS` of the hash is hashed again next time)."""
    key = _state(path)
    actual = _verified.get(key)
    if actual is None:
        started = time.time_ns()
        actual = sha256_of(path)
        if key[-1] < started - RACY_NS and _state(path) == key:
            _verified[key] = actual
    if actual != entry.sha256:
        raise ChecksumError(
            f"{path}: sha256 mismatch for {entry.path}\n  expected {entry.sha256}\n  found    {actual}\n"
            "The file is corrupt or from another revision; delete it and fetch it again (`emer fetch`)."
        )


def data_path(path: str, data_dir: str | os.PathLike | None = None) -> Path:
    """Local path of a registered file, verified. Never downloads; see :func:`fetch`."""
    entry = lookup(path)
    root, _ = data_root(data_dir)
    local = root / entry.path
    if not local.is_file():
        raise DataError(f"Data file {entry.path} not found under {root}.\n{FETCH_HINT}")
    verify(local, entry)
    return local


def data_folder(prefix: str, data_dir: str | os.PathLike | None = None) -> Path:
    """Local path of a folder of registered files, each of them verified (see :func:`data_path`)."""
    prefix = prefix.strip("/")
    inside = [p for p in registry() if p.startswith(f"{prefix}/")]
    if not inside:
        raise KeyError(f"{prefix!r} holds no registered data file (see src/emer/data/registry.tsv)")
    for path in inside:
        data_path(path, data_dir)
    return data_root(data_dir)[0] / prefix


def _download(entry: DataFile, target: Path) -> None:
    import pooch

    errors = []
    for url in entry.urls():
        try:
            pooch.retrieve(url, known_hash=None, fname=target.name, path=target.parent, progressbar=False)
            apply_umask(target)  # pooch writes through tempfile (mode 0600)
            return
        except Exception as exc:  # network errors of every kind: try the next mirror
            errors.append(f"{url}: {exc}")
    raise DataError(f"Could not download {entry.path}:\n  " + "\n  ".join(errors))


def _fetch_one(entry: DataFile, root: Path) -> Path:
    local = root / entry.path
    if local.is_file():
        try:
            verify(local, entry)
            return local
        except ChecksumError:
            local.unlink()
    local.parent.mkdir(parents=True, exist_ok=True)
    if entry.archive:
        archive = _fetch_one(lookup(entry.archive_local_path), root)
        with (
            zipfile.ZipFile(archive) as z,
            z.open(entry.archive_member) as src,
            atomic_file(local) as tmp,
        ):
            shutil.copyfileobj(src, tmp)
    else:
        _download(entry, local)
    verify(local, entry)
    return local


def fetch(paths: list[str] | None = None, data_dir: str | os.PathLike | None = None) -> list[Path]:
    """Download (into the cache) and verify the given registered files, or all of them.

    With a user-given data directory nothing is downloaded: its files are only verified.
    """
    root, user_given = data_root(data_dir)
    entries = [lookup(p) for p in paths] if paths else sorted(registry().values(), key=lambda e: e.path)
    if user_given:
        return [data_path(e.path, root) for e in entries]
    return [_fetch_one(e, root) for e in entries]
