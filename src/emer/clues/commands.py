"""The ``emer clues`` and ``emer explain`` subcommands (registered by :mod:`emer.cli`).

Nothing heavy is imported here: the handlers import the pipeline when they run.
"""

from __future__ import annotations

import argparse
import sys


def _clue_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "folder",
        help="a folder of clips (any container FFmpeg reads: mp4, m4v, mkv, webm, mov, avi, ...) or one clip",
    )
    parser.add_argument(
        "--out",
        required=True,
        help="output folder (records, summary table); relative to the working directory",
    )
    parser.add_argument(
        "--manifest", help="CSV table with a clip id column and a subtitle and/or speaker-sex column"
    )
    parser.add_argument("--id-column", default="name", help="clip id column of --manifest (default: name)")
    parser.add_argument(
        "--subtitle-column", default="subtitle", help="subtitle column of --manifest (default: subtitle)"
    )
    parser.add_argument(
        "--frames", type=int, default=8, help="frames sampled uniformly per clip (default: 8)"
    )
    parser.add_argument(
        "--frame-rate", type=float, default=0.0, help="sample this many frames per second instead of --frames"
    )
    parser.add_argument(
        "--languages", nargs="+", default=["en", "zh"], choices=["en", "zh"], help="clue languages to write"
    )
    parser.add_argument("--no-resume", action="store_true", help="redo clips that already have a record")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _params(args: argparse.Namespace):
    from emer.clues.pipeline import ClueParams

    return ClueParams(frames=args.frames, frame_rate=args.frame_rate, languages=tuple(args.languages))


def _guarded(handler):
    """Turn the clue stage's expected errors into one line on stderr and exit status 2."""

    def run(args: argparse.Namespace) -> int:
        from emer.clues.media import MediaError, MissingDependencyError
        from emer.llm import BackendError, CacheError

        try:
            return handler(args)
        except (MediaError, MissingDependencyError, CacheError, BackendError) as exc:
            print(f"emer: error: {exc}", file=sys.stderr)
            return 2

    return run


def _clues(args: argparse.Namespace) -> int:
    from emer.clues.pipeline import run_clues

    table = run_clues(
        args.folder,
        args.out,
        _params(args),
        manifest=args.manifest,
        id_column=args.id_column,
        subtitle_column=args.subtitle_column,
        resume=not args.no_resume,
        progress=not args.no_progress,
    )
    print(table.drop(columns=["seconds"]).to_string(index=False))
    print(f"{len(table)} clip record(s) in {args.out}/clips; summary in {args.out}/summary.csv")
    return 0


def _explain(args: argparse.Namespace) -> int:
    from emer.clues.explain import run_explain

    if args.pipeline != "cpu":
        from emer.clues.model_commands import run_model_command

        return run_model_command(args)

    if args.language not in args.languages:
        args.languages = [*args.languages, args.language]
    table = run_explain(
        args.folder,
        args.out,
        strategies=args.strategy,
        backend=args.backend,
        model=args.model or "",
        base_url=args.base_url or "",
        language=args.language,
        params=_params(args),
        manifest=args.manifest,
        id_column=args.id_column,
        subtitle_column=args.subtitle_column,
        resume=not args.no_resume,
        progress=not args.no_progress,
        cache_dir=args.cache_dir,
        cache_mode=args.cache_mode,
        data_dir=args.data_dir,
    )
    print(table.to_string(index=False))
    print(f"{len(table)} explanation record(s) in {args.out}/explanations; summary in summary.csv there")
    return 0


def add_clue_commands(commands) -> None:
    """Register ``clues`` and ``explain`` on the ``emer`` subparsers object."""
    clues = commands.add_parser("clues", help="visual, acoustic and lexical clues for a folder of clips")
    _clue_options(clues)
    clues.set_defaults(func=_guarded(_clues))

    explain = commands.add_parser("explain", help="S0/S1/S2 explanations and OV labels for a folder of clips")
    _clue_options(explain)
    explain.add_argument(
        "--strategy",
        nargs="+",
        default=["S2"],
        choices=["S0", "S1", "S2"],
        help="S0: visual+acoustic clues; S1: plus the subtitle; S2: S0 merged with the subtitle (default)",
    )
    explain.add_argument(
        "--backend", default="offline", choices=["offline", "openai", "transformers"], help="LLM backend"
    )
    explain.add_argument("--model", default=None, help="model name for the backend, where it takes one")
    explain.add_argument("--language", default="en", choices=["en", "zh"], help="language of the clues sent")
    explain.add_argument("--base-url", default=None, help="server address for the openai backend")
    explain.add_argument(
        "--cache-dir",
        default=None,
        help="LLM call cache folder (default: <out>/llm-cache; relative to the working directory)",
    )
    explain.add_argument(
        "--cache-mode",
        default="read-write",
        choices=["read-write", "replay", "off"],
        help="LLM call cache use",
    )
    explain.add_argument(
        "--data-dir", default=None, help="public data copy for the offline backend (default: EMER_DATA_DIR)"
    )
    from emer.clues.model_commands import add_model_options

    add_model_options(explain)  # --pipeline emer | direct and the per-stage model flags
    explain.set_defaults(func=_guarded(_explain))
