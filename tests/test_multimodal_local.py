"""The local transformers path: tiny randomly initialised multimodal models built from configs in the
test (no weights downloaded), with their processors and chat templates; replay with the models absent."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from tiny_multimodal import build_tiny_llava, build_tiny_qwen2_audio

from emer.clues.media import write_clip
from emer.clues.model_pipeline import ModelSettings, Stage, model_record_path, run_model_explain
from emer.llm import GenerationSettings, Request
from emer.llm.clip_prompts import describe_clip
from emer.llm.local_multimodal import MultimodalTransformersBackend
from emer.llm.multimodal import MediaSettings, encode_jpeg

pytest.importorskip("torch")


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("models")
    return {
        "vision": build_tiny_llava(root / "tiny-llava"),
        "audio": build_tiny_qwen2_audio(root / "tiny-audio"),
    }


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("clips")
    t = np.arange(16000) / 16000
    for index in range(2):
        frames = [np.full((120, 160, 3), 40 + 20 * i + 5 * index, np.uint8) for i in range(10)]
        write_clip(
            folder / f"clip{index}.mp4", frames, 10, (0.3 * np.sin(2 * np.pi * 200 * t)).astype(np.float32)
        )
    (folder / "clip0.txt").write_text("I passed the exam!", encoding="utf-8")
    return folder


SETTINGS = ModelSettings(MediaSettings(frames=3, image_size=64), max_tokens=12, retries=0)


def _run(clips, out, pipeline, vision, audio, text, **options):
    return run_model_explain(clips, out, pipeline, vision, audio, text, SETTINGS, progress=False, **options)


def test_the_model_class_and_the_template_come_from_the_folder(models) -> None:
    vision, audio = (
        MultimodalTransformersBackend(str(models["vision"])),
        MultimodalTransformersBackend(str(models["audio"])),
    )
    frames = [encode_jpeg(np.full((60, 80, 3), 30 * i, np.uint8)) for i in range(3)]
    request = Request("describe_clip", "c", describe_clip(frames, None, None))
    prompt = vision.prompt_text(request)
    assert prompt.count("<image>") >= 3 and prompt.endswith("<|assistant|>") and "<|system|>" in prompt
    answer = vision.complete(request, GenerationSettings(max_tokens=6), 30)
    assert answer.provenance["model_class"] == "LlavaForConditionalGeneration"
    assert answer.provenance["images"] == 3 and answer.provenance["finish_reason"] == "length"
    assert (vision.sees, vision.hears) == (True, False)
    audio.load()
    assert audio.model_class == "Qwen2AudioForConditionalGeneration" and (audio.sees, audio.hears) == (
        False,
        True,
    )


def test_local_pipelines_run_and_replay_with_the_models_absent(models, clips, tmp_path) -> None:
    vision = Stage("transformers", str(models["vision"]))
    hearing = Stage("transformers", str(models["audio"]))
    direct = _run(clips, tmp_path, "direct", vision, Stage("cpu"), vision)
    assert set(direct["status"]) == {"ok"} and len(direct) == 6
    emer = _run(clips, tmp_path, "emer", vision, hearing, vision)
    assert set(emer["status"]) == {"ok"}
    record = json.loads(model_record_path(tmp_path, "emer", "emer", "clip0").read_text())
    assert record["stages"]["acoustic"]["answer"] and record["description"].startswith("In the video, ")
    deaf = _run(clips, tmp_path / "deaf", "emer", vision, Stage("same"), vision)
    assert set(deaf["status"]) == {"limit: unsupported modality"}  # LLaVA hears nothing: named, no crash

    before = {s: (tmp_path / f"predictions-{s}.jsonl").read_text() for s in ("S0", "S1", "S2", "emer")}
    for folder in models.values():  # the models are gone
        shutil.rmtree(folder)
    replay = {"cache_mode": "replay", "resume": False}
    assert set(_run(clips, tmp_path, "direct", vision, Stage("cpu"), vision, **replay)["status"]) == {"ok"}
    assert set(_run(clips, tmp_path, "emer", vision, hearing, vision, **replay)["status"]) == {"ok"}
    assert {s: (tmp_path / f"predictions-{s}.jsonl").read_text() for s in before} == before
