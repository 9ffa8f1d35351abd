"""Multimodal chat content: JPEG frames and WAV audio as OpenAI-compatible content parts.

A message's ``content`` may be a string or a list of parts, the shape vLLM, Ollama and the hosted APIs
accept::

    {"type": "text", "text": "..."}
    {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,..."}}
    {"type": "input_audio", "input_audio": {"data": "<base64 WAV>", "format": "wav"}}

Cache keys and recorded prompts never hold the base64 payloads: :func:`key_messages` replaces each by the
sha256 of its bytes (and its MIME type and size), so replay needs neither the media nor its decoder, and
the call record stays small.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import wave
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

IMAGE_MIME = "image/jpeg"
AUDIO_FORMAT = "wav"
_DATA_URL = re.compile(r"^data:(?P<mime>[\w.+-]+/[\w.+-]+);base64,(?P<data>.*)$", re.S)


@dataclass(frozen=True)
class MediaSettings:
    """How a clip becomes request payloads (part of what is sent, hence of every cache key)."""

    frames: int = 8  # frames sampled uniformly (segment centres), sent in time order
    image_size: int = 448  # longest side of each JPEG frame, pixels (frames are never enlarged)
    jpeg_quality: int = 85  # JPEG quality, 1-100
    audio_seconds: float = 30.0  # audio sent is cut to this many seconds (0: no audio part)
    sample_rate: int = 16000  # audio sent: mono 16-bit PCM WAV at this rate


# --- encoding ---------------------------------------------------------------------------------------------
def resize_longest(frame: np.ndarray, size: int) -> np.ndarray:
    """``frame`` scaled so that its longest side is at most ``size`` pixels (area interpolation)."""
    import cv2

    height, width = frame.shape[:2]
    scale = size / max(height, width)
    if scale >= 1:
        return frame
    shape = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(frame, shape, interpolation=cv2.INTER_AREA)


def encode_jpeg(frame: np.ndarray, size: int = 448, quality: int = 85) -> bytes:
    """An RGB frame as baseline JPEG bytes, longest side at most ``size``."""
    import cv2

    image = resize_longest(np.ascontiguousarray(frame[..., :3], dtype=np.uint8), size)
    ok, data = cv2.imencode(".jpg", image[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise ValueError(f"JPEG encoding failed for a frame of shape {frame.shape}")
    return data.tobytes()


def encode_wav(audio: np.ndarray, sample_rate: int = 16000) -> bytes:
    """Mono float audio in [-1, 1] as 16-bit PCM WAV bytes."""
    samples = np.clip(np.asarray(audio, dtype=np.float32).reshape(-1), -1.0, 1.0)
    pcm = (samples * 32767.0).round().astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(int(sample_rate))
        out.writeframes(pcm.tobytes())
    return buffer.getvalue()


def decode_wav(data: bytes) -> tuple[np.ndarray, int]:
    """Mono float32 samples and the rate of 16-bit PCM WAV bytes (as :func:`encode_wav` writes them)."""
    with wave.open(io.BytesIO(data), "rb") as source:
        if source.getsampwidth() != 2:
            raise ValueError("only 16-bit PCM WAV audio is read")
        pcm = np.frombuffer(source.readframes(source.getnframes()), dtype="<i2")
        channels, rate = source.getnchannels(), source.getframerate()
    samples = pcm.reshape(-1, channels).mean(axis=1) / 32768.0
    return samples.astype(np.float32), rate


# --- content parts ----------------------------------------------------------------------------------------
class Payload(str):
    """The base64 text of a payload this module encoded, carrying its MIME type, size and sha256, so that
    cache keys need not decode it again (it is a plain ``str`` for JSON and for every client)."""

    mime: str
    nbytes: int
    sha256: str

    @classmethod
    def of(cls, text: str, data: bytes, mime: str) -> Payload:
        value = cls(text)
        value.mime, value.nbytes, value.sha256 = mime, len(data), hashlib.sha256(data).hexdigest()
        return value


def text_part(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def image_part(jpeg: bytes, mime: str = IMAGE_MIME) -> dict[str, Any]:
    """An ``image_url`` part carrying the image as a ``data:`` URL."""
    url = Payload.of(f"data:{mime};base64,{base64.b64encode(jpeg).decode()}", jpeg, mime)
    return {"type": "image_url", "image_url": {"url": url}}


def audio_part(wav: bytes) -> dict[str, Any]:
    """An ``input_audio`` part carrying WAV bytes in base64."""
    data = Payload.of(base64.b64encode(wav).decode(), wav, f"audio/{AUDIO_FORMAT}")
    return {"type": "input_audio", "input_audio": {"data": data, "format": AUDIO_FORMAT}}


def part_payload(part: Mapping[str, Any]) -> tuple[str, bytes] | None:
    """(MIME type, bytes) of an image or audio part; None for text parts."""
    kind = part.get("type")
    if kind == "image_url":
        url = part["image_url"]["url"] if isinstance(part["image_url"], Mapping) else part["image_url"]
        found = _DATA_URL.match(url)
        if found is None:  # a remote URL: its text is its identity
            return "text/uri-list", url.encode("utf-8")
        return found["mime"], base64.b64decode(found["data"])
    if kind == "input_audio":
        audio = part["input_audio"]
        return f"audio/{audio.get('format', AUDIO_FORMAT)}", base64.b64decode(audio["data"])
    return None


def part_digest(part: Mapping[str, Any]) -> tuple[str, int, str] | None:
    """(MIME type, size, sha256) of an image or audio part, without decoding a :class:`Payload`."""
    kind = part.get("type")
    text = None
    if kind == "image_url" and isinstance(part["image_url"], Mapping):
        text = part["image_url"]["url"]
    elif kind == "input_audio":
        text = part["input_audio"]["data"]
    if isinstance(text, Payload):
        return text.mime, text.nbytes, text.sha256
    payload = part_payload(part)
    if payload is None:
        return None
    return payload[0], len(payload[1]), hashlib.sha256(payload[1]).hexdigest()


def _parts(messages: Iterable[Mapping[str, Any]]) -> Iterable[Mapping[str, Any]]:
    for message in messages:
        content = message.get("content")
        if isinstance(content, list):
            yield from content


def payloads(messages: Iterable[Mapping[str, Any]]) -> list[tuple[str, bytes]]:
    """Every (MIME type, bytes) payload of ``messages``, in order."""
    return [p for p in (part_payload(part) for part in _parts(messages)) if p is not None]


def payload_hashes(messages: Iterable[Mapping[str, Any]]) -> list[str]:
    """The sha256 of every image and audio payload of ``messages``, in order."""
    digests = (part_digest(part) for part in _parts(messages))
    return [d[2] for d in digests if d is not None]


def is_multimodal(messages: Iterable[Mapping[str, Any]]) -> bool:
    return any(isinstance(m.get("content"), list) for m in messages)


def key_messages(messages: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``messages`` with each image/audio payload replaced by ``{"type", "mime", "bytes", "sha256"}``:
    what cache keys hash and call records keep (text messages are returned unchanged)."""
    out = []
    for message in messages:
        content = message.get("content")
        if not isinstance(content, list):
            out.append(dict(message))
            continue
        parts = []
        for part in content:
            digest = part_digest(part)
            if digest is None:
                parts.append(dict(part))
            else:
                mime, size, sha = digest
                parts.append({"type": part["type"], "mime": mime, "bytes": size, "sha256": sha})
        out.append({**message, "content": parts})
    return out


