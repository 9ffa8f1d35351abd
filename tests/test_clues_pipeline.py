"""The clue stage over a folder of clips the test builds: statuses, clue texts, resumption, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from emer.cli import main
from emer.clues import demo, pipeline
from emer.clues.pipeline import (
    ClueExtractor,
    ClueParams,
    clue_table,
    read_record,
    record_path,
    run_clues,
)

SUBTITLE = "I am so happy today. This is wonderful news!"


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Five clips: a face with speech (+ .srt), no face (+ .txt), silence, no audio track, a corrupt file."""
    from skimage import data

    folder = tmp_path_factory.mktemp("media")
    speech = demo.synthesize_speech(SUBTITLE, "en-us+f2")
    seconds = len(speech) / 16000
    demo.make_clip(folder / "face.mp4", seconds=seconds, audio=speech)
    (folder / "face.srt").write_text(demo.srt_text(SUBTITLE, 0.0, seconds), encoding="utf-8")
    demo.make_clip(folder / "noface.mkv", data.coffee(), seconds=2.0, audio=speech[: 2 * 16000])
    (folder / "noface.txt").write_text("我今天很难过。\n", encoding="utf-8")
    demo.make_clip(folder / "silent.webm", seconds=1.5, audio=np.zeros(24000, dtype=np.float32))
    demo.make_clip(folder / "mute.avi", seconds=1.0)
    (folder / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 8)
    return folder


def fake_reading(subtitle: str, space: str, language: str, data_dir=None) -> dict:
    """A stand-in for the subtitle model (tests of the model itself: test_subtitle_model.py)."""
    label = "happy" if "happy" in subtitle else "sad"
    probabilities = {label: 0.7, "neutral": 0.2, "angry": 0.1}
    return {
        "model": f"fake-{space}-{language}",
        "space": space,
        "label": label,
        "probabilities": probabilities,
    }


@pytest.fixture(autouse=True)
def _no_model_fit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "subtitle_reading", fake_reading)


class CountingExtractor(ClueExtractor):
    def __init__(self, params: ClueParams | None = None) -> None:
        super().__init__(params)
        self.seen: list[str] = []

    def process(self, clip, keep_frames: bool = False):
        self.seen.append(clip.clip)
        return super().process(clip, keep_frames)


def test_statuses_flags_and_clues(media: Path, tmp_path: Path) -> None:
    table = run_clues(media, tmp_path, progress=False)
    rows = table.set_index("clip")
    assert list(table["clip"]) == ["broken", "face", "mute", "noface", "silent"]
    assert rows.loc["face", "status"] == "ok" and rows.loc["face", "flags"] == ""
    assert rows.loc["face", "expression"] == "happy" and rows.loc["face", "face_frames"] == 8
    assert rows.loc["noface", "status"] == "partial" and rows.loc["noface", "flags"] == "no_face"
    assert rows.loc["silent", "flags"] == "silent;no_subtitle"
    assert rows.loc["mute", "flags"] == "no_audio;no_subtitle"
    assert rows.loc["broken", "status"] == "unreadable"
    assert (tmp_path / "summary.csv").is_file() and (tmp_path / "summary.md").is_file()

    face = read_record(record_path(tmp_path, "face"))
    en, zh = face["clues"]["en"], face["clues"]["zh"]
    assert "a face is visible in 8 of them" in en["visual"] and "happy" in en["visual"]
    assert "syllables per second" in en["acoustic"]
    assert en["lexical"] == (
        f'Lexical clues: the subtitle says "{SUBTITLE}" By its words alone, the speaker is most likely happy '
        "(70% by a subtitle emotion model fitted on MER2023)."
    )
    assert face["lexical"]["model"] == fake_reading(SUBTITLE, "mer2023", "en")
    assert face["lexical"]["lexicon"] == "NRC"  # the lexicon's reading stays in the record
    assert zh["visual"].startswith("视觉线索") and zh["acoustic"].startswith("音频线索")
    assert face["subtitle_source"] == "face.srt"
    assert set(face["timings"]) >= {"decode_video", "visual", "decode_audio", "acoustic", "lexical", "total"}
    assert face["visual"]["frames"][0]["probs"]["happy"] > 0.9

    noface = read_record(record_path(tmp_path, "noface"))
    assert "No face is detected in any frame" in noface["clues"]["en"]["visual"]
    assert noface["lexical"]["lexicon"] == "DUTIR" and "难过" in noface["clues"]["zh"]["lexical"]
    assert noface["lexical"]["model"]["model"] == "fake-mer2023-zh"  # a Chinese subtitle: the zh model
    assert noface["clues"]["zh"]["lexical"].endswith(
        "说话人最可能感到悲伤（70%，由在MER2023上拟合的字幕情感模型判断）。"
    )
    assert "is silent" in read_record(record_path(tmp_path, "silent"))["clues"]["en"]["acoustic"]
    mute = read_record(record_path(tmp_path, "mute"))
    assert mute["clues"]["en"]["acoustic"] == "Acoustic clues: the file has no audio track."
    assert mute["clues"]["en"]["lexical"] == "Lexical clues: no subtitle is available."
    broken = read_record(record_path(tmp_path, "broken"))
    assert "broken.mp4: not a readable video file" in broken["error"] and broken["clues"] == {}

    long = clue_table([face, noface])
    assert len(long) == 2 * 2 * 3 and set(long["modality"]) == {"visual", "acoustic", "lexical"}


