"""Explanations of clips by multimodal models: the paper's pipeline and the MLLM baselines.

- ``emer``: the frames to a vision model (visual clue), the audio to an audio-capable model or to the
  CPU prosody reading (acoustic clue), then the subtitle read with both clues by a text LLM (lexical clue
  and inference); the three are joined as "In the video, … In the audio, … In the text, …" (or
  ``在视频中…；在音频中…；在文本中…；``). One setting, ``emer``.
- ``direct``: one multimodal call per clip describing it and inferring the emotional state, under S0 (no
  subtitle) and S1 (subtitle in the prompt); S2 merges the S0 answer with the subtitle by the text LLM.

Each stage names its own backend (``openai``: any OpenAI-compatible server; ``transformers``: a local
model; the audio stage also ``cpu``: the prosody reading, or ``same``: the vision model hears the audio
too). Every call goes through the call cache (payloads keyed by their sha256), so a run replays with no
server and no model. Outputs under ``<out>``: ``model/<pipeline>/<setting>/<clip>.json`` (status,
description, stage answers, payload sizes, timings), ``model/<pipeline>/summary.csv`` and
``predictions-<setting>.jsonl`` (``{"name", "description"}`` per clip whose status is ok), which
``emer score`` reads.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from emer.clues.media import (
    Clip,
    MediaError,
    NoStreamError,
    find_clips,
    probe,
    read_audio,
    read_frames,
    sample_times,
)
from emer.clues.pipeline import file_sha256, read_record, record_path, write_json
from emer.llm import clip_prompts
from emer.llm.backends import GenerationSettings, Request
from emer.llm.multimodal import (
    LIMIT_ADVICE,
    MediaSettings,
    encode_jpeg,
    encode_wav,
    payload_summary,
    server_limit,
)

PIPELINES = ("cpu", "emer", "direct")
DIRECT_SETTINGS = ("S0", "S1", "S2")
STAGE_BACKENDS = ("openai", "transformers", "offline")
AUDIO_BACKENDS = ("cpu", "same", "openai", "transformers")
#: Bumped whenever the records would change for the same inputs (the prompts are in the cache keys).
MODEL_PIPELINE_VERSION = "model-1"
SUMMARY_COLUMNS = [
    "clip",
    "setting",
    "status",
    "images",
    "image_kb",
    "audio_kb",
    "request_kb",
    "description_chars",
    "cached",
    "media_s",
    "model_s",
    "error",
]


@dataclass(frozen=True)
class Stage:
    """Where one stage's calls go: a backend kind, a model name and (openai) a server address."""

    backend: str = "openai"
    model: str = ""
    base_url: str = ""

    def identity(self) -> str:
        return (
            f"{self.backend}:{self.model}@{self.base_url}"
            if self.base_url
            else f"{self.backend}:{self.model}"
        )


def model_stages(
    vision_backend: str = "openai",
    vision_model: str = "",
    vision_base_url: str = "",
    audio_backend: str = "cpu",
    audio_model: str = "",
    audio_base_url: str = "",
    text_backend: str = "",
    text_model: str = "",
    text_base_url: str = "",
) -> tuple[Stage, Stage, Stage]:
    """(vision, audio, text) stages from flags or notebook parameters: an audio model's server and the
    whole text stage default to the vision stage's; ``cpu`` and ``same`` audio stages take no model."""
    vision = Stage(vision_backend, vision_model, vision_base_url)
    if audio_backend in ("cpu", "same"):
        audio = Stage(audio_backend)
    else:
        audio = Stage(audio_backend, audio_model, audio_base_url or vision_base_url)
    text = Stage(text_backend or vision_backend, text_model or vision_model, text_base_url or vision_base_url)
    return vision, audio, text


