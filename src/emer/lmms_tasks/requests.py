"""What a model is sent per document: the study's clue prompt (``clip_prompts.describe_clip``, as
``emer explain --pipeline direct`` sends it), the clip's frames and, when the config asks, its audio.

The frames are sampled and encoded by ``emer`` exactly as ``emer explain`` does (segment centres, in time
order, longest side 448, JPEG quality 85) and kept on disk per clip (the config's ``cache_dir``), so
every model class gets the same pictures and lmms-eval's own video decoders (decord, torchvision) are not
needed. Chat models (``doc_to_messages``) get the system and user messages as ``describe_clip`` builds
them; simple models (``doc_to_visual`` + ``doc_to_text``) get the system text at the head of the prompt.
"""

from __future__ import annotations

import base64
import json
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from emer.clues.media import Clip
from emer.llm.clip_prompts import describe_clip_text
from emer.lmms_tasks.config import RunConfig, load_config
from emer.lmms_tasks.documents import MediaCheckError


@dataclass(frozen=True)
class ClipPayload:
    """The files sent for one clip: JPEG frames in time order and the WAV audio (None when not sent)."""

    frames: tuple[Path, ...]
    wav: Path | None


def _safe(name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", name)


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def clip_payload(doc: dict, config: RunConfig | None = None) -> ClipPayload:
    """The frames (and audio) of ``doc``'s video, decoded once and kept under the media cache; a cached
    clip is decoded again when its file or the media settings change."""
    from emer.clues.model_pipeline import load_clip_media

    config = config or load_config()
    video = Path(doc["video"])
    folder = config.media_cache() / _safe(doc["dataset"]) / _safe(doc["name"])
    stat = video.stat()
    source = {"video": str(video), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns, **asdict(config.media)}
    record = folder / "source.json"
    if record.is_file():
        stored = json.loads(record.read_text(encoding="utf-8"))
        if stored.get("source") == source:
            wav = folder / "audio.wav" if stored["audio"] else None
            return ClipPayload(tuple(folder / f for f in stored["frames"]), wav)
    media = load_clip_media(Clip(doc["name"], video), config.media)
    if not media.frames:
        reason = "; ".join(media.errors.values()) or ", ".join(media.flags) or "no frame decoded"
        raise MediaCheckError(f"{video}: no frame of {doc['name']} could be read ({reason})")
    folder.mkdir(parents=True, exist_ok=True)
    names = [f"frame-{i:02d}.jpg" for i in range(len(media.frames))]
    for name, jpeg in zip(names, media.frames, strict=True):
        _write(folder / name, jpeg)
    if media.wav is not None:
        _write(folder / "audio.wav", media.wav)
    stored = {"source": source, "frames": names, "times": media.times, "audio": media.wav is not None}
    _write(record, json.dumps(stored, indent=1).encode("utf-8"))
    return ClipPayload(tuple(folder / n for n in names), folder / "audio.wav" if media.wav else None)


def prompt(doc: dict, payload: ClipPayload) -> tuple[str, str]:
    """(system, user) texts of ``describe_clip`` for the document: the subtitle only under S1."""
    subtitle = doc["subtitle"] if doc["strategy"] == "S1" and doc["subtitle"] else None
    return describe_clip_text(len(payload.frames), payload.wav is not None, subtitle, doc["language"])


def doc_to_visual(doc: dict) -> list[Any]:
    """Simple models: the frames as PIL images, then the WAV file's path when audio is sent."""
    from PIL import Image

    payload = clip_payload(doc)
    visuals: list[Any] = []
    for path in payload.frames:
        with Image.open(path) as image:
            visuals.append(image.convert("RGB"))
    if payload.wav is not None:
        visuals.append(str(payload.wav))
    return visuals


def doc_to_text(doc: dict, lmms_eval_specific_kwargs: dict | None = None) -> str:
    """Simple models: the system text, a blank line, then the user prompt."""
    system, text = prompt(doc, clip_payload(doc))
    return f"{system}\n\n{text}"


def doc_to_messages(doc: dict, lmms_eval_specific_kwargs: dict | None = None) -> list[dict]:
    """Chat models: the system message, then the prompt, the frames (image files) in time order and the
    audio as a WAV data URL (lmms-eval's OpenAI-compatible model sends it as an ``audio_url`` part)."""
    payload = clip_payload(doc)
    system, text = prompt(doc, payload)
    content: list[dict] = [{"type": "text", "text": text}]
    content += [{"type": "image", "url": str(path)} for path in payload.frames]
    if payload.wav is not None:
        data = base64.b64encode(payload.wav.read_bytes()).decode("ascii")
        content.append({"type": "audio", "url": f"data:audio/wav;base64,{data}"})
    return [
        {"role": "system", "content": [{"type": "text", "text": system}]},
        {"role": "user", "content": content},
    ]
