"""``emer lmms-tasks``: the ``--include_path`` of emer's lmms-eval tasks, after an optional check of their
videos (:mod:`emer.lmms_tasks`)."""

from __future__ import annotations

import argparse


def add_parser(commands) -> None:
    from emer.lmms_tasks import LMMS_EVAL_VERSION

    p = commands.add_parser("lmms-tasks", help="lmms-eval's --include_path for the emer tasks")
    p.description = (
        "Print the folder of emer's lmms-eval tasks (give it to lmms-eval as --include_path; it is the last "
        f"line, and the only one on stdout). lmms-eval {LMMS_EVAL_VERSION} runs in its own environment: "
        "make env-lmms. --check builds the tasks' documents and checks the videos first."
    )
    p.add_argument(
        "--check",
        nargs="+",
        metavar="TASK",
        help="tasks (or the group emer_mer_unibench) whose videos are checked before the path is printed",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from emer.lmms_tasks import include_path
    from emer.lmms_tasks.checks import check

    if args.check and check(args.check):
        return 2
    print(include_path())
    return 0