@dataclass(frozen=True)
class ModelSettings:
    """Everything that decides what is sent (media, language, generation) and how (timeouts, concurrency)."""

    media: MediaSettings = field(default_factory=MediaSettings)
    language: str = "en"
    temperature: float = 0.0
    max_tokens: int = 512
    seed: int = 0
    timeout_s: float = 120.0
    retries: int = 2
    backoff_s: float = 2.0  # first retry delay, doubled each retry
    concurrency: int = 8
    chunk: int = 32  # clips whose media are held in memory at once

    def fingerprint(self) -> dict[str, Any]:
        return {
            "version": MODEL_PIPELINE_VERSION,
            "media": asdict(self.media),
            "language": self.language,
            "generation": GenerationSettings(self.temperature, self.max_tokens, self.seed).key(),
        }


@dataclass
class ClipMedia:
    """The payloads of one clip: JPEG frames in time order, WAV audio, the raw audio for the CPU reading."""

    clip: Clip
    times: list[float] = field(default_factory=list)
    frames: list[bytes] = field(default_factory=list)
    wav: bytes | None = None
    audio: np.ndarray | None = None
    duration: float = 0.0
    flags: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def load_clip_media(clip: Clip, media: MediaSettings) -> ClipMedia:
    """Decode the sampled frames and the audio of ``clip`` and encode them as request payloads.

    Missing streams and decoding errors become flags (``no_video``, ``video_error``, ``no_audio``,
    ``audio_error``, ``unreadable``) with the message in ``errors``; nothing raises for a bad clip.
    """
    out = ClipMedia(clip)
    tick = time.perf_counter()
    try:
        info = probe(clip.path)
    except MediaError as exc:
        out.flags.append("unreadable")
        out.errors["file"] = str(exc)
        return out
    out.duration = info.duration
    try:
        times, frames = read_frames(clip.path, sample_times(info.duration, media.frames, 0.0, media.frames))
        out.seconds["decode_video"] = time.perf_counter() - tick
        tick = time.perf_counter()
        out.times = [round(float(t), 3) for t in times]
        out.frames = [encode_jpeg(f, media.image_size, media.jpeg_quality) for f in frames]
        out.seconds["encode_jpeg"] = time.perf_counter() - tick
    except NoStreamError:
        out.flags.append("no_video")
    except MediaError as exc:
        out.flags.append("video_error")
        out.errors["video"] = str(exc)
    tick = time.perf_counter()
    try:
        audio = read_audio(clip.path, media.sample_rate)
        out.seconds["decode_audio"] = time.perf_counter() - tick
        tick = time.perf_counter()
        out.audio = audio
        if media.audio_seconds > 0 and audio.size:
            out.wav = encode_wav(audio[: int(media.audio_seconds * media.sample_rate)], media.sample_rate)
        out.seconds["encode_wav"] = time.perf_counter() - tick
    except NoStreamError:
        out.flags.append("no_audio")
    except MediaError as exc:
        out.flags.append("audio_error")
        out.errors["audio"] = str(exc)
    return out


# --- runners ----------------------------------------------------------------------------------------------
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


def _runner(backend, cache, settings: ModelSettings, progress: bool):
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


def _text(answer: str) -> str:
    from emer.llm.parsing import parse_merged

    return parse_merged(answer, min_chars=8)


def _stage_result(outcome) -> dict[str, Any]:
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


