"""One stage of a model pipeline: its backend and runner, and its answers as record parts (with the status
that decides a clip's record)."""

from __future__ import annotations

from typing import Any

from emer.clues.model_pipeline.payloads import ClipMedia
from emer.clues.model_pipeline.settings import STAGE_BACKENDS, ModelSettings, Stage
from emer.llm.backends import GenerationSettings
from emer.llm.multimodal import LIMIT_ADVICE, server_limit


def stage_backend(stage: Stage, settings: ModelSettings, media_model: bool, data_dir=None):
    """The backend of one stage; ``media_model``: the stage sends images/audio (a local model then
    needs its processor)."""
    from emer.llm.backends import OpenAIBackend, TransformersBackend

    if stage.backend == "openai":
        return OpenAIBackend(stage.base_url, stage.model, settings.concurrency)
    if stage.backend == "transformers":
        from emer.llm.local_multimodal import MultimodalTransformersBackend, is_multimodal_folder

        # the same identity (folder name) either way: recorded calls replay with the model absent
        if media_model or is_multimodal_folder(stage.model):
            return MultimodalTransformersBackend(stage.model)
        return TransformersBackend(stage.model)
    if stage.backend == "offline" and not media_model:
        from emer.llm.offline import OfflineBackend

        return OfflineBackend(data_dir=data_dir)
    raise ValueError(
        f"stage backend must be one of {STAGE_BACKENDS} (offline: text stages only), not {stage.backend!r}"
    )


def stage_runner(backend, cache, settings: ModelSettings, progress: bool):
    """The call runner of one stage: its backend, the shared call cache, the generation and run settings."""
    from emer.llm.runner import LLMRunner, RunSettings

    return LLMRunner(
        backend,
        cache,
        GenerationSettings(settings.temperature, settings.max_tokens, settings.seed),
        RunSettings(
            settings.timeout_s,
            settings.retries,
            settings.backoff_s,
            concurrency=settings.concurrency,
            progress=progress,
        ),
    )


def answer_text(answer: str) -> str:
    """A stage's answer as clue text (:func:`emer.llm.parsing.parse_merged`, 8 characters at least)."""
    from emer.llm.parsing import parse_merged

    return parse_merged(answer, min_chars=8)


def stage_result(outcome) -> dict[str, Any]:
    """A stage's outcome as a record part; server limits get a status that names them."""
    status, error = outcome.status, outcome.error
    if status == "failed":
        limit = server_limit(error)
        if limit:
            status, error = f"limit: {limit}", f"{error} ({LIMIT_ADVICE[limit]})"
    seconds = outcome.provenance.get("seconds", 0.0) if not outcome.cached else 0.0
    return {
        "status": status,
        "text": outcome.value if outcome.status == "ok" else "",
        "answer": outcome.answer,
        "error": error,
        "cached": bool(outcome.cached),
        "seconds": float(seconds or 0.0),
    }


def missing_stage(stage: str, m: ClipMedia, language: str) -> dict:
    """A stage with no input: a fixed sentence for a missing stream, else the reason it was not asked."""
    zh = language == "zh"
    if stage == "visual" and {"no_video", "video_error"} & set(m.flags) and m.audio is not None:
        text = "文件没有可读的视频画面。" if zh else "the file has no readable video, so nothing can be seen."
        return {"status": "ok", "text": text, "answer": "", "error": "", "cached": False, "seconds": 0.0}
    if stage == "acoustic" and {"no_audio", "audio_error"} & set(m.flags) and m.frames:
        text = "文件没有音轨。" if zh else "the file has no audio track, so the voice cannot be read."
        return {"status": "ok", "text": text, "answer": "", "error": "", "cached": False, "seconds": 0.0}
    reason = "; ".join(m.errors.values()) or ", ".join(m.flags) or "no input"
    return {"status": "skipped", "text": "", "answer": "", "error": reason, "cached": False, "seconds": 0.0}


def setting_result(m: ClipMedia, stages: dict[str, dict | None], description: str, last: str | None) -> dict:
    """The per-clip result of one setting: the first stage that is not ok decides the status."""
    stages = {k: v for k, v in stages.items() if v is not None}
    status, error = "ok", ""
    if not description:
        bad = next(((k, v) for k, v in stages.items() if v["status"] != "ok"), None)
        if "unreadable" in m.flags or not (m.frames or m.audio is not None):
            status, error = "unreadable", "; ".join(m.errors.values()) or "no video or audio stream"
        elif bad is not None:
            status = (
                bad[1]["status"] if bad[1]["status"].startswith("limit") else f"{bad[0]} {bad[1]['status']}"
            )
            error = bad[1]["error"]
        else:
            status, error = "skipped", f"{last or 'model'} stage not reached"
    return {
        "status": status,
        "description": description,
        "error": error,
        "stages": stages,
        "cached": bool(stages) and all(v.get("cached") for v in stages.values() if v.get("answer")),
        "model_s": round(sum(float(v.get("seconds") or 0.0) for v in stages.values()), 3),
    }
