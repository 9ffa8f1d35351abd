"""Media input: find clips in a folder, read their subtitles, decode sampled frames and the audio track.

Decoding goes through PyAV (FFmpeg's libraries, shipped inside the ``av`` wheel). Errors raise
:class:`MediaError` naming the file and what to do; the pipeline turns them into per-clip statuses.
"""

from __future__ import annotations

import csv
import io
import os
import re
import unicodedata
import warnings
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from emer.clues.colour import rgb_to_yuv420, yuv420_to_rgb

#: Containers PyAV (FFmpeg) reads that hold video (and usually audio).
VIDEO_EXTENSIONS = (
    ".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".ts", ".m2ts", ".mts",
    ".flv", ".f4v", ".wmv", ".asf", ".3gp", ".ogv", ".vob",
)  # fmt: skip
#: Audio-only containers: their clips get the acoustic and lexical clues (flag ``no_video``).
AUDIO_EXTENSIONS = (".wav", ".mp3", ".m4a", ".aac", ".flac", ".ogg", ".oga", ".opus", ".wma")
MEDIA_EXTENSIONS = VIDEO_EXTENSIONS + AUDIO_EXTENSIONS
SUBTITLE_EXTENSIONS = (".srt", ".txt")
#: Frames larger than this (pixels; above 4K UHD) are decoded with slice threads only, not frame threads.
THREADED_DECODE_PIXELS = 3840 * 2160


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
    audio_duration: float = 0.0  # what the container says of the audio track (0: not stated)


# ------------------------------------------------------------------------------------------ text files

