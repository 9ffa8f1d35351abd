"""Bad and unusual clip input: record names, encodings, containers, damage, short audio, resumption,
empty folders, relative output paths and backend checks before the clue stage."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

from emer.cli import main
from emer.clues import pipeline
from emer.clues.media import (
    ManifestWarning,
    MediaError,
    find_clips,
    read_manifest,
    read_subtitle_file,
    write_clip,
)
from emer.clues.pipeline import ClueExtractor, ClueParams, read_record, run_clues

SR = 16000
PARAMS = ClueParams(frames=4, languages=("en",))


def _frames(count: int, level: int = 0) -> list[np.ndarray]:
    """Frames with a moving bright square (so no two decoded frames are identical)."""
    out = []
    for i in range(count):
        image = np.full((48, 64, 3), level, dtype=np.uint8)
        image[10:20, 2 * i % 50 : 2 * i % 50 + 10] = 255 - level
        out.append(image)
    return out


def _tone(seconds: float, hz: float = 220.0) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (0.3 * np.sin(2 * np.pi * hz * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t))).astype(np.float32)


class CountingExtractor(ClueExtractor):
    def __init__(self, params: ClueParams | None = None) -> None:
        super().__init__(params)
        self.seen: list[str] = []

    def process(self, clip, keep_frames: bool = False):
        self.seen.append(clip.clip)
        return super().process(clip, keep_frames)


# ---------------------------------------------------------------------------------------- record names


def test_distinct_names_never_share_a_record(data_dir: Path, tmp_path: Path) -> None:
    media = tmp_path / "media"
    names = ["k a", "k_a", "😀", "😢", "K_A"]
    for index, name in enumerate(names):
        write_clip(media / f"{name}.mp4", _frames(5 + 5 * index, level=40 * index), fps=10)
    out = tmp_path / "out"
    table = run_clues(media, out, PARAMS, progress=False)
    assert sorted(table["clip"]) == sorted(names)
    files = sorted((out / "clips").glob("*.json"))
    assert len(files) == len(names)
    for index, name in enumerate(names):
        record = read_record(pipeline.record_path(out, name))
        assert record["clip"] == name and record["file"] == f"{name}.mp4"
        assert record["duration_s"] == pytest.approx(0.5 + 0.5 * index, abs=0.05)

    args = ["explain", str(media), "--out", str(out), "--strategy", "S0", "--frames", "4"]
    assert main([*args, "--languages", "en", "--no-progress", "--data-dir", str(data_dir)]) == 0
    for index, name in enumerate(names):
        stored = read_record(pipeline.record_path(out, name, "explanations/S0"))
        assert stored["clip"] == name and stored["status"] == "ok"
        assert f"{0.5 + 0.5 * index:.1f}" in stored["explanation"]  # its own clip's duration


def test_clip_ids_that_would_collide_are_refused(tmp_path: Path) -> None:
    for name in ("a.mp4", "a.webm", "a.mp4.mkv"):  # ids a.mp4, a.webm and (stem) a.mp4
        (tmp_path / name).write_bytes(b"x")
    with pytest.raises(MediaError, match="would share the clip id 'a.mp4'"):
        find_clips(tmp_path)


# ------------------------------------------------------------------------------------------- encodings


@pytest.mark.parametrize(
    ("encoding", "text"),
    [
        ("gbk", "我今天很难过，真的。"),
        ("utf-16", "I am so happy, très heureux, 很高兴"),  # with a byte-order mark
        ("utf-16-le", "Hello there, how are you? 你好"),
        ("utf-16-be", "Hi, ça va?"),
        ("cp1252", "Très bien, à bientôt! Ça va, Élodie’s café — 10 €"),
        ("latin-1", "Müller über Straße, naïve façade"),
    ],
)
def test_subtitles_in_other_encodings_are_read(tmp_path: Path, encoding: str, text: str) -> None:
    txt = tmp_path / "clip.txt"
    txt.write_bytes(text.encode(encoding))
    assert read_subtitle_file(txt) == text
    srt = tmp_path / "clip.srt"
    srt.write_bytes(f"1\n00:00:00,000 --> 00:00:02,000\n{text}\n".encode(encoding))
    assert read_subtitle_file(srt) == text


def test_undecidable_or_garbage_text_is_refused(tmp_path: Path) -> None:
    short = tmp_path / "short.txt"
    short.write_bytes("好".encode("gbk"))  # two bytes: GBK "好" or Latin-1 "ºÃ"
    with pytest.raises(MediaError, match=r"short.txt: .*GBK.*Latin-1.*re-save it as UTF-8"):
        read_subtitle_file(short)
    binary = tmp_path / "binary.srt"
    binary.write_bytes(bytes(range(128, 256)) * 2)
    with pytest.raises(MediaError, match="binary.srt: not text in UTF-8, UTF-16, GBK or Latin-1"):
        read_subtitle_file(binary)
    bad_bom = tmp_path / "bad.txt"
    bad_bom.write_bytes(b"\xef\xbb\xbfok \xff\xfe")
    with pytest.raises(MediaError, match="bad.txt: starts with a UTF-8-SIG byte-order mark"):
        read_subtitle_file(bad_bom)


@pytest.mark.parametrize("encoding", ["gbk", "utf-16", "cp1252"])
def test_manifest_in_other_encodings(tmp_path: Path, encoding: str) -> None:
    subtitle = "我今天很难过" if encoding == "gbk" else "Où étais-tu?"
    table = tmp_path / "clips.csv"
    table.write_bytes(f"name,subtitle,sex\nclip,{subtitle},male\n".encode(encoding))
    assert read_manifest(table) == {"clip": {"subtitle": subtitle, "sex": "male"}}


def test_manifest_with_two_rows_for_one_clip_is_refused(tmp_path: Path) -> None:
    table = tmp_path / "clips.csv"
    table.write_text("name,subtitle\nclip,first\nother,x\nclip,second\n", encoding="utf-8")
    with pytest.raises(MediaError, match="clips.csv: clip 'clip' has two different rows"):
        read_manifest(table)


# ------------------------------------------------------------------------------------ folders, containers


def test_every_container_ffmpeg_reads_is_found(tmp_path: Path) -> None:
    names = ["a.m4v", "b.mpg", "c.ts", "d.flv", "e.wmv", "f.3gp", "g.MOV", "h.wav", "i.m4a", "j.mp3"]
    for name in [*names, "notes.md", "k.srt"]:
        (tmp_path / name).write_bytes(b"x")
    assert sorted(c.path.name for c in find_clips(tmp_path)) == names


def test_empty_folder_says_so_and_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(MediaError, match="empty: no clips found"):
        run_clues(empty, tmp_path / "out", PARAMS, progress=False)
    (empty / "readme.md").write_text("no media here")
    assert main(["clues", str(empty), "--out", str(tmp_path / "out"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("emer: error: ") and "no clips found (1 file(s), none of them a media file" in err


def test_audio_only_file_gets_acoustic_clues(tmp_path: Path) -> None:
    import soundfile

    soundfile.write(tmp_path / "voice.wav", _tone(1.0), SR)
    table = run_clues(tmp_path, tmp_path / "out", PARAMS, progress=False)
    row = table.iloc[0]
    assert row["clip"] == "voice" and row["status"] == "partial" and "no_video" in row["flags"]
    assert row["f0_median_hz"] == pytest.approx(220, rel=0.05)


# ------------------------------------------------------------------------------ damage and short audio


def test_truncated_file_is_damaged(tmp_path: Path) -> None:
    whole = write_clip(tmp_path / "whole.mkv", _frames(40), fps=10, audio=_tone(4.0))
    raw = whole.read_bytes()
    (tmp_path / "half.mkv").write_bytes(raw[: len(raw) // 2])
    whole.unlink()
    result = ClueExtractor(ClueParams(frames=8, languages=("en",))).process(find_clips(tmp_path)[0])
    record = result.record
    assert record["status"] == "damaged" and "truncated" in record["flags"]
    assert record["duration_s"] == pytest.approx(4.0, abs=0.1)  # what the container states
    assert "of the 4.0" in record["notes"]["visual"] and "of the 4.0" in record["notes"]["audio"]
    times = [f["time"] for f in record["visual"]["frames"]]
    assert 2 <= len(times) < 8 and len(set(times)) == len(times)  # no frame reused past the end
    assert record["clues"]["en"]["visual"] and record["acoustic"]["f0_median_hz"] > 0


def test_repeated_frames_are_damaged(tmp_path: Path) -> None:
    frames = _frames(5)
    write_clip(tmp_path / "frozen.mp4", frames + [frames[-1]] * 35, fps=10, audio=_tone(4.0))
    write_clip(tmp_path / "moving.mp4", _frames(40), fps=10, audio=_tone(4.0))
    table = run_clues(tmp_path, tmp_path / "out", ClueParams(frames=8, languages=("en",)), progress=False)
    rows = table.set_index("clip")
    assert rows.loc["frozen", "status"] == "damaged" and "repeated_frames" in rows.loc["frozen", "flags"]
    assert rows.loc["moving", "status"] == "partial" and rows.loc["moving", "flags"] == "no_face;no_subtitle"


def test_audio_under_0_3_s_keeps_the_video_clues(tmp_path: Path) -> None:
    write_clip(tmp_path / "blip.mp4", _frames(10), fps=10, audio=_tone(0.2))
    record = ClueExtractor(PARAMS).process(find_clips(tmp_path)[0]).record
    assert record["status"] == "partial" and "short_audio" in record["flags"]
    assert "truncated" not in record["flags"]  # the track itself is short: nothing is missing
    assert "under the 0.3 s" in record["notes"]["acoustic"]
    assert len(record["visual"]["frames"]) == 4
    assert record["clues"]["en"]["visual"].startswith("Visual clues")
    assert record["clues"]["en"]["acoustic"].startswith("Acoustic clues: the audio track is too short (0.2")


# ------------------------------------------------------------------------------------------- resumption


def test_resume_recognises_content_not_name_and_size(tmp_path: Path) -> None:
    media = tmp_path / "media"
    clip = write_clip(media / "clip.mp4", _frames(20), fps=10, audio=_tone(2.0))
    first = CountingExtractor(PARAMS)
    run_clues(media, tmp_path / "out", extractor=first, progress=False)
    assert first.seen == ["clip"]

    raw = bytearray(clip.read_bytes())
    raw[len(raw) // 2] ^= 0xFF  # same name, same size, other content
    clip.write_bytes(bytes(raw))
    again = CountingExtractor(PARAMS)
    run_clues(media, tmp_path / "out", extractor=again, progress=False)
    assert again.seen == ["clip"]
    third = CountingExtractor(PARAMS)
    run_clues(media, tmp_path / "out", extractor=third, progress=False)
    assert third.seen == []
    stored = read_record(pipeline.record_path(tmp_path / "out", "clip"))
    assert stored["file_sha256"] == hashlib.sha256(clip.read_bytes()).hexdigest()


# ------------------------------------------------------------------------ output paths and the backend


def test_relative_out_and_cache_dir_follow_the_working_directory(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_clip(tmp_path / "media" / "clip.mp4", _frames(10), fps=10, audio=_tone(1.0))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    name = f"h3-relative-{os.getpid()}"
    args = ["explain", str(tmp_path / "media"), "--out", name, "--frames", "2", "--languages", "en"]
    args += ["--no-progress", "--data-dir", str(data_dir)]
    root = Path(pipeline.__file__).resolve().parents[3]
    try:
        assert main(args) == 0
        assert (work / name / "llm-cache" / "llm-calls.sqlite").is_file()
        assert main([*args, "--cache-dir", f"{name}-cache"]) == 0
        assert (work / f"{name}-cache" / "llm-calls.sqlite").is_file()
        assert not (root / name).exists() and not (root / f"{name}-cache").exists()
    finally:  # a failing run of the old code wrote into the checkout
        for leftover in (root / name, root / f"{name}-cache"):
            if leftover.exists():
                import shutil

                shutil.rmtree(leftover)


def test_backend_problems_stop_before_the_clue_stage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    write_clip(tmp_path / "media" / "clip.mp4", _frames(10), fps=10, audio=_tone(1.0))
    started: list[str] = []
    monkeypatch.setattr(ClueExtractor, "process", lambda self, clip, keep=False: started.append(clip.clip))
    base = ["explain", str(tmp_path / "media"), "--out", str(tmp_path / "out"), "--no-progress"]

    assert main([*base, "--backend", "openai", "--model", "m"]) == 2
    assert "emer: error: the openai backend needs --base-url" in capsys.readouterr().err

    with socket.socket() as sock:  # a port that nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    assert main([*base, "--backend", "openai", "--model", "m", "--base-url", url]) == 2
    err = capsys.readouterr().err
    assert (
        err.startswith(f"emer: error: the openai backend at {url} does not answer") and err.count("\n") == 1
    )

    monkeypatch.delenv("EMER_DATA_DIR", raising=False)
    assert main([*base, "--data-dir", str(tmp_path / "no-data")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("emer: error: Data file ") and " not found" in err  # first file read
    assert started == []


def test_a_true_record_name_collision_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("a.mp4", "b.mp4"):
        (tmp_path / name).write_bytes(b"x")
    monkeypatch.setattr(pipeline, "record_name", lambda clip: "same")  # as if two hashes collided
    with pytest.raises(MediaError, match="clips 'a' and 'b' share a record name"):
        run_clues(tmp_path, tmp_path / "out", PARAMS, progress=False)


def test_preflight_accepts_a_server_that_answers() -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from emer.clues.explain import preflight_backend

    class NoModels(BaseHTTPRequestHandler):  # answers, but lists no models (404), as some servers do
        def do_GET(self) -> None:
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), NoModels)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        preflight_backend("openai", "m", f"http://127.0.0.1:{server.server_port}/v1")
    finally:
        server.shutdown()
        server.server_close()


# ---------------------------------------------------------------------- links, manifests, output folders


def test_dangling_symlink_is_a_clip_with_an_unreadable_record(tmp_path: Path) -> None:
    media = tmp_path / "media"
    write_clip(media / "good.mp4", _frames(10), fps=10, audio=_tone(1.0))
    (media / "gone.mp4").symlink_to(tmp_path / "moved-away.mp4")
    assert [c.clip for c in find_clips(media)] == ["gone", "good"]
    table = run_clues(media, tmp_path / "out", PARAMS, progress=False)
    gone = read_record(pipeline.record_path(tmp_path / "out", "gone"))
    assert (
        gone["status"] == "unreadable"
        and "symbolic link to" in gone["error"]
        and "moved-away" in gone["error"]
    )
    assert table.set_index("clip").loc["good", "status"] != "unreadable"


def test_manifest_with_an_unterminated_quote_names_the_line(tmp_path: Path) -> None:
    table = tmp_path / "clips.csv"
    table.write_text('name,subtitle\na,"hello\nb,world\nc,again\n', encoding="utf-8")
    with pytest.raises(MediaError, match=r"clips.csv, line 2: not well-formed CSV .*never closed"):
        read_manifest(table)
    table.write_text('name,subtitle\na,"two\nlines"\nb,world\n', encoding="utf-8")  # a quoted newline is fine
    assert read_manifest(table) == {"a": {"subtitle": "two\nlines"}, "b": {"subtitle": "world"}}


def test_manifest_ids_matching_no_clip_are_reported(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    media = tmp_path / "media"
    write_clip(media / "clip_1.mp4", _frames(10), fps=10, audio=_tone(1.0))
    write_clip(media / "clip_2.mp4", _frames(10), fps=10, audio=_tone(1.0))
    table = tmp_path / "clips.csv"
    table.write_text("name,subtitle\nclip_1,hello\nclip-2,typo\nclip_9,extra\n", encoding="utf-8")
    with pytest.warns(
        ManifestWarning, match=r"2 id\(s\) match no clip in .*media, first \['clip-2', 'clip_9'\]"
    ):
        clips = find_clips(media, table)
    assert [c.subtitle for c in clips] == ["hello", None]
    with pytest.warns(ManifestWarning, match="no row for the clip 'clip_2'"):  # one clip: only its row counts
        find_clips(media / "clip_2.mp4", table)
    assert main(["clues", str(media), "--out", str(tmp_path / "out"), "--manifest", str(table)]) == 0
    err = capsys.readouterr().err
    assert "emer: warning: " in err and "match no clip" in err and "Traceback" not in err


def test_out_that_is_a_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    write_clip(tmp_path / "media" / "clip.mp4", _frames(10), fps=10, audio=_tone(1.0))
    taken = tmp_path / "taken"
    taken.write_text("not a folder")
    for command in ("clues", "explain"):
        assert main([command, str(tmp_path / "media"), "--out", str(taken)]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"emer: error: {taken}: --out is a file, not a folder") and err.count("\n") == 1
    with pytest.raises(ValueError, match="lies under .*taken, which is a file"):
        run_clues(tmp_path / "media", taken / "sub", PARAMS, progress=False)
    assert taken.read_text() == "not a folder"
