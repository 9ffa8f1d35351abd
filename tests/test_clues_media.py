"""Media input: subtitles, clip discovery, sampling, decoding of every supported container."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from emer.clues.media import (
    MediaError,
    NoStreamError,
    find_clips,
    probe,
    read_audio,
    read_frames,
    read_subtitle_file,
    sample_times,
    write_clip,
)


def _gray_frames(count: int, size: tuple[int, int] = (64, 48)) -> list[np.ndarray]:
    """Frame i is a flat grey of level 10 * i, so a decoded frame tells its own index."""
    return [np.full((size[1], size[0], 3), 10 * i, dtype=np.uint8) for i in range(count)]


def test_srt_and_txt_subtitles(tmp_path: Path) -> None:
    srt = tmp_path / "a.srt"
    srt.write_text(
        "\ufeff1\n00:00:00,000 --> 00:00:01,500\n<i>Hello</i> there,\n\n2\n00:00:01.600 --> 00:00:03,000\n"
        "how are you?\n",
        encoding="utf-8",
    )
    assert read_subtitle_file(srt) == "Hello there, how are you?"
    zh = tmp_path / "b.srt"
    zh.write_text("1\n00:00:00,000 --> 00:00:01,000\n我很高兴\n\n2\n00:00:01,000 --> 00:00:02,000\n见到你\n")
    assert read_subtitle_file(zh) == "我很高兴见到你"
    txt = tmp_path / "c.txt"
    txt.write_text("  first line\nsecond line \n\n")
    assert read_subtitle_file(txt) == "first line second line"


def test_sample_times_count_rate_and_cap() -> None:
    assert np.allclose(sample_times(8.0, count=4), [1.0, 3.0, 5.0, 7.0])
    assert len(sample_times(10.0, rate=2.0)) == 20
    assert len(sample_times(100.0, rate=2.0, max_frames=16)) == 16
    assert list(sample_times(0.0)) == [0.0]  # unknown duration: the first frame


def test_find_clips_subtitle_sources(tmp_path: Path) -> None:
    for name in ("b.mp4", "a.webm", "c.mkv", "d.avi", "notes.md", "a.mp4"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "b.srt").write_text("1\n00:00:00,000 --> 00:00:01,000\nfrom srt\n")
    (tmp_path / "c.txt").write_text("from txt\n")
    (tmp_path / "d.txt").write_text("sidecar loses to the table\n")
    manifest = tmp_path / "clips.csv"
    manifest.write_text("name,subtitle,sex\nd,from table,Female\nb,,male\n", encoding="utf-8")
    clips = {c.clip: c for c in find_clips(tmp_path, manifest)}
    assert sorted(clips) == ["a.mp4", "a.webm", "b", "c", "d"]  # shared stem -> full file name
    assert clips["b"].subtitle == "from srt" and clips["b"].sex == "male"
    assert clips["c"].subtitle == "from txt" and clips["c"].subtitle_source == "c.txt"
    assert clips["d"].subtitle == "from table" and clips["d"].sex == "female"
    assert clips["a.mp4"].subtitle is None and clips["a.mp4"].subtitle_source == ""
    with pytest.raises(MediaError, match="no such folder"):
        find_clips(tmp_path / "missing")
    bad = tmp_path / "bad.csv"
    bad.write_text("id,text\nb,x\n")
    with pytest.raises(MediaError, match="--id-column"):
        find_clips(tmp_path, bad)


@pytest.mark.parametrize("ext", [".mp4", ".webm", ".avi", ".mkv", ".mov", ".m4v", ".ts", ".flv"])
def test_write_then_read_every_container(tmp_path: Path, ext: str) -> None:
    tone = 0.3 * np.sin(2 * np.pi * 220 * np.arange(16000) / 16000).astype(np.float32)
    path = write_clip(tmp_path / f"clip{ext}", _gray_frames(20), fps=10, audio=tone)
    info = probe(path)
    assert info.has_video and info.has_audio and (info.width, info.height) == (64, 48)
    assert info.duration == pytest.approx(2.0, abs=0.25)  # FLV states the end time: 2.2 s
    times, frames = read_frames(path, sample_times(info.duration, count=4))
    assert len(frames) == 4 and frames[0].shape == (48, 64, 3)
    # the frame nearest to each sampling time is taken: its grey level tells its index
    levels = [round(float(f.mean()) / 10) for f in frames]
    assert levels == [round(t * 10) for t in times]
    audio = read_audio(path)
    assert len(audio) == pytest.approx(16000, rel=0.1)
    assert 0.2 < float(np.abs(audio).max()) < 0.4


def test_missing_streams_and_corrupt_files(tmp_path: Path) -> None:
    silent_video = write_clip(tmp_path / "video_only.mp4", _gray_frames(5), fps=10)
    assert not probe(silent_video).has_audio
    with pytest.raises(NoStreamError, match="no audio track"):
        read_audio(silent_video)
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(np.random.default_rng(0).integers(0, 256, 4000, dtype=np.uint8).tobytes())
    with pytest.raises(MediaError, match="corrupt.mp4: not a readable video file"):
        probe(corrupt)
    with pytest.raises(MediaError, match="file not found"):
        probe(tmp_path / "nothing.mp4")


def test_frames_are_decoded_at_the_size_they_are_used_at(tmp_path: Path) -> None:
    """max_side shrinks each picked frame as it is decoded, to the bits of shrinking the full-size frame;
    the model pipeline's JPEG payloads (hence its cache keys) are those of the full-size frames."""
    from emer.clues.demo import camera_frames, portrait
    from emer.clues.model_pipeline.payloads import load_clip_media
    from emer.clues.pipeline import ClueParams
    from emer.llm.multimodal import MediaSettings, encode_jpeg, resize_longest

    path = write_clip(tmp_path / "wide.mp4", camera_frames(portrait(), 10, size=(960, 544)), fps=10)
    times = sample_times(probe(path).duration, count=4)
    _, full = read_frames(path, times)
    _, small = read_frames(path, times, max_side=300)
    assert full[0].shape == (544, 960, 3) and small[0].shape == (170, 300, 3)
    assert all(np.array_equal(s, resize_longest(f, 300)) for s, f in zip(small, full, strict=True))
    assert all(
        np.array_equal(a, b) for a, b in zip(read_frames(path, times, max_side=2000)[1], full, strict=True)
    )
    settings = MediaSettings(frames=4, image_size=448)
    sent = load_clip_media(find_clips(path)[0], settings).frames
    assert sent == [encode_jpeg(f, 448, settings.jpeg_quality) for f in full]
    assert ClueParams().max_side == 1280
