"""The checks behind ``emer lmms-tasks --check``: task names expanded, documents built, videos read."""

from __future__ import annotations

import sys


def expand(names: list[str]) -> list[str]:
    """Task names from ``names`` (commas allowed); the group stands for its tasks."""
    from emer.lmms_tasks.catalog import GROUP, get_task, unibench_tasks

    out: list[str] = []
    for name in (n.strip() for part in names for n in part.split(",")):
        if name == GROUP:
            out += [t.task for t in unibench_tasks()]
        elif name:
            out.append(get_task(name).task)
    return list(dict.fromkeys(out))


def check(tasks: list[str]) -> int:
    """Build the documents of ``tasks`` (videos found and readable, subtitles, labels); 0 when all are."""
    from emer.data import DataError
    from emer.lmms_tasks.config import ConfigError
    from emer.lmms_tasks.documents import MediaCheckError, build_documents

    try:
        for task in expand(tasks):
            documents = build_documents(task)
            print(f"{task}: {len(documents)} documents, every video readable", file=sys.stderr)
    except (MediaCheckError, ConfigError, DataError, ValueError) as exc:
        print(f"emer: error: {exc}", file=sys.stderr)
        return 2
    return 0
