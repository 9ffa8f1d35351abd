"""``emer explain``: S0/S1/S2 explanations and OV labels for a folder of clips.

The CPU pipeline (clue extractors, then the LLM merge: :mod:`emer.clues.explain`) is the default; the
model pipelines (``--pipeline emer | direct``) are :mod:`emer.cli.explain_models`.
"""

from __future__ import annotations

import argparse

from emer.cli import explain_models
from emer.cli.clip_options import add_clip_options, clue_params, guarded


def add_parser(commands) -> None:
    parser = commands.add_parser("explain", help="S0/S1/S2 explanations and OV labels for a folder of clips")
    add_clip_options(parser)
    parser.add_argument(
        "--strategy",
        nargs="+",
        default=["S2"],
        choices=["S0", "S1", "S2"],
        help="S0: visual+acoustic clues; S1: plus the subtitle; S2: S0 merged with the subtitle (default)",
    )
    parser.add_argument(
        "--backend", default="offline", choices=["offline", "openai", "transformers"], help="LLM backend"
    )
    parser.add_argument("--model", default=None, help="model name for the backend, where it takes one")
    parser.add_argument("--language", default="en", choices=["en", "zh"], help="language of the clues sent")
    parser.add_argument("--base-url", default=None, help="server address for the openai backend")
    parser.add_argument(
        "--cache-dir",
        default=None,
        help="LLM call cache folder (default: <out>/llm-cache; relative to the working directory)",
    )
    parser.add_argument(
        "--cache-mode",
        default="read-write",
        choices=["read-write", "replay", "off"],
        help="LLM call cache use",
    )
    parser.add_argument(
        "--data-dir", default=None, help="public data copy for the offline backend (default: EMER_DATA_DIR)"
    )
    explain_models.add_options(parser)  # --pipeline emer | direct and the per-stage model flags
    parser.set_defaults(func=guarded(run))


def run(args: argparse.Namespace) -> int:
    if args.pipeline != "cpu":
        return explain_models.run(args)

    from emer.clues.explain import run_explain

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
        params=clue_params(args),
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