# --- the two pipelines ------------------------------------------------------------------------------------
class ModelPipeline:
    """Builds the requests of a pipeline for a chunk of clips and runs them stage by stage."""

    def __init__(
        self,
        pipeline: str,
        vision: Stage,
        audio: Stage,
        text: Stage,
        settings: ModelSettings,
        cache,
        progress: bool = False,
        data_dir=None,
    ) -> None:
        if pipeline not in ("emer", "direct"):
            raise ValueError(f"model pipeline must be emer or direct, not {pipeline!r}")
        if audio.backend not in AUDIO_BACKENDS:
            raise ValueError(f"audio backend must be one of {AUDIO_BACKENDS}, not {audio.backend!r}")
        if pipeline == "direct" and audio.backend not in ("cpu", "same"):
            raise ValueError(
                "the direct pipeline makes one call per clip: use --audio-backend same (the vision model "
                "hears the audio too) or cpu (frames only)"
            )
        self.pipeline, self.settings, self.progress = pipeline, settings, progress
        self.stages = {"vision": vision, "audio": audio, "text": text}
        self.cache, self.data_dir = cache, data_dir
        self._runners: dict[str, Any] = {}

    @property
    def settings_names(self) -> tuple[str, ...]:
        return ("emer",) if self.pipeline == "emer" else DIRECT_SETTINGS

    @property
    def sends_audio(self) -> bool:
        return self.stages["audio"].backend != "cpu"

    def identity(self) -> dict[str, Any]:
        """What decides a record: stages, pipeline, settings (a stored record is reused when equal)."""
        stages = {k: v.identity() for k, v in self.stages.items()}
        return {"pipeline": self.pipeline, "stages": stages, **self.settings.fingerprint()}

    def runner(self, name: str):
        if name not in self._runners:
            stage = self.stages[
                "vision" if name == "audio" and self.stages["audio"].backend == "same" else name
            ]
            media = name in ("vision", "audio")
            self._runners[name] = _runner(
                stage_backend(stage, self.settings, media, self.data_dir),
                self.cache,
                self.settings,
                self.progress,
            )
        return self._runners[name]

    # -- requests -------------------------------------------------------------------------------------
    def first_requests(self, media: Sequence[ClipMedia]) -> dict[str, list[Request]]:
        """The requests that need no earlier answer, per stage/setting (what --dry-run shows)."""
        lang = self.settings.language
        with_frames = [m for m in media if m.frames]
        if self.pipeline == "direct":
            audio = self.sends_audio
            return {
                setting: [
                    Request(
                        "describe_clip",
                        m.clip.clip,
                        clip_prompts.describe_clip(
                            m.frames,
                            m.wav if audio else None,
                            m.clip.subtitle if setting == "S1" else None,
                            lang,
                        ),
                        {"setting": setting},
                    )
                    for m in with_frames
                ]
                for setting in ("S0", "S1")
            }
        requests = {
            "visual": [
                Request("visual_clue", m.clip.clip, clip_prompts.visual_clue(m.frames, lang))
                for m in with_frames
            ]
        }
        if self.sends_audio:
            requests["acoustic"] = [
                Request("acoustic_clue", m.clip.clip, clip_prompts.acoustic_clue(m.wav, lang))
                for m in media
                if m.wav is not None
            ]
        return requests

    def run(self, media: Sequence[ClipMedia]) -> dict[str, dict[str, dict]]:
        """``{setting: {clip: record part}}`` for a chunk of clips."""
        return self._direct(media) if self.pipeline == "direct" else self._emer(media)

    def _run(self, runner_name: str, requests: list[Request]) -> dict[str, dict]:
        if not requests:
            return {}
        outcomes = self.runner(runner_name).run(requests, _text)
        return {o.sample: _stage_result(o) for o in outcomes}

    def _direct(self, media: Sequence[ClipMedia]) -> dict[str, dict[str, dict]]:
        first = self.first_requests(media)
        results = {s: {"describe": self._run("vision", first[s])} for s in ("S0", "S1")}
        s0_ok = {c: r["text"] for c, r in results["S0"]["describe"].items() if r["status"] == "ok"}
        subtitles = {m.clip.clip: m.clip.subtitle or "" for m in media}
        merged = self._merge(s0_ok, subtitles)
        out: dict[str, dict[str, dict]] = {s: {} for s in DIRECT_SETTINGS}
        for m in media:
            clip = m.clip.clip
            for setting in ("S0", "S1"):
                stage = results[setting]["describe"].get(clip)
                out[setting][clip] = _part(m, {"describe": stage}, stage["text"] if stage else "", "describe")
            stages = {"describe": results["S0"]["describe"].get(clip), "merge": merged.get(clip)}
            text = merged[clip]["text"] if clip in merged else ""
            out["S2"][clip] = _part(m, stages, text, "merge" if clip in merged else "describe")
        return out

    def _merge(self, descriptions: dict[str, str], subtitles: dict[str, str]) -> dict[str, dict]:
        from emer.llm.tasks import merge_clues

        if not descriptions:
            return {}
        frame = pd.DataFrame(
            {
                "sample": list(descriptions),
                "description": list(descriptions.values()),
                "subtitle": [subtitles.get(c, "") for c in descriptions],
                "language": self.settings.language,
            }
        )
        merged = merge_clues(self.runner("text"), frame)
        return {
            row.sample: {
                "status": row.status,
                "text": row.merged if row.status == "ok" else "",
                "answer": row.answer,
                "error": row.error,
                "cached": bool(row.cached),
                "seconds": 0.0,
            }
            for row in merged.itertuples(index=False)
        }

    def _emer(self, media: Sequence[ClipMedia]) -> dict[str, dict[str, dict]]:
        lang = self.settings.language
        first = self.first_requests(media)
        visual = self._run("vision", first["visual"])
        acoustic = self._run("audio", first["acoustic"]) if self.sends_audio else self._cpu_acoustic(media)
        stages_by_clip: dict[str, dict] = {}
        texts: list[Request] = []
        for m in media:
            clip = m.clip.clip
            v = visual.get(clip) or _missing("visual", m, lang)
            a = acoustic.get(clip) or _missing("acoustic", m, lang)
            stages_by_clip[clip] = {"visual": v, "acoustic": a}
            if (
                v["status"] == "ok"
                and a["status"] == "ok"
                and (m.frames or m.wav is not None or m.audio is not None)
            ):
                messages = clip_prompts.lexical_clue(v["text"], a["text"], m.clip.subtitle, lang)
                texts.append(Request("lexical_clue", clip, messages))
        lexical = self._run("text", texts)
        out: dict[str, dict] = {}
        for m in media:
            clip = m.clip.clip
            stages = stages_by_clip[clip]
            description = ""
            if clip in lexical:
                stages["lexical"] = lexical[clip]
                if lexical[clip]["status"] == "ok":
                    description = clip_prompts.compose_description(
                        stages["visual"]["text"], stages["acoustic"]["text"], lexical[clip]["text"], lang
                    )
            out[clip] = _part(m, stages, description, "lexical" if clip in lexical else None)
        return {"emer": out}

    def _cpu_acoustic(self, media: Sequence[ClipMedia]) -> dict[str, dict]:
        from emer.clues.acoustic import AcousticParams, acoustic_clue, read_acoustic

        params = AcousticParams(sample_rate=self.settings.media.sample_rate)
        out = {}
        for m in media:
            if m.audio is None:
                continue
            tick = time.perf_counter()
            text = acoustic_clue(read_acoustic(m.audio, params), self.settings.language, m.clip.sex)
            out[m.clip.clip] = {
                "status": "ok",
                "text": text,
                "answer": "",
                "error": "",
                "cached": False,
                "seconds": time.perf_counter() - tick,
                "backend": "cpu:prosody",
            }
        return out


