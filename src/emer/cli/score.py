"""``emer score``: score one or more systems' predictions on a gold set (:func:`emer.scoring.score`), or
the MER-UniBench table of one or more folders (:func:`emer.scoring.unibench.score_unibench`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_parser(commands) -> None:
    from emer.data.datasets import UNIBENCH, dataset_names
    from emer.metrics.sentiment import RULES
    from emer.metrics.wheel import AVERAGES
    from emer.scoring.extraction import PRESETS
    from emer.scoring.families import EMPTY_GOLD, FAMILIES, NEUTRAL, UNMAPPED
    from emer.scoring.systems import INPUTS

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
    p.add_argument(
        "--dataset",
        choices=(*dataset_names(), UNIBENCH),
        default="ovmerd",
        help="the gold set (`emer datasets` lists them); mer-unibench: each MER-UniBench dataset found under "
        "the folders given, as the field's nine-dataset table",
    )
    p.add_argument(
        "--labels",
        metavar="PATH",
        action="append",
        help="your copy of the dataset's gold labels (needed for mer2024 and ovmerd-plus; `emer datasets` "
        "lists the formats each dataset accepts); with mer-unibench: DATASET=PATH, once per dataset",
    )
    p.add_argument(
        "--select",
        metavar="CHECKPOINT",
        help="mer-unibench: also report the checkpoint whose file name contains this (rows 'fixed')",
    )
    p.add_argument(
        "--no-beside",
        action="store_true",
        help="mer-unibench: do not also score the field's files from their descriptions alone",
    )
    p.add_argument("--out", help="folder for scorecard.json, tables/, figures/ (default: print only)")
    p.add_argument(
        "--from",
        dest="inputs",
        choices=INPUTS,
        default="auto",
        help="which kind of input to score when a file gives several: the most processed one (auto), "
        "the descriptions (labels extracted, sentiments mapped), the labels, or the sentiments",
    )
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
        "--neutral",
        choices=NEUTRAL,
        default="skip",
        help="hit rate: a neutral gold label maps to no wheel class and is skipped (the authors), or is a "
        "class of its own, hit by a prediction that names neutral or nothing",
    )
    p.add_argument(
        "--sentiment",
        choices=RULES,
        default="field",
        help="sentiment: positive against non-positive, a predicted neutral counting as negative (the "
        "field), or strict, a predicted neutral wrong for either sign",
    )
    p.add_argument(
        "--rank-by", help="the leaderboard's score (default: M-avg, or the hit rate without OV gold)"
    )
    p.add_argument("--n-boot", type=int, default=1000, help="bootstrap / randomization draws")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--allow-missing", action="store_true", help="score samples without prediction as empty")
    p.add_argument(
        "--subset",
        choices=("all", "given"),
        default="all",
        help="all: every sample of the split (the default) | given: only the samples the predictions give "
        "(the coverage is printed; baselines and paired tests on the same samples)",
    )
    p.add_argument(
        "--chinese",
        choices=("translate", "keep"),
        default=None,
        help="Chinese labels: put into English, unknown ones refused (the default) | keep: dropped, as the "
        "authors' scripts did (the default with mer-unibench, whose files are the field's own extractions)",
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
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from emer.data.datasets import UNIBENCH
    from emer.files import check_folder
    from emer.scoring import Choices, Extractor, PredictionError, score

    out = check_folder(Path(args.out).resolve(), "--out") if args.out else None
    cache = args.cache_dir or (str(out / "cache") if out else None)
    if cache:
        check_folder(Path(cache).resolve(), "--cache-dir" if args.cache_dir else "OUT/cache")
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
    options = dict(
        data_dir=args.data_dir,
        revision=args.revision,
        choices=Choices(args.unmapped, args.empty_gold, args.average, args.neutral, args.sentiment),
        inputs=args.inputs,
        n_boot=args.n_boot,
        seed=args.seed,
        allow_missing=args.allow_missing,
        subset=args.subset,
        chinese=args.chinese or ("keep" if args.dataset == UNIBENCH else "translate"),
        extractor=extractor,
    )
    try:
        if args.dataset == UNIBENCH:
            from emer.scoring.unibench import score_unibench

            result = score_unibench(
                args.predictions,
                labels=_labels_by_dataset(args.labels),
                select=args.select,
                beside=not args.no_beside,
                out_dir=out,
                **options,
            )
            print(result.summary())
        else:
            if args.select or args.no_beside:
                raise ValueError("--select and --no-beside apply to --dataset mer-unibench only")
            card = score(
                args.predictions,
                args.dataset,
                out_dir=out,
                metrics=tuple(args.metrics.split(",")) if args.metrics else None,
                language=args.language,
                labels=_one_labels_file(args.labels, args.dataset),
                rank_by=args.rank_by,
                baselines=not args.no_baselines,
                checkpoints=args.checkpoints,
                matching_cache_dir=str(Path(cache).resolve() / "matching") if cache else None,
                **options,
            )
            print(card.summary())
    except (PredictionError, ValueError, KeyError) as exc:
        print(f"emer: error: {str(exc).strip(chr(39))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"emer: interrupted, no scorecard written; {extractor.resume_note()}", file=sys.stderr)
        return 130
    if out:
        print(f"scorecard written to {out}")
    return 0


def _labels_by_dataset(given: list[str] | None) -> dict[str, str]:
    """``--labels DATASET=PATH`` (repeatable) for MER-UniBench."""
    out = {}
    for item in given or []:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise ValueError(
                f"--labels {item!r}: with --dataset mer-unibench write DATASET=PATH, e.g. mer2024=x.npz"
            )
        out[name] = path
    return out


def _one_labels_file(given: list[str] | None, dataset: str) -> str | None:
    """``--labels PATH`` (or ``DATASET=PATH`` naming this dataset) for one dataset."""
    if not given:
        return None
    if len(given) > 1:
        raise ValueError(f"--labels is given {len(given)} times; --dataset {dataset} takes one labels file")
    name, sep, path = given[0].partition("=")
    if sep and name and "/" not in name and not Path(given[0]).exists():
        if name != dataset:
            raise ValueError(f"--labels {given[0]!r} names dataset {name!r}, but --dataset is {dataset!r}")
        return path
    return given[0]
