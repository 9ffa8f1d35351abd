"""The clue stage over a folder of clips: one JSON record per clip, a summary table, resumable.

Each record (``<out>/clips/<name>.json``, :func:`record_path`: a readable slug of the clip id plus a
hash of it, so distinct clips never share a file) holds the clip id and file name, the clues in every
language asked for, the numbers behind them, per-stage timings and a status: ``ok``, ``partial`` (with
``flags`` saying what is missing: ``no_video``, ``no_face``, ``no_audio``, ``silent``, ``short_audio``,
``no_subtitle``, ``video_error``, ``audio_error``), ``damaged`` (the file decodes only in part:
``truncated``, the frames or the audio end well before the duration the container states;
``repeated_frames``, most sampled frames are copies of each other; ``notes`` says what was measured;
the clues describe the part that decodes), ``unreadable`` (the file cannot be opened) or ``failed``
(an unexpected error; ``error`` says which). A clip whose record exists for the same file content
(SHA-256), subtitle and parameters is skipped on the next run.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from emer.clues.acoustic import MIN_AUDIO_S, AcousticParams, AcousticReading, acoustic_clue, read_acoustic
from emer.clues.lexical import LexicalReading, lexical_clue, model_clue, read_lexical
from emer.clues.media import (
    Clip,
    MediaError,
    MissingDependencyError,
    NoStreamError,
    find_clips,
    probe,
    read_audio,
    read_frames,
    sample_times,
)
from emer.clues.subtitle_model import LEXICAL_CHOICES, subtitle_reading
from emer.clues.visual import EXPRESSIONS, ExpressionModel, VisualParams, VisualReading, dominant, visual_clue
from emer.files import check_folder, write_atomic

#: Bumped whenever the clue texts or numbers would change for the same parameters.
CLUES_VERSION = "clues-1"
#: A clip is ``truncated`` when its decoded frames or audio stop this share short of the container's
#: duration and at least TRUNCATED_MIN_S seconds short.
TRUNCATED_SHARE, TRUNCATED_MIN_S = 0.25, 0.5
MODALITIES = ("visual", "acoustic", "lexical")
SUMMARY_COLUMNS = [
    "clip",
    "status",
    "flags",
    "duration_s",
    "frames",
    "face_frames",
    "expression",
    "f0_median_hz",
    "loudness_dbfs",
    "syllable_rate",
    "pauses",
    "subtitle",
    "seconds",
]


@dataclass(frozen=True)
class ClueParams:
    """Everything that decides the clue texts (its :meth:`fingerprint` decides resumption)."""

    frames: int = 8  # frames sampled uniformly per clip
    frame_rate: float = 0.0  # if > 0: sample this many frames per second instead (at most max_frames)
    max_frames: int = 64
    skip_nonref: bool = True  # decode only frames that others reference (faster; see read_frames)
    max_side: int = 1280  # frames are decoded to at most this longer side, pixels (0: full size)
    languages: tuple[str, ...] = ("en", "zh")
    visual: VisualParams = field(default_factory=VisualParams)
    acoustic: AcousticParams = field(default_factory=AcousticParams)
    lexical: str = "mer2023"  # lexical clue: a subtitle model's label space, or "lexicon" (LEXICAL_CHOICES)

    def fingerprint(self) -> str:
        text = json.dumps({"version": CLUES_VERSION, **asdict(self)}, sort_keys=True, default=list)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class ClipResult:
    """The record of one clip plus the readings behind it (for figures; not written to disk)."""

    record: dict
    frames: list[np.ndarray] = field(default_factory=list)
    visual: VisualReading | None = None
    acoustic: AcousticReading | None = None
    lexical: LexicalReading | None = None


class ClueExtractor:
    """Runs the three clue extractors on clips; loads the expression model and the subtitle model (fitted on
    the public data, ``data_dir``) on first use."""

    def __init__(self, params: ClueParams | None = None, data_dir: str | os.PathLike | None = None) -> None:
        self.params = params or ClueParams()
        if self.params.lexical not in LEXICAL_CHOICES:
            raise ValueError(
                f"lexical must be one of {', '.join(LEXICAL_CHOICES)}, not {self.params.lexical!r}"
            )
        self.data_dir = data_dir
        self._model: ExpressionModel | None = None

    @property
    def model(self) -> ExpressionModel:
        if self._model is None:
            self._model = ExpressionModel(self.params.visual)
        return self._model

    def process(self, clip: Clip, keep_frames: bool = False) -> ClipResult:
        """Clues of one clip. Media problems become flags or statuses; missing packages raise."""
        start = time.perf_counter()
        timings: dict[str, float] = {}
        record: dict = {
            "clip": clip.clip,
            "file": clip.path.name,
            "file_size": _size(clip.path),
            "file_sha256": file_sha256(clip.path),
            "status": "ok",
            "error": "",
            "flags": [],
            "errors": {},
            "notes": {},
            "duration_s": 0.0,
            "subtitle": clip.subtitle,
            "subtitle_source": clip.subtitle_source,
            "sex": clip.sex,
            "clues": {},
            "visual": {},
            "acoustic": {},
            "lexical": {},
            "timings": timings,
            "params": self.params.fingerprint(),
        }
        result = ClipResult(record)
        try:
            info = probe(clip.path)
        except MediaError as exc:
            record.update(status="unreadable", error=str(exc))
            timings["total"] = time.perf_counter() - start
            return result
        try:
            self._visual(clip, info.duration, result, keep_frames, info.fps)
            self._acoustic(clip, result, info.audio_duration)
            self._lexical(clip, result)
        except MissingDependencyError:
            raise
        except Exception as exc:  # noqa: BLE001 - one bad clip must not stop the batch
            record.update(status="failed", error=f"{clip.path}: {type(exc).__name__}: {exc}")
            timings["total"] = time.perf_counter() - start
            return result
        record["duration_s"] = info.duration
        flags = record["flags"]
        if {"no_video", "video_error"} & set(flags) and {"no_audio", "audio_error"} & set(flags):
            record["status"] = "unreadable"
        elif {"truncated", "repeated_frames"} & set(flags):
            record["status"] = "damaged"
        elif flags:
            record["status"] = "partial"
        record["clues"] = {
            language: {
                "visual": self._visual_text(result, language),
                "acoustic": self._acoustic_text(result, clip, language),
                "lexical": (
                    model_clue(clip.subtitle, record["lexical"]["model"], language)
                    if "model" in record["lexical"]
                    else lexical_clue(result.lexical, language)
                ),
            }
            for language in self.params.languages
        }
        timings["total"] = time.perf_counter() - start
        return result

    # -- stages ---------------------------------------------------------------------------------------
    def _visual(
        self, clip: Clip, duration: float, result: ClipResult, keep_frames: bool, fps: float = 0.0
    ) -> None:
        p, record, timings = self.params, result.record, result.record["timings"]
        tick = time.perf_counter()
        try:
            wanted = sample_times(duration, p.frames, p.frame_rate, p.max_frames)
            times, frames = read_frames(clip.path, wanted, p.skip_nonref, p.max_side)
        except NoStreamError:
            record["flags"].append("no_video")
            return
        except MediaError as exc:
            record["flags"].append("video_error")
            record["errors"]["visual"] = str(exc)
            return
        finally:
            timings["decode_video"] = time.perf_counter() - tick
        times, frames = self._check_frames(record, np.sort(wanted), times, frames, duration, fps)
        tick = time.perf_counter()
        reading = VisualReading(
            duration, [self.model.read_frame(f, t) for f, t in zip(frames, times, strict=True)]
        )
        timings["visual"] = time.perf_counter() - tick
        result.visual = reading
        if keep_frames:
            result.frames = frames
        if reading.face_frames == 0:
            record["flags"].append("no_face")
        overall = reading.mean_probs()
        record["visual"] = {
            "frames": [
                {
                    "time": round(f.time, 3),
                    "box": list(f.box) if f.box else None,
                    "faces": f.faces,
                    "probs": _named(f.probs),
                }
                for f in reading.frames
            ],
            "face_frames": reading.face_frames,
            "expression": dominant(overall),
            "mean_probs": _named(overall),
        }

    @staticmethod
    def _check_frames(record, wanted, times, frames, duration, fps):
        """Flag frames that stop early (``truncated``) or copy each other (``repeated_frames``); keep
        only the frames that lie near their sampling time (a truncated clip's last frame is not reused)."""
        tolerance = max(0.25, 5.0 / fps) if fps > 0 else 0.25
        near = np.abs(times - wanted) <= tolerance
        if not near.all():
            record["flags"].append("truncated")
            last = float(times.max())
            record["notes"]["visual"] = (
                f"frames decode only up to {last:.2f} s of the {duration:.2f} s the container states; "
                f"{int((~near).sum())} of {len(wanted)} sampled frames are missing"
            )
            # the decodable part only, each decoded frame once (the last one served every later target)
            keep = near & np.r_[True, times[1:] != times[:-1]]
            keep[0] = keep[0] or not keep.any()
            times, frames = times[keep], [f for f, k in zip(frames, keep, strict=True) if k]
        pairs = [
            (a, b) for a, b, ta, tb in zip(frames, frames[1:], times, times[1:], strict=False) if tb > ta
        ]
        copies = sum(np.array_equal(a, b) for a, b in pairs)
        if len(pairs) >= 2 and copies * 2 >= len(pairs):
            record["flags"].append("repeated_frames")
            record["notes"]["visual_repeats"] = (
                f"{copies} of {len(pairs)} consecutive sampled frames are pixel-identical copies"
            )
        return times, frames

    def _acoustic(self, clip: Clip, result: ClipResult, duration: float = 0.0) -> None:
        """Acoustic reading; ``duration``: the audio track's length the container states (0: unknown)."""
        p, record, timings = self.params, result.record, result.record["timings"]
        tick = time.perf_counter()
        try:
            audio = read_audio(clip.path, p.acoustic.sample_rate)
        except NoStreamError:
            record["flags"].append("no_audio")
            return
        except MediaError as exc:
            record["flags"].append("audio_error")
            record["errors"]["acoustic"] = str(exc)
            return
        finally:
            timings["decode_audio"] = time.perf_counter() - tick
        seconds = len(audio) / p.acoustic.sample_rate
        if duration > 0 and duration - seconds > max(TRUNCATED_MIN_S, TRUNCATED_SHARE * duration):
            if "truncated" not in record["flags"]:
                record["flags"].append("truncated")
            record["notes"]["audio"] = (
                f"audio decodes only {seconds:.2f} s of the {duration:.2f} s the container states"
            )
        if seconds < MIN_AUDIO_S:
            record["flags"].append("short_audio")
            record["acoustic"] = {"audio_s": round(seconds, 3)}
            record["notes"]["acoustic"] = (
                f"the audio track lasts {seconds:.2f} s, under the {MIN_AUDIO_S} s the acoustic "
                "analysis needs; no acoustic clue"
            )
            return
        tick = time.perf_counter()
        reading = read_acoustic(audio, p.acoustic)
        timings["acoustic"] = time.perf_counter() - tick
        result.acoustic = reading
        if reading.silent:
            record["flags"].append("silent")
        record["acoustic"] = {
            "silent": reading.silent,
            **{k: round(float(v), 4) if np.isfinite(v) else None for k, v in sorted(reading.stats.items())},
            "pause_spans": [[round(a, 3), round(b, 3)] for a, b in reading.pauses],
        }

    def _lexical(self, clip: Clip, result: ClipResult) -> None:
        record = result.record
        tick = time.perf_counter()
        if clip.subtitle:
            result.lexical = read_lexical(clip.subtitle)
            record["lexical"] = {
                k: v
                for k, v in asdict(result.lexical).items()
                if k in ("language", "lexicon", "words", "counts", "polarity")
            }
            if self.params.lexical != "lexicon":
                record["lexical"]["model"] = subtitle_reading(
                    clip.subtitle, self.params.lexical, result.lexical.language, self.data_dir
                )
        else:
            record["flags"].append("no_subtitle")
        record["timings"]["lexical"] = time.perf_counter() - tick

    # -- texts ----------------------------------------------------------------------------------------
    def _visual_text(self, result: ClipResult, language: str) -> str:
        if result.visual is not None:
            return visual_clue(result.visual, language, self.params.visual)
        flags = result.record["flags"]
        if language == "zh":
            return "视觉线索：文件没有视频流。" if "no_video" in flags else "视觉线索：视频无法解码。"
        return (
            "Visual clues: the file has no video stream."
            if "no_video" in flags
            else ("Visual clues: the video cannot be decoded.")
        )

    def _acoustic_text(self, result: ClipResult, clip: Clip, language: str) -> str:
        if result.acoustic is not None:
            return acoustic_clue(result.acoustic, language, clip.sex)
        flags = result.record["flags"]
        if "short_audio" in flags:
            seconds = result.record["acoustic"]["audio_s"]
            if language == "zh":
                return f"音频线索：音轨太短（{seconds:.2f} 秒），无法分析。"
            return f"Acoustic clues: the audio track is too short ({seconds:.2f} s) to describe."
        if language == "zh":
            return "音频线索：文件没有音轨。" if "no_audio" in flags else "音频线索：音轨无法解码。"
        return (
            "Acoustic clues: the file has no audio track."
            if "no_audio" in flags
            else ("Acoustic clues: the audio track cannot be decoded.")
        )


def _named(probs: np.ndarray | None) -> dict[str, float] | None:
    return None if probs is None else dict(zip(EXPRESSIONS, np.round(probs, 4).tolist(), strict=True))


# ----------------------------------------------------------------------------------------------- records


def write_json(path: Path, value: dict) -> None:
    """Write ``value`` as indented UTF-8 JSON, atomically (values JSON does not know written as text)."""
    data = json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str) + "\n"
    write_atomic(path, data.encode("utf-8"))


