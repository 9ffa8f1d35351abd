"""Regenerate src/emer/data/registry.tsv from a MANIFEST.tsv of the public data copy.

Usage: python tools/make_registry.py ../shared/data/MANIFEST.tsv
The registry holds metadata only (paths, hashes, sources, licences), never file contents.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "emer" / "data" / "registry.tsv"
FIELDS = ["path", "bytes", "sha256", "repo", "mirror", "commit", "source_path", "archive", "licence"]


def convert(row: dict[str, str]) -> dict[str, str]:
    repo_field = row["source_repo"]
    repo = repo_field.split(" ")[0]
    fork = re.search(r"via fork ([\w.-]+/[\w.-]+)", repo_field)
    source = row["original_path"]
    member = re.match(r"(\S+)\s+\(member of (\S+)\)", source)
    return {
        "path": row["path"],
        "bytes": row["bytes"],
        "sha256": row["sha256"],
        "repo": repo,
        "mirror": fork.group(1) if fork else "",
        "commit": row["commit"],
        "source_path": member.group(1) if member else source,
        "archive": member.group(2) if member else "",
        "licence": row["license"],
    }


def main(manifest: str) -> None:
    with open(manifest, newline="", encoding="utf-8") as f:
        rows = [convert(r) for r in csv.DictReader(f, delimiter="\t")]
    rows.sort(key=lambda r: r["path"])
    with open(OUT, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, FIELDS, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} entries to {OUT}")


if __name__ == "__main__":
    main(sys.argv[1])
