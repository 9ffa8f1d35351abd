"""``emer record-calls``: record the LLM calls of the modality ablation for one backend, so notebook 03
can replay them (formerly ``python -m emer.llm``).

    emer record-calls --backend transformers --model smollm2 --max-tokens 48 --combinations V+A+T

Calls already recorded are not made again (an interrupted run resumes). With the default ``--cache-dir``
(the project's ``outputs/cache``) the calls go to the user's own cache (``$EMER_CACHE_DIR/llm``), which
notebook 03 reads too; ``--into-project`` records them into the committed ``outputs/cache/llm-calls.sqlite``
instead (for the project's maintainers, when the recorded calls change). The settings that enter the cache
key (backend, model, temperature, max tokens and, when sampling, the seed) must equal those of the
``cached_backends`` entry in ``params/03_ablate_modalities.yaml``.
"""

from __future__ import annotations

import argparse


def add_parser(commands) -> None:
    from emer.analysis.ablation import COMBINATIONS

    parser = commands.add_parser(
        "record-calls",
        help="record the LLM calls of the modality ablation (notebook 03) for one backend",
        description=__doc__.split("\n\n")[0],
    )
    parser.add_argument("--backend", default="transformers", choices=["openai", "transformers"])
    parser.add_argument("--model", default="smollm2")
    parser.add_argument("--base-url", default="")
    parser.add_argument("--cache-dir", default="outputs/cache")
    parser.add_argument("--temperature", type=float, default=0.0)
    parser.add_argument("--max-tokens", type=int, default=48)
    parser.add_argument("--seed", type=int, default=20230628)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--limit", type=int, default=0, help="first N samples by name (0 = all)")
    parser.add_argument("--languages", nargs="+", default=["en"])
    parser.add_argument("--combinations", nargs="+", default=list(COMBINATIONS))
    parser.add_argument("--data-dir", default=None)
    parser.add_argument(
        "--into-project",
        action="store_true",
        help="record into the committed outputs/cache/llm-calls.sqlite (maintainers only)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from emer.analysis.ablation import record_extraction_calls
    from emer.data import load_emer_v2_parts
    from emer.llm import make_runner

    runner = make_runner(
        args.backend,
        args.model,
        args.base_url,
        args.cache_dir,
        "read-write",
        args.temperature,
        args.max_tokens,
        args.seed,
        concurrency=args.concurrency,
        batch_size=args.batch_size,
        data_dir=args.data_dir,
        progress=True,
        write_project=args.into_project,
    )
    try:
        parts = load_emer_v2_parts(args.data_dir)
        calls = record_extraction_calls(runner, parts, args.languages, args.combinations, args.limit)
        for language, combination, counts in calls:
            print(f"{runner.label} {language} {combination}: {counts}", flush=True)
    finally:
        runner.cache.close()
    return 0
