"""A demo clip made from bundled real material: the portrait in ``skimage.data.astronaut()`` filmed by a
slow virtual camera, with speech synthesised by ``espeak-ng`` (Debian package ``espeak-ng``).

Everything is deterministic: a fixed seed for the camera shake, a fixed voice and rate for the speech,
single-threaded encoders. The video is the same file on every CPU: :func:`~emer.clues.media.write_clip`
converts the frames to YUV in exact integer numpy and runs x264 in its CPU-independent mode (the AAC
audio track is not guaranteed so). Tests build their clips with the same functions.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from emer.clues.media import MissingDependencyError, read_audio, write_clip

DEMO_TEXT = (
    "Oh wow, I can't believe it! We actually made it into space. This is the best day of my life, "
    "and I am so happy to share it with you."
)
DEMO_NAME = "demo_astronaut"
DEMO_VOICE = "en-us+f2"  # espeak-ng's US English with its second female variant


def espeak_binary() -> str:
    """Path of ``espeak-ng`` (raises :class:`MissingDependencyError` naming the package when absent)."""
    found = shutil.which("espeak-ng")
    if found is None:
        raise MissingDependencyError(
            "espeak-ng is not installed: install the Debian package espeak-ng "
            "(`apt-get install -y espeak-ng`, or `make env`, which installs it when missing)"
        )
    return found


def synthesize_speech(
    text: str, voice: str = "en-us", rate: int = 150, pitch: int = 50, sample_rate: int = 16000
) -> np.ndarray:
    """Speech for ``text`` from espeak-ng, as mono float32 at ``sample_rate`` Hz."""
    binary = espeak_binary()
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "speech.wav"
        command = [binary, "-v", voice, "-s", str(rate), "-p", str(pitch), "-w", str(wav), "--", text]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0 or not wav.is_file():
            raise RuntimeError(f"espeak-ng failed for voice {voice!r}: {done.stderr.strip()}")
        return read_audio(wav, sample_rate)


def portrait() -> np.ndarray:
    """The astronaut portrait (512×512 RGB, public domain, NASA; bundled with scikit-image)."""
    try:
        from skimage import data
    except ImportError:
        raise MissingDependencyError("scikit-image is missing: pip install scikit-image==0.26.0") from None
    return data.astronaut()


def camera_frames(
    image: np.ndarray,
    count: int,
    size: tuple[int, int] = (480, 360),
    seed: int = 0,
    leave_at: float = 0.85,
) -> list[np.ndarray]:
    """``count`` frames of a virtual camera over ``image``: a slow zoom towards the face, a little
    hand-held shake, and from ``leave_at`` (share of the clip) a pan down to the suit, out of the face."""
    import cv2

    rng = np.random.default_rng(seed)
    height, width = image.shape[:2]
    out_w, out_h = size
    aspect = out_h / out_w
    # smoothed random walk for the shake (pixels of the source image)
    shake = np.cumsum(rng.normal(0.0, 0.6, size=(count, 2)), axis=0)
    shake -= np.linspace(0, 1, count)[:, None] * shake[-1]
    frames = []
    for i in range(count):
        u = i / max(count - 1, 1)
        zoom = min(u / leave_at, 1.0)
        window = 480 - 170 * zoom  # window width in source pixels
        cx, cy = 256 + (228 - 256) * zoom, 230 + (150 - 230) * zoom
        if u > leave_at:  # pan away from the face, towards the suit
            v = (u - leave_at) / (1 - leave_at)
            cx, cy = cx + 110 * v, cy + 240 * v
        cx, cy = cx + shake[i, 0], cy + shake[i, 1]
        half_w, half_h = window / 2, window * aspect / 2
        cx = float(np.clip(cx, half_w, width - half_w))
        cy = float(np.clip(cy, half_h, height - half_h))
        scale = out_w / window
        matrix = np.array([[scale, 0, out_w / 2 - scale * cx], [0, scale, out_h / 2 - scale * cy]])
        frames.append(
            cv2.warpAffine(image, matrix, (out_w, out_h), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REFLECT)
        )
    return frames


def srt_text(text: str, start: float, end: float) -> str:
    """A one-cue SRT file body."""

    def stamp(t: float) -> str:
        ms = int(round(t * 1000))
        return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"

    return f"1\n{stamp(start)} --> {stamp(end)}\n{text}\n"


def make_demo_clip(
    folder: str | Path,
    text: str = DEMO_TEXT,
    voice: str = DEMO_VOICE,
    rate: int = 150,
    seed: int = 0,
    fps: int = 25,
    lead: float = 0.6,
    name: str = DEMO_NAME,
) -> Path:
    """Write ``<folder>/<name>.mp4`` (animated portrait + synthesised speech), its ``.srt`` subtitle and
    ``<folder>/clips.csv`` (name, sex: the portrait is of a woman, the default voice is female)."""
    sample_rate = 16000
    speech = synthesize_speech(text, voice, rate, sample_rate=sample_rate)
    pad = np.zeros(int(lead * sample_rate), dtype=np.float32)
    audio = np.concatenate([pad, speech, pad])
    duration = len(audio) / sample_rate
    frames = camera_frames(portrait(), int(round(duration * fps)), seed=seed)
    folder = Path(folder)
    path = write_clip(folder / f"{name}.mp4", frames, fps, audio, sample_rate)
    (folder / f"{name}.srt").write_text(
        srt_text(text, lead, lead + len(speech) / sample_rate), encoding="utf-8"
    )
    (folder / "clips.csv").write_text(f"name,sex\n{name},female\n", encoding="utf-8")
    return path


def make_clip(
    path: str | Path,
    image: np.ndarray | None = None,
    seconds: float = 2.0,
    audio: np.ndarray | None = None,
    fps: int = 10,
    size: tuple[int, int] = (320, 240),
    seed: int = 0,
) -> Path:
    """A small clip of the virtual camera over ``image`` (default: the portrait) with ``audio``
    (mono float32 at 16 kHz, or None for no audio track); the face stays in view throughout."""
    image = portrait() if image is None else image
    frames = camera_frames(image, max(1, int(round(seconds * fps))), size=size, seed=seed, leave_at=1.0)
    return write_clip(path, frames, fps, audio, 16000)
