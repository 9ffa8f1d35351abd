"""``emer fetch``: download (or verify) every public data file."""

from __future__ import annotations

import argparse


def add_parser(commands) -> None:
    parser = commands.add_parser("fetch", help="download (or verify) every public data file")
    parser.add_argument("--data-dir", help="verify this copy instead of downloading (default: EMER_DATA_DIR)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from emer.data import data_root, fetch

    root, user_given = data_root(args.data_dir)
    files = fetch(data_dir=args.data_dir)
    action = "verified" if user_given else "fetched and verified"
    print(f"{len(files)} data files {action} in {root}")
    return 0