def _missing(stage: str, m: ClipMedia, language: str) -> dict:
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


def _part(m: ClipMedia, stages: dict[str, dict | None], description: str, last: str | None) -> dict:
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


# --- the command ------------------------------------------------------------------------------------------
def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, prefix=f".{path.name}.") as tmp:
        tmp.write(text.encode("utf-8"))
    os.replace(tmp.name, path)


def model_record_path(out_dir: Path, pipeline: str, setting: str, clip: str) -> Path:
    """The record of one clip and setting: named like the CPU pipeline's (distinct clip ids never share
    a record, see :func:`emer.clues.pipeline.record_name`)."""
    return record_path(out_dir, clip, kind=f"model/{pipeline}/{setting}")


def write_predictions(records: Sequence[dict], path: Path) -> int:
    """``{"name", "description"}`` lines for the records whose status is ok, sorted by name; their count."""
    rows = sorted((r for r in records if r["status"] == "ok"), key=lambda r: r["clip"])
    text = "".join(
        json.dumps({"name": r["clip"], "description": r["description"]}, ensure_ascii=False) + "\n"
        for r in rows
    )
    _write_text(path, text)
    return len(rows)


def read_predictions(path: str | Path) -> pd.DataFrame:
    """A ``predictions-<setting>.jsonl`` file as a table (name, description)."""
    rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    return pd.DataFrame(rows, columns=["name", "description"])