def message_text(messages: Sequence[Mapping[str, Any]]) -> str:
    """The text of the last user message (parts joined), for logs and dry runs."""
    for message in reversed(messages):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            return "\n".join(p.get("text", "") for p in content if p.get("type") == "text")
    return ""


def payload_summary(messages: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Counts and sizes of what ``messages`` carry: images, image bytes, audio bytes, request bytes."""
    import json

    found = [d for d in (part_digest(part) for part in _parts(messages)) if d is not None]
    images = [size for mime, size, _ in found if mime.startswith("image/")]
    audio = [size for mime, size, _ in found if mime.startswith("audio/")]
    return {
        "images": len(images),
        "image_bytes": sum(images),
        "audio_parts": len(audio),
        "audio_bytes": sum(audio),
        "request_bytes": len(json.dumps(list(messages), ensure_ascii=False).encode("utf-8")),
    }


# --- server limits ----------------------------------------------------------------------------------------
_LIMITS = (
    (
        "too many images",
        re.compile(r"(too many|at most|maximum|limit)\W.*\bimages?\b|\bimages?\b.*\b(limit|at most)", re.I),
    ),
    (
        "payload too large",
        re.compile(r"\b413\b|too large|payload|request entity|context length|too long", re.I),
    ),
    (
        "unsupported modality",
        re.compile(
            r"(not|un)\s*support\w*.*\b(audio|image|modalit\w*|input_audio|image_url)\b|"
            r"\b(audio|image|modalit\w*|input_audio|image_url)\b.*(not|un)\s*support",
            re.I,
        ),
    ),
)


def server_limit(error: str) -> str | None:
    """The server limit an error message names (``too many images``, ``payload too large``,
    ``unsupported modality``), or None when the error is of another kind."""
    named = re.match(r"(too many images|payload too large|unsupported modality):", error)
    if named:  # a local backend names the limit itself
        return named[1]
    if not re.search(r"HTTP (4\d\d)", error):
        return None
    for name, pattern in _LIMITS:
        if pattern.search(error):
            return name
    return None


LIMIT_ADVICE = {
    "too many images": (
        "lower --frames (or raise the server's per-prompt image limit, e.g. vLLM --limit-mm-per-prompt)"
    ),
    "payload too large": "lower --image-size, --frames or --audio-seconds",
    "unsupported modality": (
        "choose a model that reads this input, or --audio-backend cpu for the prosody reading"
    ),
}