def read_record(path: Path) -> dict | None:
    """A record written by :func:`write_json` (None when missing or unreadable, e.g. half-written)."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def record_name(clip: str) -> str:
    """The file name (no extension) of a clip's records: a readable slug of the clip id (at most 60
    characters) and the first 12 hex digits of the SHA-256 of the exact id, so that distinct ids
    (``k a`` and ``k_a``, two emoji names, names differing in case) never share a record."""
    slug = "".join(ch if ch.isalnum() or ch in "-_.+" else "_" for ch in clip)[:60].strip(".") or "_"
    digest = hashlib.sha256(clip.encode("utf-8", "surrogateescape")).hexdigest()[:12]
    return f"{slug}-{digest}"


def record_path(out_dir: str | Path, clip: str, kind: str = "clips") -> Path:
    """Where the record of clip id ``clip`` lives (see :func:`record_name`)."""
    return Path(out_dir) / kind / f"{record_name(clip)}.json"


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes ("" when it cannot be read)."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return ""
    return digest.hexdigest()


def _rounded(value: float | None, digits: int) -> float:
    return np.nan if value is None else round(float(value), digits)


def summary_row(record: dict) -> dict:
    """One summary-table row of a clue record."""
    visual, acoustic = record.get("visual") or {}, record.get("acoustic") or {}
    return {
        "clip": record["clip"],
        "status": record["status"],
        "flags": ";".join(record.get("flags", [])),
        "duration_s": round(float(record.get("duration_s") or 0.0), 2),
        "frames": len(visual.get("frames", [])),
        "face_frames": visual.get("face_frames", 0),
        "expression": visual.get("expression") or "",
        "f0_median_hz": _rounded(acoustic.get("f0_median_hz"), 1),
        "loudness_dbfs": _rounded(acoustic.get("loudness_dbfs"), 1),
        "syllable_rate": _rounded(acoustic.get("syllable_rate"), 2),
        "pauses": int(acoustic.get("pauses", 0)),
        "subtitle": "yes" if record.get("subtitle") else "no",
        "seconds": round(float(record.get("timings", {}).get("total", 0.0)), 3),
    }


def write_summary(rows: Iterable[dict], path: Path, columns: list[str] | None = None) -> pd.DataFrame:
    """Write the summary table as CSV and Markdown beside it; return it."""
    table = pd.DataFrame(list(rows), columns=columns or SUMMARY_COLUMNS)
    write_atomic(path, table.to_csv(index=False, lineterminator="\n").encode("utf-8"))
    write_atomic(path.with_suffix(".md"), (table.to_markdown(index=False) + "\n").encode("utf-8"))
    return table


def _progress(items: list, enabled: bool, desc: str):
    if not enabled:
        return items
    from tqdm.auto import tqdm

    return tqdm(items, desc=desc, unit="clip")


def _reusable(record: dict | None, clip: Clip, params: ClueParams) -> bool:
    """A stored record is kept when it was made for the same clip id from the same file content,
    subtitle and parameters."""
    return (
        record is not None
        and record.get("status") != "failed"
        and record.get("params") == params.fingerprint()
        and record.get("clip") == clip.clip
        and record.get("file_size") == _size(clip.path)
        and bool(record.get("file_sha256"))
        and record.get("file_sha256") == file_sha256(clip.path)
        and record.get("subtitle") == clip.subtitle
        and record.get("sex") == clip.sex
    )


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return -1


def run_clues(
    media: str | Path,
    out_dir: str | Path,
    params: ClueParams | None = None,
    manifest: str | Path | None = None,
    id_column: str = "name",
    subtitle_column: str = "subtitle",
    resume: bool = True,
    progress: bool = True,
    extractor: ClueExtractor | None = None,
) -> pd.DataFrame:
    """Clue records for every clip in ``media`` under ``<out_dir>/clips/`` and ``<out_dir>/summary.csv``.

    With ``resume`` a clip whose record already exists with the same parameters is not processed again.
    """
    check_folder(out_dir, "the output folder (--out)")
    extractor = extractor or ClueExtractor(params)
    clips = find_clips(media, manifest, id_column, subtitle_column)
    names: dict[str, str] = {}
    for clip in clips:
        other = names.setdefault(record_name(clip.clip), clip.clip)
        if other != clip.clip:
            raise MediaError(f"{media}: clips {other!r} and {clip.clip!r} share a record name; rename one")
    rows = []
    for clip in _progress(clips, progress, "clues"):
        path = record_path(out_dir, clip.clip)
        record = read_record(path) if resume else None
        if not _reusable(record, clip, extractor.params):
            record = extractor.process(clip).record
            write_json(path, record)
        rows.append(summary_row(record))
    return write_summary(rows, Path(out_dir) / "summary.csv")


def clue_table(records: Iterable[dict]) -> pd.DataFrame:
    """Long table of clue texts: clip, language, modality, clue."""
    rows = [
        {"clip": r["clip"], "language": language, "modality": modality, "clue": texts[modality]}
        for r in records
        for language, texts in sorted(r.get("clues", {}).items())
        for modality in MODALITIES
    ]
    return pd.DataFrame(rows, columns=["clip", "language", "modality", "clue"])
