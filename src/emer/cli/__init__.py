"""The ``emer`` command line: fetch the data, run the notebooks, check the committed tables, score
predictions, make clues and explanations of clips, record LLM calls.

One module per command, each thin: it declares its options (``add_parser``), calls the library and
prints (``run``). Heavy imports happen inside ``run``, so ``emer --help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys

from emer.cli import (
    clues,
    compare_tables,
    datasets,
    explain,
    fetch,
    lmms_tasks,
    paper,
    record_calls,
    score,
)

#: The commands in the order ``emer --help`` lists them.
COMMANDS = (fetch, paper, compare_tables, clues, explain, datasets, score, lmms_tasks, record_calls)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="emer", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    from emer.data import DataError
    from emer.files import OutputPathError
    from emer.nbrun import NotebookError, ParamsError

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (DataError, ParamsError, NotebookError, OutputPathError) as exc:
        print(f"emer: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("emer: interrupted; files already written are kept", file=sys.stderr)
        return 130