def test_the_lexicon_stays_as_an_option(media: Path, tmp_path: Path) -> None:
    run_clues(media, tmp_path, ClueParams(languages=("en",), lexical="lexicon"), progress=False)
    face = read_record(record_path(tmp_path, "face"))
    lexical = face["clues"]["en"]["lexical"]
    assert lexical.startswith(f'Lexical clues: the subtitle says "{SUBTITLE}"')
    assert 'Emotion words by the NRC Emotion Lexicon: "happy", "wonderful"' in lexical
    assert "model" not in face["lexical"]
    with pytest.raises(ValueError, match="lexical must be one of"):
        ClueExtractor(ClueParams(lexical="nrc"))


def test_resumption_skips_done_clips(media: Path, tmp_path: Path) -> None:
    params = ClueParams(frames=4, languages=("en",))
    first = CountingExtractor(params)
    run_clues(media, tmp_path, extractor=first, progress=False)
    assert sorted(first.seen) == ["broken", "face", "mute", "noface", "silent"]

    again = CountingExtractor(params)
    table = run_clues(media, tmp_path, extractor=again, progress=False)
    assert again.seen == [] and len(table) == 5

    # a half-written record, a changed subtitle and a failed record are redone; nothing else is
    record_path(tmp_path, "mute").write_text("{", encoding="utf-8")
    record = read_record(record_path(tmp_path, "silent"))
    record["status"] = "failed"
    record_path(tmp_path, "silent").write_text(json.dumps(record), encoding="utf-8")
    srt = media / "face.srt"
    original = srt.read_text(encoding="utf-8")
    try:
        srt.write_text(original.replace("wonderful", "terrible"), encoding="utf-8")
        third = CountingExtractor(params)
        run_clues(media, tmp_path, extractor=third, progress=False)
        assert sorted(third.seen) == ["face", "mute", "silent"]
    finally:
        srt.write_text(original, encoding="utf-8")

    # other parameters, or no resumption: everything is redone
    fourth = CountingExtractor(ClueParams(frames=3, languages=("en",)))
    run_clues(media, tmp_path, extractor=fourth, progress=False)
    assert len(fourth.seen) == 5
    fifth = CountingExtractor(ClueParams(frames=3, languages=("en",)))
    run_clues(media, tmp_path, extractor=fifth, resume=False, progress=False)
    assert len(fifth.seen) == 5


def test_cli_clues(media: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = tmp_path / "clips.csv"
    manifest.write_text("name,subtitle,sex\nmute,Where were you?,male\n", encoding="utf-8")
    out = tmp_path / "out"
    code = main(
        ["clues", str(media), "--out", str(out), "--manifest", str(manifest), "--frames", "2"]
        + ["--languages", "en", "--no-progress"]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "5 clip record(s)" in printed and "unreadable" in printed
    mute = read_record(record_path(out, "mute"))
    assert mute["subtitle"] == "Where were you?" and mute["sex"] == "male"
    assert mute["flags"] == ["no_audio"] and list(mute["clues"]) == ["en"]
    assert main(["clues", str(tmp_path / "nowhere"), "--out", str(out)]) == 2
    assert "no such folder" in capsys.readouterr().err