_BOMS = (  # UTF-32 before UTF-16: the UTF-32-LE mark starts with the UTF-16-LE one
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
#: Non-letters that Latin-1 / Windows-1252 text commonly holds (quotes, dashes, symbols, no-break space).
_LATIN_PUNCTUATION = set("\u00a0¡¿«»°·´¨ªº§©®€£¥¢‘’‚“”„–—…•‹›")


def decode_text(raw: bytes, path: str | Path) -> str:
    """Text of a subtitle or table file in UTF-8, UTF-16, UTF-32, GBK or Latin-1 (Windows-1252).

    Detection order: a byte-order mark (UTF-8, UTF-32, UTF-16); strict UTF-8; UTF-16 without a mark
    (NUL bytes on one side of most ASCII characters); then GBK and Windows-1252, each kept only when the
    decoded text looks like that script: GBK when every character is ASCII or Chinese (GB2312 range,
    CJK punctuation) and no Chinese character sits inside a Latin word; Windows-1252 when the accented
    letters come alone or in runs of at most three that touch an ASCII letter. When both fit, the file
    is refused as ambiguous.
    A file in none of them raises :class:`MediaError`, naming the file: it is never decoded with
    replacement characters.
    """
    for mark, encoding in _BOMS:
        if raw.startswith(mark):
            try:
                return raw.decode(encoding)
            except UnicodeDecodeError as exc:
                raise MediaError(
                    f"{path}: starts with a {encoding.upper()} byte-order mark but is not valid "
                    f"{encoding.upper()} ({exc.reason} at byte {exc.start}); re-save it as UTF-8"
                ) from None
    try:
        text = raw.decode("utf-8")
        if "\x00" not in text:
            return text
    except UnicodeDecodeError:
        pass
    if b"\x00" in raw:
        text = _utf16_without_bom(raw)
        if text is None:
            raise MediaError(f"{path}: holds NUL bytes but is not UTF-16 text; re-save it as UTF-8")
        return text
    gbk, latin = _as_gbk(raw), _as_latin(raw)
    if gbk is not None and latin is not None:
        raise MediaError(
            f"{path}: the text is not UTF-8 and reads both as GBK ({gbk[:30]!r}) and as Latin-1 "
            f"({latin[:30]!r}); re-save it as UTF-8"
        )
    if gbk is not None or latin is not None:
        return gbk if gbk is not None else latin  # type: ignore[return-value]
    raise MediaError(f"{path}: not text in UTF-8, UTF-16, GBK or Latin-1 (Windows-1252); re-save it as UTF-8")


def _utf16_without_bom(raw: bytes) -> str | None:
    if len(raw) % 2:
        return None
    even, odd = raw[0::2].count(0), raw[1::2].count(0)
    encoding = "utf-16-le" if odd > even else "utf-16-be"
    if max(even, odd) < len(raw) // 8:  # too few ASCII characters to tell the byte order
        return None
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError:
        return None
    if any(unicodedata.category(ch) in ("Cc", "Cn", "Cs") and ch not in "\r\n\t" for ch in text):
        return None
    return text


def _is_cjk_text_char(ch: str) -> bool:
    return (
        "\u4e00" <= ch <= "\u9fff"
        or "\u3400" <= ch <= "\u4dbf"
        or "\u3000" <= ch <= "\u303f"
        or "\uff00" <= ch <= "\uffef"
        or "\u2010" <= ch <= "\u2027"
        or ch == "\u00b7"
    )


def _as_gbk(raw: bytes) -> str | None:
    """The GBK reading when it decodes strictly into Chinese text, in the GB2312 range."""
    try:
        text = raw.decode("gbk")
    except UnicodeDecodeError:
        return None
    if not all(ch.isascii() or _is_cjk_text_char(ch) for ch in text):
        return None
    for ch in text:  # GB2312 proper: both bytes from 0xA1; other second bytes are rare in real text
        if not ch.isascii() and ch.encode("gbk")[-1] < 0xA1:
            return None
    for match in re.finditer(r"[^\x00-\x7f]+", text):  # "a中b": a Latin word read as Chinese
        before = text[match.start() - 1] if match.start() else ""
        after = text[match.end()] if match.end() < len(text) else ""
        if _ascii_letter(before) and _ascii_letter(after):
            return None
    return text


def _ascii_letter(ch: str) -> bool:
    return ch.isascii() and ch.isalpha()


def _as_latin(raw: bytes) -> str | None:
    """The Windows-1252 reading when it looks like Latin-script text: every run of accented letters is
    at most three long and touches an ASCII letter (the other non-ASCII characters are punctuation)."""
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError:
        return None
    for match in re.finditer(r"[^\x00-\x7f]+", text):
        run = match.group()
        letters = [ch for ch in run if ch not in _LATIN_PUNCTUATION]
        if not letters:
            continue
        if len(run) > 3 or not all(ch.isalpha() for ch in letters):
            return None
        before = text[match.start() - 1] if match.start() else ""
        after = text[match.end()] if match.end() < len(text) else ""
        if len(letters) > 1 and not (_ascii_letter(before) or _ascii_letter(after)):
            return None
    return text


# --------------------------------------------------------------------------------------------- subtitles

_SRT_TIME = re.compile(r"^\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}\s*-->")
_TAG = re.compile(r"<[^>]+>|\{\\[^}]*\}")


def read_subtitle_file(path: str | Path) -> str:
    """The text of a ``.srt`` (cue numbers, times and tags dropped, cues joined) or ``.txt`` file."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise MediaError(f"{path}: subtitle file cannot be read ({exc.strerror})") from None
    text = decode_text(raw, path)
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
    column, a speaker-sex column (``male``/``female``), or both; empty cells are left out. The CSV is read
    strictly: a quote that is never closed (it would swallow every row after it) or text after a closing
    quote raises :class:`MediaError` naming the line where the row starts."""
    path = Path(path)
    if not path.is_file():
        raise MediaError(f"{path}: clip table not found")
    with io.StringIO(decode_text(path.read_bytes(), path), newline="") as handle:
        reader = csv.DictReader(handle, strict=True)
        try:
            columns = reader.fieldnames or []
        except csv.Error as exc:
            raise MediaError(
                f"{path}, line 1: the header is not well-formed CSV ({exc}); fix its quoting"
            ) from None
        if id_column not in columns or not {subtitle_column, sex_column} & set(columns):
            raise MediaError(
                f"{path}: the clip table needs an id column {id_column!r} and a subtitle column "
                f"{subtitle_column!r} or a sex column {sex_column!r} (it has {columns}); "
                "name them with --id-column / --subtitle-column"
            )
        table: dict[str, dict[str, str]] = {}
        for row in _strict_rows(reader, path):
            entry = {}
            subtitle = (row.get(subtitle_column) or "").strip()
            sex = (row.get(sex_column) or "").strip().lower()
            if subtitle:
                entry["subtitle"] = subtitle
            if sex in ("male", "female"):
                entry["sex"] = sex
            name = (row[id_column] or "").strip()
            if name in table and table[name] != entry:
                raise MediaError(
                    f"{path}: clip {name!r} has two different rows (line {reader.line_num}); keep one"
                )
            table[name] = entry
        return table


def _strict_rows(reader: csv.DictReader, path: Path):
    """The rows of ``reader``; a CSV error names the line where the faulty row starts."""
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            hint = "a quote opened there is never closed" if "end of data" in str(exc) else "fix its quoting"
            raise MediaError(f"{path}, line {start}: not well-formed CSV ({exc}): {hint}") from None
        yield row


class ManifestWarning(UserWarning):
    """Manifest rows and clips that do not match (a typo in an id leaves a clip without its subtitle)."""


def _check_manifest_ids(
    manifest: str | Path, table: dict, files: list[Path], ids: list[str], whole_folder: bool
) -> None:
    """Warn about manifest ids that match no clip of the folder (a single clip given: about that clip
    having no row)."""
    if whole_folder:
        names = {*ids, *(p.name for p in files)}
        unused = sorted(name for name in table if name not in names)
        what = f"{len(unused)} id(s) match no clip in {files[0].parent}, first {unused[:3]}"
    else:
        unused = [i for p, i in zip(files, ids, strict=True) if i not in table and p.name not in table]
        what = f"no row for the clip {unused[0]!r}" if unused else ""
    if unused:
        warnings.warn(
            f"{manifest}: {what}. Ids are file stems or names: check the id column (--id-column) and the "
            "file names (a clip with no row takes its subtitle from a sidecar .srt/.txt, if any)",
            ManifestWarning,
            stacklevel=3,
        )


def find_clips(
    folder: str | Path,
    manifest: str | Path | None = None,
    id_column: str = "name",
    subtitle_column: str = "subtitle",
) -> list[Clip]:
    """The media files directly in ``folder`` (:data:`MEDIA_EXTENSIONS`, sorted by name), each with its
    subtitle.

    The subtitle comes from the CSV table ``manifest`` (:func:`read_manifest`, which may also give the
    speaker's sex) when it has one for the clip, else from a sidecar ``<stem>.srt`` or ``<stem>.txt``
    beside the video, else it is None. A single media file may be given instead of a folder. Clip ids
    are file stems (the full file name where two files share a stem). A folder with no media file, or
    two files that would get the same id, raise :class:`MediaError`. A media name that is a symbolic link
    to nothing is kept as a clip (its record says it cannot be read), never skipped. Manifest ids that
    match no clip are reported with a :class:`ManifestWarning`.
    """
    folder = Path(folder)
    if folder.is_file():
        files = [folder]
    elif folder.is_dir():
        present = [p for p in folder.iterdir() if p.is_file() or p.is_symlink()]
        files = sorted(p for p in present if p.suffix.lower() in MEDIA_EXTENSIONS and not p.is_dir())
        if not files:
            seen = f"{len(present)} file(s), none of them" if present else "it is empty: no"
            raise MediaError(f"{folder}: no clips found ({seen} a media file: {', '.join(MEDIA_EXTENSIONS)})")
    else:
        raise MediaError(f"{folder}: no such folder or video file")
    table = read_manifest(manifest, id_column, subtitle_column) if manifest is not None else {}
    stems = [p.stem for p in files]
    ids = [p.stem if stems.count(p.stem) == 1 else p.name for p in files]
    for clip_id in sorted({i for i in ids if ids.count(i) > 1}):
        same = [p.name for p, i in zip(files, ids, strict=True) if i == clip_id]
        raise MediaError(f"{folder}: {', '.join(same)} would share the clip id {clip_id!r}; rename one")
    if manifest is not None:
        _check_manifest_ids(manifest, table, files, ids, whole_folder=folder.is_dir())
    clips = []
    for path, clip_id in zip(files, ids, strict=True):
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
        if path.is_symlink():
            raise MediaError(
                f"{path}: a symbolic link to {os.readlink(path)}, which does not exist; fix or remove it"
            )
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
        audio_duration = _stream_duration(audio) if audio is not None else 0.0
        if video is None:
            return MediaInfo(duration, False, audio is not None, audio_duration=audio_duration)
        rate = float(video.average_rate or video.guessed_rate or 0)
        return MediaInfo(duration, True, audio is not None, video.width, video.height, rate, audio_duration)


_HMS = re.compile(r"^(\d+):(\d{2}):(\d{2}(?:\.\d+)?)$")


def _stream_duration(stream) -> float:
    """A stream's own duration in seconds: its header value, else a Matroska ``DURATION`` tag; 0 if none."""
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    match = _HMS.match(str(stream.metadata.get("DURATION", "")).strip())
    if match:
        return int(match[1]) * 3600 + int(match[2]) * 60 + float(match[3])
    return 0.0


def _duration(container, video, audio) -> float:
    for stream in (video, audio):
        if stream is not None and _stream_duration(stream) > 0:
            return _stream_duration(stream)
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
    path: str | Path, times: np.ndarray, skip_nonref: bool = True, max_side: int = 0
) -> tuple[np.ndarray, list[np.ndarray]]:
    """The decoded RGB frames nearest to each time in ``times`` (sorted); returns (frame times, frames).

    Frames are converted to RGB by :func:`frame_to_rgb` (bit-exact on every CPU for 8-bit 4:2:0 video)
    and, with ``max_side`` > 0, shrunk at once to at most ``max_side`` pixels on their longer side
    (:func:`emer.llm.multimodal.resize_longest`, the resize of the JPEG payloads): only one full-size frame
    is ever held, so an 8K clip takes the memory of its sampled frames at the size they are used at.

    The clip is decoded once from the start; only the chosen frames are converted to arrays. With
    ``skip_nonref`` the decoder drops frames that no other frame references (most B-frames), which
    roughly halves decoding of typical H.264 files; the frame taken is then at most a frame interval or
    two from the sampling time. Frames of more than :data:`THREADED_DECODE_PIXELS` pixels are decoded
    with slice threads only (frame threads would each hold frames of that size).
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
        stream.thread_type = "AUTO" if stream.width * stream.height <= THREADED_DECODE_PIXELS else "SLICE"
        if skip_nonref:
            stream.codec_context.skip_frame = "NONREF"
        # times count from the stream's first frame (MPEG-TS and FLV streams do not start at 0)
        start = float(stream.start_time * stream.time_base) if stream.start_time and stream.time_base else 0.0
        previous = None  # (time, frame) of the last decoded frame before the current target
        index = 0
        try:
            for frame in container.decode(stream):
                if index >= len(targets):
                    break
                t = float(frame.time) - start if frame.time is not None else 0.0
                while index < len(targets) and t >= targets[index]:
                    # take the nearer of the previous frame and this one
                    if previous is not None and targets[index] - previous[0] < t - targets[index]:
                        pick_t, pick = previous
                    else:
                        pick_t, pick = t, frame
                    chosen_t.append(pick_t)
                    chosen.append(_fitted(frame_to_rgb(pick), max_side))
                    index += 1
                previous = (t, frame)
        except av.error.FFmpegError as exc:
            if not chosen and previous is None:
                raise MediaError(f"{path}: video stream cannot be decoded ({exc})") from None
        # targets past the last decoded frame take the last frame
        last = _fitted(frame_to_rgb(previous[1]), max_side) if previous is not None else None
        while index < len(targets) and last is not None:
            chosen_t.append(previous[0])
            chosen.append(last)
            index += 1
    if not chosen:
        raise MediaError(f"{path}: no video frame could be decoded")
    return np.asarray(chosen_t), chosen


def _fitted(rgb: np.ndarray, max_side: int) -> np.ndarray:
    """``rgb`` shrunk to at most ``max_side`` on its longer side (0: as it is)."""
    if max_side <= 0 or max(rgb.shape[:2]) <= max_side:
        return rgb
    from emer.llm.multimodal import resize_longest

    return resize_longest(rgb, max_side)


#: AVColorSpace values of the frame's matrix that :func:`frame_to_rgb` converts itself (2: unspecified,
#: which FFmpeg also reads as BT.601).
_MATRIX_OF_COLORSPACE = {1: "bt709", 2: "bt601", 5: "bt601", 6: "bt601"}
_FULL_RANGE = 2  # AVCOL_RANGE_JPEG


def frame_to_rgb(frame) -> np.ndarray:
    """A decoded video frame as an RGB uint8 array (H×W×3).

    8-bit 4:2:0 frames (``yuv420p``, ``yuvj420p``) in BT.601, BT.709 or an unspecified matrix are
    converted from their planes by :func:`emer.clues.colour.yuv420_to_rgb`, in exact integer arithmetic:
    the same bits on every CPU. Other pixel formats and matrices (4:2:2, 4:4:4, 10-bit, BT.2020...) go
    through FFmpeg's swscale, whose SIMD code differs between CPUs: their pixels, and the face boxes
    found in them, may differ in the last levels from one machine to another.
    """
    fmt = frame.format.name
    matrix = _MATRIX_OF_COLORSPACE.get(int(frame.colorspace))
    if fmt not in ("yuv420p", "yuvj420p") or matrix is None:
        return frame.to_ndarray(format="rgb24")
    planes = [
        np.frombuffer(plane, dtype=np.uint8).reshape(plane.height, plane.line_size)[:, : plane.width]
        for plane in frame.planes
    ]
    full = fmt == "yuvj420p" or int(frame.color_range) == _FULL_RANGE
    return yuv420_to_rgb(*planes, matrix=matrix, full_range=full)


# ------------------------------------------------------------------------------------------------- audio


#: FFmpeg's fixed-point decoder of a codec that has one: integer arithmetic, the same samples on every CPU
#: (FFmpeg's float AAC decoder gives samples up to ~1.5e-7 apart between its SIMD paths).
FIXED_POINT_DECODERS = {"aac": "aac_fixed"}


def read_audio(path: str | Path, sample_rate: int = 16000) -> np.ndarray:
    """The first audio track as mono float32 at ``sample_rate`` Hz (raises :class:`NoStreamError`
    when the file has no audio track).

    AAC is decoded by FFmpeg's fixed-point decoder (:data:`FIXED_POINT_DECODERS`), so a mono AAC track at
    ``sample_rate`` (the project's own clips, the demo) reads the same on every CPU. Other codecs use
    FFmpeg's default (float) decoders, and a change of rate or channels goes through swresample, whose SIMD
    paths differ by ~1e-7 between CPUs.
    """
    import av

    path = Path(path)
    chunks: list[np.ndarray] = []
    with _open(path) as container:
        if not container.streams.audio:
            raise NoStreamError(f"{path}: has no audio track")
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
        try:
            for frame in _decoded_audio(container, stream):
                frame.pts = None  # let the resampler keep its own timeline
                chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
            chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
        except av.error.FFmpegError as exc:
            if not chunks:
                raise MediaError(f"{path}: audio track cannot be decoded ({exc})") from None
    if not chunks:
        return np.zeros(0, dtype=np.float32)
    return np.concatenate(chunks).astype(np.float32, copy=False)


def _decoded_audio(container, stream):
    """The audio frames of ``stream``: through its fixed-point decoder where FFmpeg has one, else through
    the container's default decoder."""
    import av

    name = FIXED_POINT_DECODERS.get(stream.codec_context.name)
    if name is None or name not in av.codecs_available:
        yield from container.decode(stream)
        return
    decoder = av.CodecContext.create(name, "r")
    decoder.extradata = stream.codec_context.extradata
    decoder.sample_rate = stream.codec_context.sample_rate
    decoder.layout = stream.codec_context.layout
    for packet in container.demux(stream):  # the last packet is empty: it flushes the decoder
        yield from decoder.decode(packet)


# ------------------------------------------------------------------------------------------------ writing


#: (video codec, audio codec, encoder options) of :func:`write_clip` per extension ("": the default).
#: x264's ``cpu-independent`` keeps it off the assembly whose results differ from its C code (without
#: it, the same frames gave three different files with x264 limited to SSE2, to AVX2 and on AVX-512).
CLIP_CODECS = {
    ".webm": ("libvpx-vp9", "libopus", {"deadline": "realtime", "cpu-used": "8", "crf": "32", "b": "0"}),
    ".avi": ("mpeg4", "pcm_s16le", {"qscale": "4"}),
    "": ("libx264", "aac", {"preset": "veryfast", "crf": "20", "x264-params": "cpu-independent=1"}),
}


def yuv_frame(rgb: np.ndarray):
    """An ``av.VideoFrame`` in limited-range BT.601 ``yuv420p`` (tagged so) from an RGB image of even
    width and height, converted by :func:`emer.clues.colour.rgb_to_yuv420`."""
    import av

    y, cb, cr = rgb_to_yuv420(np.ascontiguousarray(rgb, dtype=np.uint8))
    frame = av.VideoFrame.from_ndarray(
        np.concatenate([y.ravel(), cb.ravel(), cr.ravel()]).reshape(-1, y.shape[1]), format="yuv420p"
    )
    frame.color_range, frame.colorspace = 1, 6  # AVCOL_RANGE_MPEG, AVCOL_SPC_SMPTE170M
    return frame


def write_clip(
    path: str | Path,
    frames: list[np.ndarray],
    fps: float = 25.0,
    audio: np.ndarray | None = None,
    sample_rate: int = 16000,
) -> Path:
    """Encode RGB ``frames`` (and optional mono float ``audio``) into a clip; the codecs follow the
    extension (mp4/mov/mkv: H.264 + AAC; webm: VP9 + Opus; avi: MPEG-4 part 2 + PCM).

    Single-threaded encoders with fixed settings (:data:`CLIP_CODECS`), so the same input gives the same
    file; for H.264 on every CPU (x264 in its CPU-independent mode). The frames
    are converted to limited-range BT.601 ``yuv420p`` here (:func:`emer.clues.colour.rgb_to_yuv420`,
    exact integer arithmetic) and tagged so, so that FFmpeg's swscale, whose SIMD paths differ between
    CPUs, never touches them. The AAC audio track is not guaranteed bit-identical across CPUs (FFmpeg's
    AAC encoder and decoder use float SIMD).
    """
    import av

    path = Path(path)
    ext = path.suffix.lower()
    vcodec, acodec, options = CLIP_CODECS.get(ext, CLIP_CODECS[""])
    height, width = frames[0].shape[:2]
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as container:
        vstream = container.add_stream(vcodec, rate=int(round(fps)))
        vstream.width, vstream.height = width - width % 2, height - height % 2
        vstream.pix_fmt = "yuv420p"
        vstream.options = dict(options)
        vstream.codec_context.thread_count = 1
        vstream.codec_context.color_range = 1  # AVCOL_RANGE_MPEG: limited range
        vstream.codec_context.colorspace = 6  # AVCOL_SPC_SMPTE170M: the BT.601 matrix
        astream = None
        if audio is not None:
            rate = 48000 if acodec == "libopus" else sample_rate
            astream = container.add_stream(acodec, rate=rate)
            astream.layout = "mono"
        for index, image in enumerate(frames):
            frame = yuv_frame(image[: vstream.height, : vstream.width, :3])
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
