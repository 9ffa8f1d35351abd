"""The emer lmms-eval tasks without lmms-eval: the YAML files against the catalogue, the config, the
documents and the media check, what a model is sent, and the aggregation against ``emer score``.
(test_lmms_eval_e2e.py runs the real lmms-eval command line in .venv-lmms.)"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from lmms_clips import make_clips, write_config

from emer.data import load_mer2023_transcripts
from emer.data.datasets import load_dataset
from emer.llm.clip_prompts import describe_clip_text
from emer.llm.multimodal import decode_wav
from emer.lmms_tasks import include_path
from emer.lmms_tasks.catalog import GROUP, TASKS, unibench_tasks
from emer.lmms_tasks.config import ConfigError, DatasetMedia, RunConfig, read_config
from emer.lmms_tasks.documents import MediaCheckError, build_documents
from emer.lmms_tasks.requests import clip_payload, doc_to_messages, doc_to_text, doc_to_visual
from emer.lmms_tasks.scoring import aggregator, process_results
from emer.scoring import score


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_constructor("!function", lambda loader, node: ("function", loader.construct_scalar(node)))


def _yaml(path: Path) -> dict:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 (SafeLoader subclass)


@pytest.fixture(autouse=True)
def _no_user_settings(monkeypatch) -> None:
    """The user's own EMER_LMMS_* settings never reach these tests."""
    for name in [n for n in os.environ if n.startswith("EMER_LMMS_")]:
        monkeypatch.delenv(name)


@pytest.fixture(scope="module")
def ovmerd_names(data_dir) -> list[str]:
    return load_dataset("ovmerd", data_dir, baselines=False).samples[:3]


@pytest.fixture()
def configured(tmp_path, monkeypatch, data_dir, ovmerd_names):
    """A config with three OV-MERD clips, named by EMER_LMMS_CONFIG."""
    path = write_config(tmp_path, {"ovmerd": ovmerd_names}, scoring={"baselines": False, "n_boot": 50})
    monkeypatch.setenv("EMER_LMMS_CONFIG", str(path))
    return path


# --- the task files --------------------------------------------------------------------------------------
def test_every_task_has_its_yaml_and_hooks() -> None:
    folder = include_path()
    utils = (folder / "utils.py").read_text(encoding="utf-8")
    found = {}
    for path in sorted(folder.glob("*.yaml")):
        config = _yaml(path)
        found[config.get("task") if isinstance(config.get("task"), str) else config["group"]] = config
    assert set(found) == {*TASKS, GROUP}
    for name, spec in TASKS.items():
        config = found[name]
        assert config["include"] == "_default_template_yaml"
        assert config["process_docs"] == ("function", f"utils.docs_{name}")
        assert [m["metric"] for m in config["metric_list"]] == list(spec.metrics)
        for metric in config["metric_list"]:
            assert metric["aggregation"] == ("function", f"utils.{metric['metric']}")
            assert f'{metric["metric"]} = hooks.aggregator("{metric["metric"]}")' in utils
        assert f'docs_{name} = hooks.documents_of("{name}")' in utils
    assert found[GROUP]["task"] == [t.task for t in unibench_tasks()]
    template = _yaml(folder / "_default_template_yaml")
    assert (folder / template["dataset_kwargs"]["data_files"]["test"]).is_file()
    assert template["metadata"]["lmms_eval"] == "0.7.3"


def test_command_prints_the_include_path_last(configured) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "emer", "lmms-tasks", "--check", "emer_ovmerd_s0"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [str(include_path())]
    assert "emer_ovmerd_s0: 3 documents" in done.stderr


