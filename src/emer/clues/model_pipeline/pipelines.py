"""The two model pipelines: ``emer`` (vision, audio and text stages, joined in the gold shape) and ``direct``
(one multimodal call per clip under S0/S1, S2 merged by the text LLM)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import pandas as pd

from emer.clues.model_pipeline.payloads import ClipMedia
from emer.clues.model_pipeline.settings import AUDIO_BACKENDS, DIRECT_SETTINGS, ModelSettings, Stage
from emer.clues.model_pipeline.stages import (
    answer_text,
    missing_stage,
    setting_result,
    stage_backend,
    stage_result,
    stage_runner,
)
from emer.llm import clip_prompts
from emer.llm.backends import Request


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
            self._runners[name] = stage_runner(
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
        outcomes = self.runner(runner_name).run(requests, answer_text)
        return {o.sample: stage_result(o) for o in outcomes}

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
                out[setting][clip] = setting_result(
                    m, {"describe": stage}, stage["text"] if stage else "", "describe"
                )
            stages = {"describe": results["S0"]["describe"].get(clip), "merge": merged.get(clip)}
            text = merged[clip]["text"] if clip in merged else ""
            out["S2"][clip] = setting_result(m, stages, text, "merge" if clip in merged else "describe")
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
            v = visual.get(clip) or missing_stage("visual", m, lang)
            a = acoustic.get(clip) or missing_stage("acoustic", m, lang)
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
            out[clip] = setting_result(m, stages, description, "lexical" if clip in lexical else None)
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
