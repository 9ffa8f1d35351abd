"""``emer lmms-tasks``: the ``--include_path`` of the emer tasks, after an optional check of their videos."""

from __future__ import annotations

import argparse
import sys

from emer.lmms_tasks import LMMS_EVAL_VERSION, include_path

DESCRIPTION = (
    "Print the folder of emer's lmms-eval tasks (give it to lmms-eval as --include_path; it is the last "
    f"line, and the only one on stdout). lmms-eval {LMMS_EVAL_VERSION} runs in its own environment: "
    "make env-lmms. --check builds the tasks' documents and checks the videos first."
)


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


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--check",
        nargs="+",
        metavar="TASK",
        help="tasks (or the group emer_mer_unibench) whose videos are checked before the path is printed",
    )


def run(args: argparse.Namespace) -> int:
    if args.check and check(args.check):
        return 2
    print(include_path())
    return 0


def add_command(commands) -> None:
    """``emer lmms-tasks`` on the ``emer`` command line's subparsers."""
    parser = commands.add_parser("lmms-tasks", help="lmms-eval's --include_path for the emer tasks")
    parser.description = DESCRIPTION
    add_arguments(parser)
    parser.set_defaults(func=run)


def main(argv: list[str] | None = None) -> int:
    """The command on its own: ``python -m emer.lmms_tasks``."""
    parser = argparse.ArgumentParser(prog="emer lmms-tasks", description=DESCRIPTION)
    add_arguments(parser)
    return run(parser.parse_args(argv))
