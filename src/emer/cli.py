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


def _score(args: argparse.Namespace) -> int:
    from emer.scoring import Choices, Extractor, PredictionError, score

    out = Path(args.out).resolve() if args.out else None
    cache = args.cache_dir or (str(out / "cache") if out else None)
    extractor = Extractor(
        backend=args.backend,
        model=args.model,
        base_url=args.base_url,
        preset=args.preset,
        runs=args.runs,
        cache_dir=Path(cache).resolve() if cache else None,
        concurrency=args.concurrency,
        timeout_s=args.timeout,
    )
    try:
        card = score(
            args.predictions,
            args.dataset,
            out_dir=out,
            data_dir=args.data_dir,
            metrics=tuple(args.metrics.split(",")) if args.metrics else None,
            language=args.language,
            revision=args.revision,
            choices=Choices(args.unmapped, args.empty_gold, args.average),
            rank_by=args.rank_by,
            n_boot=args.n_boot,
            seed=args.seed,
            allow_missing=args.allow_missing,
            chinese=args.chinese,
            baselines=not args.no_baselines,
            checkpoints=args.checkpoints,
            extractor=extractor,
            matching_cache_dir=str(Path(cache).resolve() / "matching") if cache else None,
        )
    except (PredictionError, ValueError, KeyError) as exc:
        print(f"emer: error: {str(exc).strip(chr(39))}", file=sys.stderr)
        return 2
    print(card.summary())
    if out:
        print(f"scorecard written to {out}")
    return 0


def _add_score_command(commands) -> None:
    from emer.data.datasets import dataset_names
    from emer.metrics.wheel import AVERAGES
    from emer.scoring.extraction import PRESETS
    from emer.scoring.families import EMPTY_GOLD, FAMILIES, UNMAPPED

    p = commands.add_parser(
        "score",
        help="score one or more systems' predictions (descriptions and/or labels) on an EMER gold set",
        description="Score predictions on an EMER gold set: emotion-wheel metrics, set metrics, hit rate, "
        "matching metrics, bootstrap intervals, paired tests against the released baselines, a leaderboard.",
    )
    p.add_argument(
        "predictions",
        nargs="+",
        help="files or folders (.csv .tsv .jsonl .npz); NAME=PATH names a "
        "system; data:PATH is a file of the public data",
    )
    p.add_argument("--dataset", choices=dataset_names(), default="ovmerd")
    p.add_argument("--out", help="folder for scorecard.json, tables/, figures/ (default: print only)")
    p.add_argument(
        "--metrics",
        help=f"comma-separated families among {','.join(FAMILIES)} (default: all the "
        "dataset and the inputs allow)",
    )
    p.add_argument("--language", choices=("en", "zh"), default="en", help="gold descriptions for matching")
    p.add_argument(
        "--revision", choices=("MER2025", "MER2026"), default="MER2025", help="format.csv revision"
    )
    p.add_argument("--unmapped", choices=UNMAPPED, default="drop", help="labels no EW mapping knows")
    p.add_argument(
        "--empty-gold", choices=EMPTY_GOLD, default="skip", help="samples whose mapped gold is empty"
    )
    p.add_argument("--average", choices=AVERAGES, default="f-of-means")
    p.add_argument(
        "--rank-by", help="the leaderboard's score (default: M-avg, or the hit rate without OV gold)"
    )
    p.add_argument("--n-boot", type=int, default=1000, help="bootstrap / randomization draws")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--allow-missing", action="store_true", help="score samples without prediction as empty")
    p.add_argument(
        "--chinese",
        choices=("translate", "keep"),
        default="translate",
        help="Chinese labels: put into English, unknown ones refused (default) | keep: dropped, "
        "as the authors' scripts did",
    )
    p.add_argument("--no-baselines", action="store_true", help="leave the released baselines out")
    p.add_argument("--checkpoints", action="store_true", help="each folder holds checkpoints of one system")
    p.add_argument(
        "--backend",
        choices=("offline", "openai", "transformers"),
        default="offline",
        help="label extractor for descriptions-only inputs",
    )
    p.add_argument("--model", default="", help="extractor model (openai: served name; transformers: folder)")
    p.add_argument("--base-url", default="", help="OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1")
    p.add_argument(
        "--preset", choices=sorted(PRESETS), default="greedy", help="extractor generation settings"
    )
    p.add_argument("--runs", type=int, default=1, help="repeat a sampling extractor with seeds 0..N-1")
    p.add_argument("--cache-dir", help="LLM call record and matching cache (default: OUT/cache)")
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--timeout", type=float, default=120.0, help="seconds per extraction call")
    p.add_argument("--data-dir", help="public data copy (default: EMER_DATA_DIR or the download cache)")
    p.set_defaults(func=_score)


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
    _add_score_command(commands)  # `emer score`
    from emer.lmms_tasks.command import add_command

    add_command(commands)  # `emer lmms-tasks`
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
