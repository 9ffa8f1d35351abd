"""The payloads of one clip for the model pipelines: sampled frames as JPEG, the audio as WAV, the raw audio
for the CPU prosody reading; a bad clip gets flags, never an exception."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from emer.clues.media import Clip, MediaError, NoStreamError, probe, read_audio, read_frames, sample_times
from emer.llm.multimodal import MediaSettings, encode_jpeg, encode_wav


@dataclass
class ClipMedia:
    """The payloads of one clip: JPEG frames in time order, WAV audio, the raw audio for the CPU reading."""

    clip: Clip
    times: list[float] = field(default_factory=list)
    frames: list[bytes] = field(default_factory=list)
    wav: bytes | None = None
    audio: np.ndarray | None = None
    duration: float = 0.0
    flags: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def load_clip_media(clip: Clip, media: MediaSettings) -> ClipMedia:
    """Decode the sampled frames and the audio of ``clip`` and encode them as request payloads.

    Missing streams and decoding errors become flags (``no_video``, ``video_error``, ``no_audio``,
    ``audio_error``, ``unreadable``) with the message in ``errors``; nothing raises for a bad clip.
    """
    out = ClipMedia(clip)
    tick = time.perf_counter()
    try:
        info = probe(clip.path)
    except MediaError as exc:
        out.flags.append("unreadable")
        out.errors["file"] = str(exc)
        return out
    out.duration = info.duration
    try:
        wanted = sample_times(info.duration, media.frames, 0.0, media.frames)
        times, frames = read_frames(clip.path, wanted, max_side=media.image_size)  # decoded at the size sent
        out.seconds["decode_video"] = time.perf_counter() - tick
        tick = time.perf_counter()
        out.times = [round(float(t), 3) for t in times]
        out.frames = [encode_jpeg(f, media.image_size, media.jpeg_quality) for f in frames]
        out.seconds["encode_jpeg"] = time.perf_counter() - tick
    except NoStreamError:
        out.flags.append("no_video")
    except MediaError as exc:
        out.flags.append("video_error")
        out.errors["video"] = str(exc)
    tick = time.perf_counter()
    try:
        audio = read_audio(clip.path, media.sample_rate)
        out.seconds["decode_audio"] = time.perf_counter() - tick
        tick = time.perf_counter()
        out.audio = audio
        if media.audio_seconds > 0 and audio.size:
            out.wav = encode_wav(audio[: int(media.audio_seconds * media.sample_rate)], media.sample_rate)
        out.seconds["encode_wav"] = time.perf_counter() - tick
    except NoStreamError:
        out.flags.append("no_audio")
    except MediaError as exc:
        out.flags.append("audio_error")
        out.errors["audio"] = str(exc)
    return out
