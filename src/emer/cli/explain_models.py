"""The ``emer explain --pipeline {emer,direct}`` options and handler (registered by
:mod:`emer.cli.explain`; the pipelines are :mod:`emer.clues.model_pipeline`).

Each stage (vision, audio, text) takes its own backend, model and server; unset, the text stage follows
the vision stage and the vision stage follows ``--backend/--model/--base-url``.
"""

from __future__ import annotations

import argparse
import sys


def add_options(parser: argparse.ArgumentParser) -> None:
    """The model-path flags of ``emer explain``."""
    group = parser.add_argument_group("model pipelines (--pipeline emer | direct)")
    group.add_argument(
        "--pipeline",
        default="cpu",
        choices=["cpu", "emer", "direct"],
        help="cpu: CPU clue extractors + LLM merge (default); emer: the paper's pipeline (vision model, "
        "audio model or prosody reading, text LLM); direct: one multimodal call per clip under S0/S1, "
        "S2 merged",
    )
    for stage, what in (("vision", "frames"), ("text", "subtitle + clues, and the S2 merge")):
        group.add_argument(
            f"--{stage}-backend",
            choices=["openai", "transformers", "offline"],
            help=f"backend reading the {what}",
        )
        group.add_argument(f"--{stage}-model", help=f"model of the {stage} stage")
        group.add_argument(f"--{stage}-base-url", help=f"server of the {stage} stage (openai backend)")
    group.add_argument(
        "--audio-backend",
        default="cpu",
        choices=["cpu", "same", "openai", "transformers"],
        help="cpu: the prosody reading (default); same: the vision model hears the audio too; or a model",
    )
    group.add_argument("--audio-model", help="model of the audio stage")
    group.add_argument(
        "--audio-base-url", help="server of the audio stage (openai backend; default: the vision stage's)"
    )
    group.add_argument(
        "--image-size", type=int, default=448, help="longest side of the JPEG frames sent (default: 448)"
    )
    group.add_argument(
        "--jpeg-quality", type=int, default=85, help="JPEG quality of the frames sent (default: 85)"
    )
    group.add_argument(
        "--audio-seconds", type=float, default=30.0, help="audio sent is cut to this length (default: 30)"
    )
    group.add_argument("--max-tokens", type=int, default=512, help="longest answer, tokens (default: 512)")
    group.add_argument(
        "--temperature", type=float, default=0.0, help="sampling temperature (default: 0, greedy)"
    )
    group.add_argument(
        "--concurrency", type=int, default=8, help="requests in flight per server (default: 8)"
    )
    group.add_argument("--timeout", type=float, default=120.0, help="seconds per request (default: 120)")
    group.add_argument("--retries", type=int, default=2, help="retries of a failed request (default: 2)")
    group.add_argument("--dry-run", action="store_true", help="print what would be sent; call nothing")


def run(args: argparse.Namespace) -> int:
    """The handler of ``emer explain --pipeline emer|direct``."""
    from emer.clues.model_pipeline import ModelSettings, model_stages
    from emer.llm.multimodal import MediaSettings

    if args.frame_rate > 0:
        print(
            "emer: error: the model pipelines send --frames frames per clip (segment centres); "
            "--frame-rate is for --pipeline cpu",
            file=sys.stderr,
        )
        return 2

    vision, audio, text = model_stages(
        args.vision_backend or (args.backend if args.backend != "offline" else "openai"),
        args.vision_model or args.model or "",
        args.vision_base_url or args.base_url or "",
        args.audio_backend,
        args.audio_model or "",
        args.audio_base_url or "",
        args.text_backend or "",
        args.text_model or "",
        args.text_base_url or "",
    )
    settings = ModelSettings(
        MediaSettings(args.frames, args.image_size, args.jpeg_quality, args.audio_seconds),
        args.language,
        args.temperature,
        args.max_tokens,
        timeout_s=args.timeout,
        retries=args.retries,
        concurrency=args.concurrency,
    )
    try:
        table = _run_pipeline(args, vision, audio, text, settings)
    except ValueError as exc:  # a wrong combination of stages or settings
        print(f"emer: error: {exc}", file=sys.stderr)
        return 2
    print(table.to_string(index=False))
    if args.dry_run:
        print(f"dry run: {len(table)} request(s) would be sent first; nothing was called")
        return 0
    names = ["emer"] if args.pipeline == "emer" else ["S0", "S1", "S2"]
    files = ", ".join(f"{args.out}/predictions-{n}.jsonl" for n in names)
    ok = int((table["status"] == "ok").sum())
    print(
        f"{ok}/{len(table)} record(s) ok; records in {args.out}/model/{args.pipeline}; predictions: {files}"
    )
    return 0 if ok == len(table) else 1


def _run_pipeline(args, vision, audio, text, settings):
    from emer.clues.model_pipeline import run_model_explain

    return run_model_explain(
        args.folder,
        args.out,
        args.pipeline,
        vision,
        audio,
        text,
        settings,
        manifest=args.manifest,
        id_column=args.id_column,
        subtitle_column=args.subtitle_column,
        resume=not args.no_resume,
        progress=not args.no_progress,
        cache_dir=args.cache_dir,
        cache_mode=args.cache_mode,
        data_dir=args.data_dir,
        dry=args.dry_run,
    )
