"""Media input: find clips in a folder, read their subtitles, decode sampled frames and the audio track.

Decoding goes through PyAV (FFmpeg's libraries, shipped inside the ``av`` wheel). Errors raise
:class:`MediaError` naming the file and what to do; the pipeline turns them into per-clip statuses.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

VIDEO_EXTENSIONS = (".mp4", ".avi", ".mkv", ".webm", ".mov")
SUBTITLE_EXTENSIONS = (".srt", ".txt")


class MediaError(RuntimeError):
    """A clip cannot be read (missing, corrupt, or without the stream asked for)."""


class MissingDependencyError(RuntimeError):
    """A package or program the clue extractors need is not installed (the message says which)."""


class NoStreamError(MediaError):
    """The file decodes but has no stream of the kind asked for (no video, or no audio track)."""


@dataclass(frozen=True)
class Clip:
    """One input clip: ``clip`` is its id (the file stem), ``subtitle`` None when there is none."""

    clip: str
    path: Path
    subtitle: str | None = None
    subtitle_source: str = ""
    sex: str | None = None


@dataclass(frozen=True)
class MediaInfo:
    """What the container says about a clip."""

    duration: float
    has_video: bool
    has_audio: bool
    width: int = 0
    height: int = 0
    fps: float = 0.0


# --------------------------------------------------------------------------------------------- subtitles

_SRT_TIME = re.compile(r"^\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}\s*-->")
_TAG = re.compile(r"<[^>]+>|\{\\[^}]*\}")


def read_subtitle_file(path: str | Path) -> str:
    """The text of a ``.srt`` (cue numbers, times and tags dropped, cues joined) or ``.txt`` file."""
    path = Path(path)
    raw = path.read_bytes()
    text = raw.decode("utf-8-sig", errors="replace")
    if path.suffix.lower() != ".srt":
        return " ".join(line.strip() for line in text.splitlines() if line.strip())
    lines = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.isdigit() or _SRT_TIME.match(line):
            continue
        lines.append(_TAG.sub("", line).strip())
    return _join_cues([x for x in lines if x])


def _join_cues(lines: list[str]) -> str:
    """Join cue lines with a space between Latin words and nothing between CJK characters."""
    out = ""
    for line in lines:
        if out and not (_is_cjk(out[-1]) or _is_cjk(line[0])):
            out += " "
        out += line
    return out


def _is_cjk(ch: str) -> bool:
    return "\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef"


def read_manifest(
    path: str | Path, id_column: str = "name", subtitle_column: str = "subtitle", sex_column: str = "sex"
) -> dict[str, dict[str, str]]:
    """``{clip id: {"subtitle": ..., "sex": ...}}`` from a CSV table with an id column and a subtitle
    column, a speaker-sex column (``male``/``female``), or both; empty cells are left out."""
    path = Path(path)
    if not path.is_file():
        raise MediaError(f"{path}: clip table not found")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        columns = reader.fieldnames or []
        if id_column not in columns or not {subtitle_column, sex_column} & set(columns):
            raise MediaError(
                f"{path}: the clip table needs an id column {id_column!r} and a subtitle column "
                f"{subtitle_column!r} or a sex column {sex_column!r} (it has {columns}); "
                "name them with --id-column / --subtitle-column"
            )
        table: dict[str, dict[str, str]] = {}
        for row in reader:
            entry = {}
            subtitle = (row.get(subtitle_column) or "").strip()
            sex = (row.get(sex_column) or "").strip().lower()
            if subtitle:
                entry["subtitle"] = subtitle
            if sex in ("male", "female"):
                entry["sex"] = sex
            table[(row[id_column] or "").strip()] = entry
        return table


def find_clips(
    folder: str | Path,
    manifest: str | Path | None = None,
    id_column: str = "name",
    subtitle_column: str = "subtitle",
) -> list[Clip]:
    """The video files directly in ``folder`` (sorted by name), each with its subtitle.

    The subtitle comes from the CSV table ``manifest`` (:func:`read_manifest`, which may also give the
    speaker's sex) when it has one for the clip, else from a sidecar ``<stem>.srt`` or ``<stem>.txt``
    beside the video, else it is None. A single video file may be given instead of a folder. Clip ids
    are file stems (the full file name where two files share a stem).
    """
    folder = Path(folder)
    if folder.is_file():
        files = [folder]
    elif folder.is_dir():
        files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in VIDEO_EXTENSIONS)
    else:
        raise MediaError(f"{folder}: no such folder or video file")
    table = read_manifest(manifest, id_column, subtitle_column) if manifest is not None else {}
    stems = [p.stem for p in files]
    clips = []
    for path in files:
        clip_id = path.stem if stems.count(path.stem) == 1 else path.name
        entry = table.get(clip_id) or table.get(path.name) or {}
        subtitle, source = entry.get("subtitle"), ""
        if subtitle is not None:
            source = f"{Path(manifest).name}:{subtitle_column}"
        else:
            for ext in SUBTITLE_EXTENSIONS:
                sidecar = path.with_suffix(ext)
                if sidecar.is_file():
                    subtitle, source = read_subtitle_file(sidecar).strip() or None, sidecar.name
                    break
        clips.append(Clip(clip_id, path, subtitle, source if subtitle else "", entry.get("sex")))
    return clips


# ------------------------------------------------------------------------------------------------- video


def _open(path: Path):
    import av

    if not path.is_file():
        raise MediaError(f"{path}: file not found")
    try:
        return av.open(str(path))
    except (av.error.FFmpegError, OSError, UnicodeDecodeError) as exc:
        raise MediaError(
            f"{path}: not a readable video file ({exc}); re-encode it, e.g. to H.264 mp4"
        ) from None


def probe(path: str | Path) -> MediaInfo:
    """Duration and streams of a clip (raises :class:`MediaError` if the file cannot be opened)."""
    path = Path(path)
    with _open(path) as container:
        video = container.streams.video[0] if container.streams.video else None
        audio = container.streams.audio[0] if container.streams.audio else None
        duration = _duration(container, video, audio)
        if video is None:
            return MediaInfo(duration, False, audio is not None)
        rate = float(video.average_rate or video.guessed_rate or 0)
        return MediaInfo(duration, True, audio is not None, video.width, video.height, rate)


def _duration(container, video, audio) -> float:
    for stream in (video, audio):
        if stream is not None and stream.duration and stream.time_base:
            return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / 1_000_000
    return 0.0


def sample_times(duration: float, count: int = 8, rate: float = 0.0, max_frames: int = 64) -> np.ndarray:
    """Uniform sampling times in seconds: ``count`` segment centres, or every ``1/rate`` s when
    ``rate`` > 0 (at most ``max_frames``, spread over the whole clip); ``[0]`` for an unknown duration."""
    if duration <= 0:  # unknown duration: the first frame only
        return np.zeros(1)
    n = int(np.floor(duration * rate)) if rate > 0 else count
    n = max(1, min(n, max_frames))
    return (np.arange(n) + 0.5) * duration / n


def read_frames(
    path: str | Path, times: np.ndarray, skip_nonref: bool = True
) -> tuple[np.ndarray, list[np.ndarray]]:
    """The decoded RGB frames nearest to each time in ``times`` (sorted); returns (frame times, frames).

    The clip is decoded once from the start; only the chosen frames are converted to arrays. With
    ``skip_nonref`` the decoder drops frames that no other frame references (most B-frames), which
    roughly halves decoding of typical H.264 files; the frame taken is then at most a frame interval or
    two from the sampling time.
    """
    import av

    path = Path(path)
    targets = np.sort(np.asarray(times, dtype=float))
    chosen_t: list[float] = []
    chosen: list[np.ndarray] = []
    with _open(path) as container:
        if not container.streams.video:
            raise NoStreamError(f"{path}: has no video stream")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        if skip_nonref:
            stream.codec_context.skip_frame = "NONREF"
        previous = None  # (time, frame) of the last decoded frame before the current target
        index = 0
        try:
            for frame in container.decode(stream):
                if index >= len(targets):
                    break
                t = float(frame.time) if frame.time is not None else 0.0
                while index < len(targets) and t >= targets[index]:
                    # take the nearer of the previous frame and this one
                    if previous is not None and targets[index] - previous[0] < t - targets[index]:
                        pick_t, pick = previous
                    else:
                        pick_t, pick = t, frame
                    chosen_t.append(pick_t)
                    chosen.append(pick.to_ndarray(format="rgb24"))
                    index += 1
                previous = (t, frame)
        except av.error.FFmpegError as exc:
            if not chosen and previous is None:
                raise MediaError(f"{path}: video stream cannot be decoded ({exc})") from None
        # targets past the last decoded frame take the last frame
        while index < len(targets) and previous is not None:
            chosen_t.append(previous[0])
            chosen.append(previous[1].to_ndarray(format="rgb24"))
            index += 1
    if not chosen:
        raise MediaError(f"{path}: no video frame could be decoded")
    return np.asarray(chosen_t), chosen


# ------------------------------------------------------------------------------------------------- audio


def read_audio(path: str | Path, sample_rate: int = 16000) -> np.ndarray:
    """The first audio track as mono float32 at ``sample_rate`` Hz (raises :class:`NoStreamError`
    when the file has no audio track)."""
    import av

    path = Path(path)
    chunks: list[np.ndarray] = []
    with _open(path) as container:
        if not container.streams.audio:
            raise NoStreamError(f"{path}: has no audio track")
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
        try:
            for frame in container.decode(stream):
                frame.pts = None  # let the resampler keep its own timeline
                chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
            chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
        except av.error.FFmpegError as exc:
            if not chunks:
                raise MediaError(f"{path}: audio track cannot be decoded ({exc})") from None
    if not chunks:
        return np.zeros(0, dtype=np.float32)
    return np.concatenate(chunks).astype(np.float32, copy=False)


# ------------------------------------------------------------------------------------------------ writing


def write_clip(
    path: str | Path,
    frames: list[np.ndarray],
    fps: float = 25.0,
    audio: np.ndarray | None = None,
    sample_rate: int = 16000,
) -> Path:
    """Encode RGB ``frames`` (and optional mono float ``audio``) into a clip; the codecs follow the
    extension (mp4/mov/mkv: H.264 + AAC; webm: VP9 + Opus; avi: MPEG-4 part 2 + PCM).

    Single-threaded encoders with fixed settings, so the same input gives the same file.
    """
    import av

    path = Path(path)
    ext = path.suffix.lower()
    codecs = {
        ".webm": ("libvpx-vp9", "libopus", {"deadline": "realtime", "cpu-used": "8", "crf": "32", "b": "0"}),
        ".avi": ("mpeg4", "pcm_s16le", {"qscale": "4"}),
    }
    vcodec, acodec, options = codecs.get(ext, ("libx264", "aac", {"preset": "veryfast", "crf": "20"}))
    height, width = frames[0].shape[:2]
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as container:
        vstream = container.add_stream(vcodec, rate=int(round(fps)))
        vstream.width, vstream.height = width - width % 2, height - height % 2
        vstream.pix_fmt = "yuv420p"
        vstream.options = options
        vstream.codec_context.thread_count = 1
        astream = None
        if audio is not None:
            rate = 48000 if acodec == "libopus" else sample_rate
            astream = container.add_stream(acodec, rate=rate)
            astream.layout = "mono"
        for index, image in enumerate(frames):
            image = np.ascontiguousarray(image[: vstream.height, : vstream.width, :3], dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts, frame.time_base = index, Fraction(1, int(round(fps)))
            container.mux(vstream.encode(frame))
        container.mux(vstream.encode(None))
        if astream is not None and audio is not None:
            samples = np.asarray(audio, dtype=np.float32).reshape(1, -1)
            resampler = av.AudioResampler(format=astream.format.name, layout="mono", rate=astream.rate)
            step = 1024
            for start in range(0, samples.shape[1], step):
                frame = av.AudioFrame.from_ndarray(
                    np.ascontiguousarray(samples[:, start : start + step]), format="flt", layout="mono"
                )
                frame.sample_rate = sample_rate
                frame.pts = start
                frame.time_base = Fraction(1, sample_rate)
                for converted in resampler.resample(frame):
                    container.mux(astream.encode(converted))
            for converted in resampler.resample(None):
                container.mux(astream.encode(converted))
            container.mux(astream.encode(None))
    return path
