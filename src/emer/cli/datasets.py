"""``emer datasets``: the datasets emer scores on, where their labels come from and whether they are here."""

from __future__ import annotations

import argparse


def add_parser(commands) -> None:
    p = commands.add_parser(
        "datasets", help="list the datasets emer scores on, where their labels come from and if they are here"
    )
    p.add_argument("--data-dir", help="public data copy (default: EMER_DATA_DIR or the download cache)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from emer.data.datasets import overview

    rows = overview(args.data_dir)
    columns = ["dataset", "samples", "scores", "MER-UniBench", "labels"]
    print(pd.DataFrame(rows)[columns].to_string(index=False))
    print(
        "\nWhere the labels come from (fetched from where their owners published them, never redistributed):"
    )
    for row in rows:
        print(f"  {row['dataset']}: {row['source']}; --labels: {row['--labels formats']}")
    return 0
