"""``emer clues``: visual, acoustic and lexical clues for a folder of clips (:mod:`emer.clues.pipeline`)."""

from __future__ import annotations

import argparse

from emer.cli.clip_options import add_clip_options, clue_params, guarded


def add_parser(commands) -> None:
    parser = commands.add_parser("clues", help="visual, acoustic and lexical clues for a folder of clips")
    add_clip_options(parser)
    parser.set_defaults(func=guarded(run))


def run(args: argparse.Namespace) -> int:
    from emer.clues.pipeline import run_clues

    table = run_clues(
        args.folder,
        args.out,
        clue_params(args),
        manifest=args.manifest,
        id_column=args.id_column,
        subtitle_column=args.subtitle_column,
        resume=not args.no_resume,
        progress=not args.no_progress,
    )
    print(table.drop(columns=["seconds"]).to_string(index=False))
    print(f"{len(table)} clip record(s) in {args.out}/clips; summary in {args.out}/summary.csv")
    return 0