def _summary_row(record: dict) -> dict:
    payload = record.get("payload") or {}
    timings = record.get("timings") or {}
    return {
        "clip": record["clip"],
        "setting": record["setting"],
        "status": record["status"],
        "images": payload.get("images", 0),
        "image_kb": round(payload.get("image_bytes", 0) / 1024, 1),
        "audio_kb": round(payload.get("audio_bytes", 0) / 1024, 1),
        "request_kb": round(payload.get("request_bytes", 0) / 1024, 1),
        "description_chars": len(record.get("description") or ""),
        "cached": bool(record.get("cached")),
        "media_s": round(float(timings.get("media", 0.0)), 3),
        "model_s": round(float(timings.get("model", 0.0)), 3),
        "error": (record.get("error") or "")[:200],
    }


def dry_run(pipeline: ModelPipeline, clips: Sequence[Clip], stream=None) -> pd.DataFrame:
    """What would be sent, per clip and first stage: images, bytes, audio, prompt; nothing is called."""
    stream = stream or sys.stdout
    rows, shown = [], set()
    for clip in clips:
        media = load_clip_media(clip, pipeline.settings.media)
        requests = pipeline.first_requests([media])
        for stage, batch in requests.items():
            for request in batch:
                rows.append({"clip": clip.clip, "stage": stage, **payload_summary(request.messages)})
                if stage not in shown:
                    shown.add(stage)
                    from emer.llm.multimodal import message_text

                    print(
                        f"--- {stage} prompt ({request.task}, {clip.clip}) ---\n"
                        + message_text(request.messages),
                        file=stream,
                    )
        if not any(requests.values()):
            rows.append(
                {
                    "clip": clip.clip,
                    "stage": "-",
                    "images": 0,
                    "image_bytes": 0,
                    "audio_parts": 0,
                    "audio_bytes": 0,
                    "request_bytes": 0,
                }
            )
    later = {
        "emer": "lexical_clue (text LLM) after the visual and acoustic answers",
        "direct": "S2 merge (text LLM) after the S0 answer",
    }[pipeline.pipeline]
    print(f"--- then: {later} ---", file=stream)
    return pd.DataFrame(rows)


