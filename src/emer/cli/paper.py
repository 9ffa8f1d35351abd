"""``emer paper``: run the notebooks in order (papermill), or only prepare them for nbval."""

from __future__ import annotations

import argparse
from pathlib import Path

from emer.nbrun import PROFILES, ROOT


def add_parser(commands) -> None:
    parser = commands.add_parser("paper", help="run the notebooks in order")
    parser.add_argument("--profile", choices=PROFILES, default="full")
    parser.add_argument("--out-dir", default=str(ROOT / "outputs"))
    parser.add_argument(
        "--only", nargs="+", metavar="PREFIX", help="notebook stem prefixes to run, e.g. 00 07 (default: all)"
    )
    run_mode = parser.add_mutually_exclusive_group()
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
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from emer.files import check_folder
    from emer.nbrun import run_all

    out_dir = check_folder(Path(args.out_dir).resolve(), "--out-dir")
    record = Path(args.record_outputs).resolve() if args.record_outputs else None
    run_all(out_dir, args.profile, args.only, prepare_only=args.prepare_only, record_dir=record)
    return 0
