"""``emer compare-tables``: fail unless the produced tables equal the committed ones byte for byte."""

from __future__ import annotations

import argparse
import sys

from emer.nbrun import ROOT


def add_parser(commands) -> None:
    parser = commands.add_parser("compare-tables", help="fail if two tables folders differ")
    parser.add_argument("produced")
    parser.add_argument("committed", nargs="?", default=str(ROOT / "outputs" / "tables"))
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from emer.report import compare_tables

    try:
        differing = compare_tables(args.produced, args.committed)
    except FileNotFoundError as exc:
        print(f"emer: error: {exc}", file=sys.stderr)
        return 2
    if differing:
        print(f"{len(differing)} table file(s) differ from {args.committed}: {', '.join(differing)}")
        print("Run `make paper` and commit outputs/tables if the change is intended.")
        return 1
    print(f"tables in {args.produced} are byte-identical to {args.committed}")
    return 0
