"""The registry of every public file the study uses: where it comes from and its sha256.

The registry (``registry.tsv`` beside this module) holds metadata only. The files themselves are
fetched at run time (see :mod:`emer.data.store`) and are never part of this project.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import PurePosixPath

RAW_URL = "https://raw.githubusercontent.com/{repo}/{commit}/{path}"


@dataclass(frozen=True)
class DataFile:
    """One public file, identified by its path inside the data directory."""

    path: str
    bytes: int
    sha256: str
    repo: str
    mirror: str
    commit: str
    source_path: str
    archive: str
    licence: str

    @property
    def download_path(self) -> str:
        """Path inside the source repository of what is downloaded (the file, or its archive)."""
        return self.archive or self.source_path

    @property
    def archive_member(self) -> str:
        """Name of the file inside its zip archive ("" when not archived)."""
        if not self.archive:
            return ""
        return str(PurePosixPath(self.source_path).relative_to(PurePosixPath(self.archive).parent))

    @property
    def archive_local_path(self) -> str:
        """Where the archive lies in the data directory (next to its extracted folder)."""
        local_dir = PurePosixPath(self.path).parent.parent
        return str(local_dir / PurePosixPath(self.archive).name)

    def urls(self) -> list[str]:
        """Pinned download URLs, the source repository first and its mirror (if any) after."""
        repos = [self.repo] + ([self.mirror] if self.mirror else [])
        return [RAW_URL.format(repo=r, commit=self.commit, path=self.download_path) for r in repos]


@cache
def registry() -> dict[str, DataFile]:
    """All registered files by path."""
    text = resources.files("emer.data").joinpath("registry.tsv").read_text(encoding="utf-8")
    rows = csv.DictReader(text.splitlines(), delimiter="\t")
    files = {}
    for row in rows:
        row["bytes"] = int(row["bytes"])
        files[row["path"]] = DataFile(**row)
    return files


def lookup(path: str) -> DataFile:
    """The registry entry for ``path``; a clear error if the study does not use such a file."""
    try:
        return registry()[path]
    except KeyError:
        raise KeyError(f"{path!r} is not a registered data file (see src/emer/data/registry.tsv)") from None
