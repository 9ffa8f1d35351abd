"""What a model pipeline run is made of: its stages (backend, model, server) and its settings (media,
language, generation, timeouts, concurrency)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from emer.llm.backends import GenerationSettings
from emer.llm.multimodal import MediaSettings

PIPELINES = ("cpu", "emer", "direct")

DIRECT_SETTINGS = ("S0", "S1", "S2")

STAGE_BACKENDS = ("openai", "transformers", "offline")

AUDIO_BACKENDS = ("cpu", "same", "openai", "transformers")

#: Bumped whenever the records would change for the same inputs (the prompts are in the cache keys).
MODEL_PIPELINE_VERSION = "model-1"


@dataclass(frozen=True)
class Stage:
    """Where one stage's calls go: a backend kind, a model name and (openai) a server address."""

    backend: str = "openai"
    model: str = ""
    base_url: str = ""

    def identity(self) -> str:
        return (
            f"{self.backend}:{self.model}@{self.base_url}"
            if self.base_url
            else f"{self.backend}:{self.model}"
        )


def model_stages(
    vision_backend: str = "openai",
    vision_model: str = "",
    vision_base_url: str = "",
    audio_backend: str = "cpu",
    audio_model: str = "",
    audio_base_url: str = "",
    text_backend: str = "",
    text_model: str = "",
    text_base_url: str = "",
) -> tuple[Stage, Stage, Stage]:
    """(vision, audio, text) stages from flags or notebook parameters: an audio model's server and the
    whole text stage default to the vision stage's; ``cpu`` and ``same`` audio stages take no model."""
    vision = Stage(vision_backend, vision_model, vision_base_url)
    if audio_backend in ("cpu", "same"):
        audio = Stage(audio_backend)
    else:
        audio = Stage(audio_backend, audio_model, audio_base_url or vision_base_url)
    text = Stage(text_backend or vision_backend, text_model or vision_model, text_base_url or vision_base_url)
    return vision, audio, text


@dataclass(frozen=True)
class ModelSettings:
    """Everything that decides what is sent (media, language, generation) and how (timeouts, concurrency)."""

    media: MediaSettings = field(default_factory=MediaSettings)
    language: str = "en"
    temperature: float = 0.0
    max_tokens: int = 512
    seed: int = 0
    timeout_s: float = 120.0
    retries: int = 2
    backoff_s: float = 2.0  # first retry delay, doubled each retry
    concurrency: int = 8
    chunk: int = 32  # clips whose media are held in memory at once

    def fingerprint(self) -> dict[str, Any]:
        return {
            "version": MODEL_PIPELINE_VERSION,
            "media": asdict(self.media),
            "language": self.language,
            "generation": GenerationSettings(self.temperature, self.max_tokens, self.seed).key(),
        }