def run_model_explain(
    media_dir: str | Path,
    out_dir: str | Path,
    pipeline: str,
    vision: Stage,
    audio: Stage = Stage("cpu"),
    text: Stage | None = None,
    settings: ModelSettings | None = None,
    manifest: str | Path | None = None,
    id_column: str = "name",
    subtitle_column: str = "subtitle",
    resume: bool = True,
    progress: bool = True,
    cache_dir: str | Path | None = None,
    cache_mode: str = "read-write",
    data_dir: str | Path | None = None,
    dry: bool = False,
) -> pd.DataFrame:
    """Run ``pipeline`` (emer | direct) over a folder of clips; returns the summary table.

    ``text`` defaults to the vision stage (a multimodal server also answers text prompts). With
    ``resume``, a clip whose records exist for the same file, subtitle, stages and settings is not
    loaded again (the call cache makes any rerun cheap anyway). ``dry``: print what would be sent.
    """
    from emer.llm.cache import open_cache

    settings = settings or ModelSettings()
    out_dir = Path(out_dir).resolve()  # relative paths are the working directory's, never the checkout's
    cache_dir = Path(cache_dir).resolve() if cache_dir else None
    clips = find_clips(media_dir, manifest, id_column, subtitle_column)
    text = text or vision
    if dry:
        chosen = ModelPipeline(pipeline, vision, audio, text, settings, None, progress, data_dir)
        return dry_run(chosen, clips)
    cache = open_cache(cache_dir or out_dir / "llm-cache", cache_mode)
    chosen = ModelPipeline(pipeline, vision, audio, text, settings, cache, progress, data_dir)
    identity = chosen.identity()
    records: list[dict] = []
    try:
        todo: list[tuple[Clip, str]] = []
        for clip in clips:
            digest = file_sha256(clip.path) if clip.path.is_file() else ""
            stored = [
                read_record(model_record_path(out_dir, pipeline, s, clip.clip)) for s in chosen.settings_names
            ]
            if resume and all(
                r is not None
                and r.get("status") == "ok"
                and r.get("identity") == identity
                and r.get("file_sha256") == digest
                and r.get("subtitle") == clip.subtitle
                for r in stored
            ):
                records += stored
            else:
                todo.append((clip, digest))
        bar = _progress(len(todo), progress, f"emer explain --pipeline {pipeline}")
        for start in range(0, len(todo), max(1, settings.chunk)):
            chunk = todo[start : start + settings.chunk]
            media = []
            for clip, _ in chunk:
                tick = time.perf_counter()
                loaded = load_clip_media(clip, settings.media)
                loaded.seconds["media"] = time.perf_counter() - tick
                media.append(loaded)
            results = chosen.run(media)
            for (clip, digest), m in zip(chunk, media, strict=True):
                requests = chosen.first_requests([m])
                for setting in chosen.settings_names:
                    part = results[setting][clip.clip]
                    first = requests.get("S0" if setting == "S2" else setting) or requests.get("visual") or []
                    sent = first[0].messages if first else ()
                    if pipeline == "emer" and requests.get("acoustic"):
                        sent = (*sent, *requests["acoustic"][0].messages)
                    record = {
                        "clip": clip.clip,
                        "file": clip.path.name,
                        "file_sha256": digest,
                        "pipeline": pipeline,
                        "setting": setting,
                        **part,
                        "subtitle": clip.subtitle,
                        "language": settings.language,
                        "flags": m.flags + ([] if clip.subtitle else ["no_subtitle"]),
                        "frame_times": m.times,
                        "payload": payload_summary(sent) if sent else {},
                        "identity": identity,
                        "timings": {
                            "media": round(m.seconds.get("media", 0.0), 3),
                            "model": part["model_s"],
                            **{k: round(v, 3) for k, v in m.seconds.items() if k != "media"},
                        },
                    }
                    write_json(model_record_path(out_dir, pipeline, setting, clip.clip), record)
                    records.append(record)
                bar.update(1)
        bar.close()
    finally:
        if cache is not None:
            cache.close()
    records.sort(key=lambda r: (r["clip"], r["setting"]))
    for setting in chosen.settings_names:
        write_predictions(
            [r for r in records if r["setting"] == setting], out_dir / f"predictions-{setting}.jsonl"
        )
    table = pd.DataFrame([_summary_row(r) for r in records], columns=SUMMARY_COLUMNS)
    path = out_dir / "model" / pipeline / "summary.csv"
    _write_text(path, table.to_csv(index=False, lineterminator="\n"))
    return table


def _progress(total: int, enabled: bool, description: str):
    from tqdm import tqdm

    return tqdm(
        total=total, disable=not enabled or total == 0, desc=description, unit="clip", file=sys.stderr
    )
