"""Record the LLM calls of the modality ablation for one backend, so notebook 03 can replay them.

    python -m emer.llm --backend transformers --model smollm2 --max-tokens 48 --combinations V+A+T

Calls already recorded are not made again (an interrupted run resumes). With the default ``--cache-dir``
(the project's ``outputs/cache``) the calls go to the user's own cache (``$EMER_CACHE_DIR/llm``), which
notebook 03 reads too; ``--into-project`` records them into the committed ``outputs/cache/llm-calls.sqlite``
instead (for the project's maintainers, when the recorded calls change). The settings that enter the cache
key (backend, model, temperature, max tokens and, when sampling, the seed) must equal those of the
``cached_backends`` entry in ``params/03_ablate_modalities.yaml``.
"""

from __future__ import annotations

import argparse
import sys

from emer.analysis.ablation import COMBINATIONS, modality_texts
from emer.analysis.subset import take_samples
from emer.data import load_emer_v2_parts
from emer.llm.session import make_runner
from emer.llm.tasks import extract_ov_labels


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emer.llm", description=__doc__.split("\n\n")[0])
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
    args = parser.parse_args(argv)
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
    parts = take_samples(load_emer_v2_parts(args.data_dir), args.limit)
    try:
        for language in args.languages:
            for combination in args.combinations:
                result = extract_ov_labels(runner, modality_texts(parts, combination, language))
                counts = result["status"].value_counts().to_dict()
                print(f"{runner.label} {language} {combination}: {counts}", flush=True)
    finally:
        runner.cache.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
