"""The emer and direct model pipelines end to end against the loopback OpenAI-compatible server.

Checked on what the server received: image count, order (frames get brighter over the clip), MIME type,
size, the audio part (16 kHz mono WAV, capped length), the prompt language, and the S0/S1/S2 differences.
Failure modes (slow, 5xx, malformed JSON, too many images, no audio input) give per-clip statuses; replay
reruns everything with the server stopped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from loopback_server import LoopbackServer

from emer.clues.media import write_clip
from emer.clues.model_pipeline import ModelSettings, Stage, model_record_path, run_model_explain
from emer.llm.multimodal import MediaSettings

SUBTITLE = "We made it, this is the best day of my life!"


@pytest.fixture(scope="module")
def server() -> Iterator[LoopbackServer]:
    chat = LoopbackServer(max_images=4, slow_s=1.0).start()
    yield chat
    chat.stop()


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> Path:
    """Two 2 s clips whose frames get brighter over time, with a tone; the first has a subtitle."""
    folder = tmp_path_factory.mktemp("clips")
    rate = 16000
    for index, name in enumerate(["clip_a", "clip_b"]):
        frames = []
        for i in range(20):
            frame = np.full((240, 320, 3), 20 + 10 * i, np.uint8)
            frame[100:140, 140:180] = 200 - 5 * index
            frames.append(frame)
        t = np.arange(2 * rate) / rate
        audio = (0.3 * np.sin(2 * np.pi * (180 + 40 * index) * t)).astype(np.float32)
        write_clip(folder / f"{name}.mp4", frames, 10, audio, rate)
    (folder / "clip_a.txt").write_text(SUBTITLE, encoding="utf-8")
    return folder


def _settings(frames: int = 4, **options) -> ModelSettings:
    media = MediaSettings(frames=frames, image_size=128, audio_seconds=options.pop("audio_seconds", 30.0))
    options = {"timeout_s": 5.0, "retries": 1, "backoff_s": 0.01, "concurrency": 4, **options}
    return ModelSettings(media, **options)


def _run(server, clips, out, pipeline, model="normal", audio="cpu", text_model="normal", **options):
    vision = Stage("openai", model, server.base_url)
    text = Stage("openai", text_model, server.base_url)
    audio_stage = Stage(audio, model if audio != "cpu" else "", server.base_url if audio != "cpu" else "")
    settings = options.pop("settings", None) or _settings()
    return run_model_explain(
        clips, out, pipeline, vision, audio_stage, text, settings, progress=False, **options
    )


def _predictions(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_direct_pipeline_sends_frames_in_order_and_writes_scorable_files(server, clips, tmp_path) -> None:
    server.seen.clear()
    table = _run(server, clips, tmp_path, "direct", audio="same")
    assert sorted(zip(table["clip"], table["setting"], strict=True)) == [
        (c, s) for c in ("clip_a", "clip_b") for s in ("S0", "S1", "S2")
    ]
    assert set(table["status"]) == {"ok"}
    described = server.received("normal", "Describe the emotion clues")
    assert len(described) == 3  # S0 of two clips, S1 of clip_a (clip_b has no subtitle: S1 = S0, cached)
    for request in described:
        images = [p for p in request["parts"] if p["type"] == "image_url"]
        assert len(images) == 4 and {p["mime"] for p in images} == {"image/jpeg"}
        assert {(p["width"], p["height"]) for p in images} == {(128, 96)}
        brightness = [p["brightness"] for p in images]
        assert brightness == sorted(brightness) and brightness[-1] - brightness[0] > 50  # time order
        assert request["parts"][0]["type"] == "text"
        (audio,) = [p for p in request["parts"] if p["type"] == "input_audio"]
        assert (audio["format"], audio["rate"], audio["channels"], audio["sample_width"]) == (
            "wav",
            16000,
            1,
            2,
        )
        assert abs(audio["seconds"] - 2.0) < 0.1 and request["language"] == "en"
    with_subtitle = [r for r in described if SUBTITLE in r["text"]]
    assert len(with_subtitle) == 1  # S1 of clip_a only (clip_b has no subtitle)
    merges = server.received("normal", "Clue description:")
    assert len(merges) == 2 and all(not r["parts"] for r in merges)  # S2: text only, after S0
    assert any(SUBTITLE in r["text"] and "smiles widely" in r["text"] for r in merges)
    for setting in ("S0", "S1", "S2"):
        rows = _predictions(tmp_path / f"predictions-{setting}.jsonl")
        assert [r["name"] for r in rows] == ["clip_a", "clip_b"] and all(r["description"] for r in rows)
    assert "what she says is cheerful" in _predictions(tmp_path / "predictions-S1.jsonl")[0]["description"]
    record = json.loads(model_record_path(tmp_path, "direct", "S1", "clip_a").read_text())
    assert record["payload"]["images"] == 4 and record["payload"]["audio_parts"] == 1
    assert record["frame_times"] == sorted(record["frame_times"]) and record["timings"]["media"] > 0
    assert (tmp_path / "model/direct/summary.csv").is_file()

    # a rerun resumes: nothing is asked again
    count = len(server.seen)
    again = _run(server, clips, tmp_path, "direct", audio="same")
    assert len(server.seen) == count and set(again["status"]) == {"ok"}


def test_emer_pipeline_chains_the_stages_in_the_gold_shape(server, clips, tmp_path) -> None:
    server.seen.clear()
    table = _run(server, clips, tmp_path, "emer", audio="same")
    assert list(table["setting"]) == ["emer", "emer"] and set(table["status"]) == {"ok"}
    visual = server.received("normal", "Do not say who the person is")
    assert len(visual) == 2 and all(sum(p["type"] == "image_url" for p in r["parts"]) == 4 for r in visual)
    assert all(not any(p["type"] == "input_audio" for p in r["parts"]) for r in visual)
    acoustic = server.received("normal", "Do not transcribe")
    assert len(acoustic) == 2 and all(
        [p["type"] for p in r["parts"]] == ["text", "input_audio"] for r in acoustic
    )
    lexical = server.received("normal", "Explain which words of the subtitle")
    assert len(lexical) == 2 and any(SUBTITLE in r["text"] for r in lexical)
    assert all("smiles widely" in r["text"] and "rising pitch" in r["text"] for r in lexical)
    (first, second) = _predictions(tmp_path / "predictions-emer.jsonl")
    for row in (first, second):
        text = row["description"]
        assert text.startswith("In the video, the woman looks calm")
        assert text.index("In the audio, her voice") < text.index("In the text, the words")


def test_emer_pipeline_in_chinese_with_the_cpu_prosody_reading(server, clips, tmp_path) -> None:
    server.seen.clear()
    settings = _settings(language="zh")
    table = _run(server, clips, tmp_path, "emer", settings=settings)
    assert set(table["status"]) == {"ok"}
    assert not any(p["type"] == "input_audio" for r in server.seen for p in r["parts"])  # no audio sent
    assert {r["language"] for r in server.seen} == {"zh"}
    lexical = [r for r in server.seen if "音频线索：" in r["text"]]
    assert len(lexical) == 2 and all("赫兹" in r["text"] for r in lexical)  # the prosody reading's numbers
    for row in _predictions(tmp_path / "predictions-emer.jsonl"):
        text = row["description"]
        assert (
            text.startswith("在视频中，")
            and "；在音频中，" in text
            and "；在文本中，" in text
            and text.endswith("；")
        )


def test_direct_s0_s1_s2_without_audio_differ_as_the_paper_says(server, clips, tmp_path) -> None:
    server.seen.clear()
    _run(server, clips, tmp_path, "direct")
    described = server.received("normal", "Describe the emotion clues")
    assert not any(p["type"] == "input_audio" for r in described for p in r["parts"])
    s0, s1, s2 = (
        _predictions(tmp_path / f"predictions-{s}.jsonl")[0]["description"] for s in ("S0", "S1", "S2")
    )
    assert "what she says" not in s0 and "what she says" in s1 and s2 != s0


def test_server_failures_become_per_clip_statuses(server, clips, tmp_path) -> None:
    table = _run(
        server, clips, tmp_path / "limit", "direct", model="limit", text_model="limit", settings=_settings(6)
    )
    assert set(table["status"]) == {"limit: too many images"}
    record = json.loads(model_record_path(tmp_path / "limit", "direct", "S0", "clip_a").read_text())
    assert "At most 4 image(s)" in record["error"] and "--frames" in record["error"]
    listed = _predictions(tmp_path / "limit/predictions-S0.jsonl")  # listed as failed, never as empties
    assert {(r["status"], r["labels"], r["description"]) for r in listed} == {
        ("limit: too many images", None, "")
    }
    ok = _run(
        server, clips, tmp_path / "limit", "direct", model="limit", text_model="limit", settings=_settings(4)
    )
    assert set(ok["status"]) == {"ok"}  # fewer frames: accepted

    noaudio = _run(
        server, clips, tmp_path / "noaudio", "emer", model="noaudio", audio="same", text_model="normal"
    )
    assert set(noaudio["status"]) == {"limit: unsupported modality"}

    slow = _run(
        server, clips, tmp_path / "slow", "direct", model="slow", settings=_settings(timeout_s=0.3, retries=0)
    )
    assert set(slow["status"]) == {"describe failed"}
    record = json.loads(model_record_path(tmp_path / "slow", "direct", "S0", "clip_a").read_text())
    assert "Timeout" in record["error"]

    flaky = _run(server, clips, tmp_path / "flaky", "direct", model="flaky", text_model="flaky")
    assert set(flaky["status"]) == {"ok"}  # 503 once, then answered on the retry

    for model in ("error500", "badjson"):
        failed = _run(server, clips, tmp_path / model, "emer", model=model, text_model="normal")
        assert set(failed["status"]) == {"visual failed"}
        error = json.loads(model_record_path(tmp_path / model, "emer", "emer", "clip_b").read_text())["error"]
        assert ("HTTP 500" if model == "error500" else "malformed") in error


def test_replay_needs_no_server(clips, tmp_path) -> None:
    chat = LoopbackServer().start()
    first = _run(chat, clips, tmp_path, "direct", audio="same")
    emer = _run(chat, clips, tmp_path, "emer", audio="same")
    before = {s: _predictions(tmp_path / f"predictions-{s}.jsonl") for s in ("S0", "S1", "S2", "emer")}
    chat.stop()
    again = _run(chat, clips, tmp_path, "direct", audio="same", cache_mode="replay", resume=False)
    emer_again = _run(chat, clips, tmp_path, "emer", audio="same", cache_mode="replay", resume=False)
    assert list(again["status"]) == list(first["status"]) and again["cached"].all()
    assert list(emer_again["status"]) == list(emer["status"]) and emer_again["cached"].all()
    assert {s: _predictions(tmp_path / f"predictions-{s}.jsonl") for s in before} == before


def test_dry_run_calls_nothing(server, clips, tmp_path, capsys) -> None:
    server.seen.clear()
    table = _run(server, clips, tmp_path, "direct", audio="same", dry=True)
    assert not server.seen and not (tmp_path / "predictions-S0.jsonl").exists()
    assert list(table["images"]) == [4, 4, 4, 4] and (table["audio_bytes"] > 60000).all()
    printed = capsys.readouterr().out
    assert "S0 prompt" in printed and "Describe the emotion clues" in printed


def test_bad_clips_get_statuses_and_the_audio_is_capped(server, tmp_path) -> None:
    folder = tmp_path / "mixed"
    frames = [np.full((120, 160, 3), 30 + 7 * i, np.uint8) for i in range(30)]
    tone = (0.3 * np.sin(2 * np.pi * 200 * np.arange(3 * 16000) / 16000)).astype(np.float32)
    write_clip(folder / "long.mp4", frames, 10, tone, 16000)
    write_clip(folder / "silent_film.mp4", frames, 10, None)
    (folder / "broken.mp4").write_bytes(b"not a video at all")
    server.seen.clear()
    table = _run(
        server, folder, tmp_path / "out", "emer", audio="same", settings=_settings(audio_seconds=1.0)
    )
    status = dict(zip(table["clip"], table["status"], strict=True))
    assert status == {"broken": "unreadable", "long": "ok", "silent_film": "ok"}
    (heard,) = [p for r in server.received("normal", "Do not transcribe") for p in r["parts"][1:]]
    assert abs(heard["seconds"] - 1.0) < 0.01  # 3 s of audio, capped at 1 s
    lines = (tmp_path / "out/predictions-emer.jsonl").read_text().splitlines()
    rows = {json.loads(x)["name"]: json.loads(x) for x in lines}
    assert {n: r["status"] for n, r in rows.items()} == status  # the broken clip listed as such
    assert "no audio track" in rows["silent_film"]["description"] and rows["broken"]["description"] == ""
    broken = json.loads(model_record_path(tmp_path / "out", "emer", "emer", "broken").read_text())
    assert "broken.mp4" in broken["error"] and broken["flags"] == ["unreadable", "no_subtitle"]


def test_model_records_of_distinct_clip_names_never_collide(tmp_path):
    names = ["k a", "k_a", "K_A", "😀", "😃"]
    paths = {model_record_path(tmp_path, "direct", "S0", name) for name in names}
    assert len(paths) == len(names)
    assert all(p.parent == tmp_path / "model" / "direct" / "S0" for p in paths)
