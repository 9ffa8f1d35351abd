"""Writing output files: into checked folders, atomically, with the permissions the user's umask gives.

Every file emer writes goes through :func:`atomic_file` (or :func:`write_atomic`): the bytes go to a
hidden file beside the target, which then replaces it, so a failed or interrupted run never leaves a
half-written file. The hidden file is created with mode 0666 less the process umask, as ``open()`` would
create the target itself: tables, records and ``scorecard.json`` all get the same permissions (0644 under
the usual umask 022), never the 0600 of :mod:`tempfile`. Output folders are checked first
(:func:`check_folder`): a path that names an existing file is refused with a message, not a traceback.

A leaf module (beside :mod:`emer.version`): any layer may use it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


class OutputPathError(ValueError):
    """An output path that cannot be used as a folder (it, or a folder above it, is a file)."""


def check_folder(path: str | os.PathLike, option: str = "the output folder") -> Path:
    """``path`` as a Path, after checking that it is a folder or can be made one; nothing is created."""
    path = Path(path)
    for part in (path, *path.parents):
        if part.exists() and not part.is_dir():
            where = "is a file" if part == path else f"lies under {part}, which is a file"
            raise OutputPathError(
                f"{path}: {option} {where}, not a folder; give a folder path (it is created if missing) "
                "or move the file away"
            )
        if part.is_dir():
            break
    return path


def make_folder(path: str | os.PathLike, option: str = "the output folder") -> Path:
    """:func:`check_folder`, then create the folder (and its parents) if missing."""
    path = check_folder(path, option)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputPathError(
            f"{path}: {option} cannot be created ({exc.strerror}); choose a folder you can write to"
        ) from None
    return path


def current_umask() -> int:
    """The process umask, read without changing it where the system allows (Linux ``/proc``)."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def apply_umask(path: str | os.PathLike) -> None:
    """Give a file written by another library (through :mod:`tempfile`) the mode a new file would get."""
    os.chmod(path, 0o666 & ~current_umask())


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """A binary handle whose bytes replace ``path`` when the block ends without an error (see the module
    notes); on an error the hidden file is removed and ``path`` is left as it was."""
    path = Path(path)
    make_folder(path.parent)
    while True:
        staged = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
        try:
            descriptor = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # umask applies
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(descriptor, "wb") as handle:
            yield handle
        os.replace(staged, path)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise


def write_atomic(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` through :func:`atomic_file`; return the path."""
    with atomic_file(path) as handle:
        handle.write(data)
    return Path(path)