# --- config ----------------------------------------------------------------------------------------------
def test_config_paths_are_relative_to_the_file_and_errors_name_the_key(tmp_path, monkeypatch) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("frames: 4\ndatasets:\n  meld:\n    videos: v\n    labels: l.csv\n", encoding="utf-8")
    config = read_config(path)
    assert config.frames == 4 and config.dataset("meld").videos == tmp_path / "v"
    monkeypatch.setenv("EMER_LMMS_VIDEOS_MELD", "/elsewhere")
    assert config.dataset("meld").videos == Path("/elsewhere")
    assert config.dataset("meld").labels == tmp_path / "l.csv"
    for text, words in [
        ("frame: 4\n", "unknown keys ['frame']"),
        ("frames: four\n", "frames: expected int"),
        ("audio: 1\n", "audio: expected bool"),
        ("datasets:\n  meld:\n    video: v\n", "datasets.meld: unknown keys ['video']"),
        ("language: fr\n", "language must be en or zh"),
    ]:
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError, match="c.yaml") as error:
            read_config(path)
        assert words in str(error.value)


def test_unknown_scoring_keys_name_the_config(tmp_path) -> None:
    from emer.lmms_tasks.catalog import get_task
    from emer.lmms_tasks.scoring import score_options

    path = tmp_path / "c.yaml"
    path.write_text("scoring:\n  backend: offline\n  extractor: selector\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"c.yaml: scoring: unknown keys \['extractor'\]"):
        score_options(get_task("emer_ovmerd_s0"), read_config(path), tmp_path)
    path.write_text("scoring:\n  metrics: ew,sets\n  n_boot: 10\n", encoding="utf-8")
    options = score_options(get_task("emer_ovmerd_s0"), read_config(path), tmp_path)
    assert options["metrics"] == ("ew", "sets") and options["n_boot"] == 10


# --- documents and the media check ----------------------------------------------------------------------
def test_documents_carry_video_and_the_mer2023_subtitle(configured, data_dir, ovmerd_names) -> None:
    docs = build_documents("emer_ovmerd_s1", data_dir=data_dir)
    assert [d["name"] for d in docs] == ovmerd_names
    english = dict(zip(*load_mer2023_transcripts(data_dir)[["sample", "en"]].T.values, strict=True))
    assert [d["subtitle"] for d in docs] == [english[n] for n in ovmerd_names]
    assert all(Path(d["video"]).is_file() and d["strategy"] == "S1" for d in docs)
    assert all(d["subtitle"] == "" for d in build_documents("emer_ovmerd_s0", data_dir=data_dir))


def test_missing_and_unreadable_videos_give_one_message(tmp_path, data_dir, ovmerd_names) -> None:
    names = load_dataset("ovmerd", data_dir, baselines=False).samples
    make_clips(tmp_path / "videos", names[:2])
    (tmp_path / "videos" / f"{names[2]}.mp4").write_bytes(b"not a video")
    config = RunConfig(datasets={"ovmerd": DatasetMedia(videos=tmp_path / "videos")})
    with pytest.raises(MediaCheckError) as error:
        build_documents("emer_ovmerd_s0", config, data_dir)
    message = str(error.value)
    assert message.startswith("OV-MERD (EMER-v2): 330 of 332 videos cannot be used")
    assert f"329 missing, first: {', '.join(names[3:8])}" in message
    assert f"1 unreadable, first: {names[2]} (" in message
    assert "EMER_LMMS_VIDEOS_OVMERD" in message


def test_datasets_without_public_subtitles_or_labels_say_what_to_give(tmp_path, data_dir) -> None:
    config = RunConfig(datasets={"cmumosei": DatasetMedia(videos=tmp_path)})
    with pytest.raises(MediaCheckError, match="CMU-MOSEI transcript is not in the public data"):
        build_documents("emer_unibench_cmumosei", config, data_dir)
    with pytest.raises(MediaCheckError, match=r"not public.*datasets.mer2024.labels"):
        build_documents("emer_unibench_mer2024", RunConfig(), data_dir)


# --- what is sent ----------------------------------------------------------------------------------------
def test_chat_messages_are_the_study_prompt_with_frames_in_order(configured, data_dir) -> None:
    s0, s1 = (build_documents(t, data_dir=data_dir)[0] for t in ("emer_ovmerd_s0", "emer_ovmerd_s1"))
    messages = doc_to_messages(s1)
    system, text = describe_clip_text(8, False, s1["subtitle"], "en")
    assert messages[0] == {"role": "system", "content": [{"type": "text", "text": system}]}
    content = messages[1]["content"]
    assert content[0] == {"type": "text", "text": text} and s1["subtitle"] in text
    frames = [Path(c["url"]) for c in content[1:]]
    assert [c["type"] for c in content[1:]] == ["image"] * 8
    assert [p.name for p in frames] == [f"frame-{i:02d}.jpg" for i in range(8)]
    from PIL import Image

    shades = [Image.open(p).convert("L").getpixel((5, 5)) for p in frames]
    assert shades == sorted(shades) and shades[0] < shades[-1]  # time order: the clip brightens
    assert "subtitle" not in doc_to_messages(s0)[1]["content"][0]["text"]
    assert doc_to_text(s0) == "\n\n".join(describe_clip_text(8, False, None, "en"))
    visuals = doc_to_visual(s0)
    assert len(visuals) == 8 and visuals[0].size == (320, 240)


def test_audio_is_sent_when_asked_and_the_media_cache_follows_the_settings(
    tmp_path, monkeypatch, data_dir, ovmerd_names
) -> None:
    path = write_config(tmp_path, {"ovmerd": ovmerd_names[:1]}, audio=True, frames=4)
    monkeypatch.setenv("EMER_LMMS_CONFIG", str(path))
    doc = build_documents("emer_ovmerd_s0", data_dir=data_dir)[0]
    content = doc_to_messages(doc)[1]["content"]
    assert [c["type"] for c in content] == ["text", *["image"] * 4, "audio"]
    assert "audio track follows" in content[0]["text"]
    wav = base64.b64decode(content[-1]["url"].removeprefix("data:audio/wav;base64,"))
    samples, rate = decode_wav(wav)
    assert rate == 16000 and abs(samples.size / rate - 2.0) < 0.1  # the 2 s tone, 16 kHz mono
    assert isinstance(doc_to_visual(doc)[-1], str) and doc_to_visual(doc)[-1].endswith("audio.wav")
    record = tmp_path / "cache" / "ovmerd" / doc["name"] / "source.json"
    stamp = record.stat().st_mtime_ns
    clip_payload(doc)
    assert record.stat().st_mtime_ns == stamp  # reused
    changed = read_config(path)
    payload = clip_payload(doc, RunConfig(**{**changed.__dict__, "frames": 2}))
    assert len(payload.frames) == 2 and json.loads(record.read_text())["source"]["frames"] == 2


# --- scoring ---------------------------------------------------------------------------------------------
def test_aggregation_equals_emer_score_on_the_predictions_it_wrote(configured, data_dir, tmp_path) -> None:
    docs = build_documents("emer_ovmerd_s0", data_dir=data_dir)
    answers = [
        "In the video, she smiles widely and laughs; she is happy and excited.",
        "In the video, he frowns and clenches his fists; he seems angry.",
        "[LMMS_EVAL_REQUEST_FAILED after 5 retries] Connection refused",
    ]
    items = [process_results(d, [a])["m_avg"] for d, a in zip(docs, answers, strict=True)]
    assert items[0]["description"] == answers[0]
    predictions = Path(aggregator("predictions")(items))
    assert predictions == tmp_path / "out" / "model" / "emer_ovmerd_s0" / "predictions.jsonl"
    written = [json.loads(line) for line in predictions.read_text(encoding="utf-8").splitlines()]
    assert written == [{"name": d["name"], "description": a} for d, a in zip(docs[:2], answers, strict=False)]
    card = score(
        str(predictions), "ovmerd", data_dir=data_dir, metrics=("ew", "sets", "hitrate"),
        subset="given", baselines=False, n_boot=50,
    )  # fmt: skip
    result = card.submitted[0]
    assert aggregator("m_avg")(items) == result.value("M-avg") > 0
    assert aggregator("w3_l2")(items) == result.value("W3-L2")
    assert aggregator("signature")(items) == card.signature
    assert (predictions.parent / "scorecard" / "scorecard.json").is_file()
