"""The ``emer`` command line: fetch the data, run the notebooks, check the committed tables."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from emer.nbrun import PROFILES, ROOT


def _fetch(args: argparse.Namespace) -> int:
    from emer.data import data_root, fetch

    root, user_given = data_root(args.data_dir)
    files = fetch(data_dir=args.data_dir)
    action = "verified" if user_given else "fetched and verified"
    print(f"{len(files)} data files {action} in {root}")
    return 0


def _paper(args: argparse.Namespace) -> int:
    from emer.nbrun import run_all

    out_dir = Path(args.out_dir).resolve()
    record = Path(args.record_outputs).resolve() if args.record_outputs else None
    run_all(out_dir, args.profile, args.only, prepare_only=args.prepare_only, record_dir=record)
    return 0


def _compare(args: argparse.Namespace) -> int:
    from emer.report import compare_tables

    differing = compare_tables(args.produced, args.committed)
    if differing:
        print(f"{len(differing)} table file(s) differ from {args.committed}: {', '.join(differing)}")
        print("Run `make paper` and commit outputs/tables if the change is intended.")
        return 1
    print(f"tables in {args.produced} are byte-identical to {args.committed}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="emer", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    fetch = commands.add_parser("fetch", help="download (or verify) every public data file")
    fetch.add_argument("--data-dir", help="verify this copy instead of downloading (default: EMER_DATA_DIR)")
    fetch.set_defaults(func=_fetch)

    paper = commands.add_parser("paper", help="run the notebooks in order")
    paper.add_argument("--profile", choices=PROFILES, default="full")
    paper.add_argument("--out-dir", default=str(ROOT / "outputs"))
    paper.add_argument("--only", nargs="*", help="notebook stem prefixes to run, e.g. 00 07")
    run_mode = paper.add_mutually_exclusive_group()
    run_mode.add_argument(
        "--prepare-only",
        action="store_true",
        help="inject the parameters and write the notebooks without running them (for nbval)",
    )
    run_mode.add_argument(
        "--record-outputs",
        metavar="DIR",
        help="save the outputs of the NBVAL_CHECK_OUTPUT cells of each executed notebook into DIR",
    )
    paper.set_defaults(func=_paper)

    compare = commands.add_parser("compare-tables", help="fail if two tables folders differ")
    compare.add_argument("produced")
    compare.add_argument("committed", nargs="?", default=str(ROOT / "outputs" / "tables"))
    compare.set_defaults(func=_compare)

    from emer.clues.commands import add_clue_commands

    add_clue_commands(commands)  # `emer clues`, `emer explain`
    return parser


def main(argv: list[str] | None = None) -> int:
    from emer.data import DataError
    from emer.nbrun import NotebookError, ParamsError

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (DataError, ParamsError, NotebookError) as exc:
        print(f"emer: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
