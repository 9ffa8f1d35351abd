"""A local multimodal model run by transformers: frames and audio through the model's own processor.

The model folder (or a model id already in the local cache; nothing is downloaded) holds the config,
the weights and the processor (image processor and/or audio feature extractor, tokenizer, chat template).
The model class comes from the config: ``AutoModelForImageTextToText`` for vision-language models (e.g.
Qwen2.5-VL, LLaVA), ``AutoModelForMultimodalLM`` for the audio and omni models it maps (e.g. Qwen2-Audio,
Qwen2.5-Omni). OpenAI-style content parts are turned into the chat template's ``{"type": "image"}`` /
``{"type": "audio"}`` items with the decoded pictures and samples passed to the processor.

Its identity in cache keys is the folder's name, the same as :class:`~emer.llm.backends.TransformersBackend`
gives, so recorded calls replay with the model absent whichever class would have run them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from emer.llm.backends import Answer, BackendError, GenerationSettings, Request
from emer.llm.multimodal import decode_wav, part_payload


def is_multimodal_folder(path: str) -> bool:
    """Whether ``path`` is a local model folder whose config names a vision or audio tower."""
    config = Path(path) / "config.json"
    if not config.is_file():
        return False
    try:
        value = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return any(k in value for k in ("vision_config", "audio_config", "thinker_config"))


def model_class(config) -> Any:
    """The auto class for ``config``: image-text-to-text, else the multimodal LM (audio, omni) mapping."""
    import transformers
    from transformers.models.auto import modeling_auto

    if config.model_type in modeling_auto.MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES:
        return transformers.AutoModelForImageTextToText
    if config.model_type in getattr(modeling_auto, "MODEL_FOR_MULTIMODAL_LM_MAPPING_NAMES", {}):
        return transformers.AutoModelForMultimodalLM
    raise BackendError(
        f"model type {config.model_type!r} is neither an image-text-to-text nor an audio/omni model known "
        "to transformers; give a multimodal chat model (e.g. Qwen2.5-VL, Qwen2-Audio) or use --backend openai"
    )


class MultimodalTransformersBackend:
    """A local multimodal chat model (see the module docstring); one request at a time."""

    kind = "transformers"
    recorded = True
    max_concurrency = 1
    batch_size = 1

    def __init__(self, model: str, name: str | None = None, threads: int | None = None) -> None:
        if not model:
            raise ValueError("the transformers backend needs a model folder or a cached model id")
        self.path = model
        self.model = name or Path(model).name
        self.threads = threads
        self._loaded: tuple[Any, Any] | None = None
        self.model_class = ""

    def load(self) -> tuple[Any, Any]:
        """Processor and model (loaded once)."""
        if self._loaded is None:
            import torch
            from transformers import AutoConfig, AutoProcessor
            from transformers.utils import logging as hf_logging

            if self.threads:
                torch.set_num_threads(int(self.threads))
            hf_logging.disable_progress_bar()
            try:
                config = AutoConfig.from_pretrained(self.path, local_files_only=True)
                auto = model_class(config)
                processor = AutoProcessor.from_pretrained(self.path, local_files_only=True)
                model = auto.from_pretrained(self.path, dtype=torch.float32, local_files_only=True).eval()
            except (OSError, ValueError) as exc:
                raise BackendError(f"cannot load transformers model {self.path!r} ({exc})") from None
            if getattr(processor, "chat_template", None) is None:
                raise BackendError(f"{self.path!r} has no chat template; give a chat (instruct) model")
            self.model_class = type(model).__name__
            self._loaded = (processor, model)
        return self._loaded

    @property
    def sees(self) -> bool:
        return getattr(self.load()[0], "image_processor", None) is not None

    @property
    def hears(self) -> bool:
        return getattr(self.load()[0], "feature_extractor", None) is not None

    def convert(self, request: Request) -> tuple[list[dict], list[Any], list[np.ndarray]]:
        """Chat messages in the processor's format, the images (PIL) and the audio clips (float32)."""
        from PIL import Image

        messages, images, audios = [], [], []
        for message in request.messages:
            content = message.get("content")
            if isinstance(content, str):
                messages.append({"role": message["role"], "content": [{"type": "text", "text": content}]})
                continue
            parts = []
            for part in content:
                payload = part_payload(part)
                if payload is None:
                    parts.append({"type": "text", "text": part.get("text", "")})
                elif payload[0].startswith("image/"):
                    if not self.sees:
                        raise BackendError(f"unsupported modality: {self.model} reads no images")
                    images.append(Image.open(_bytes_io(payload[1])).convert("RGB"))
                    parts.append({"type": "image"})
                elif payload[0].startswith("audio/"):
                    if not self.hears:
                        raise BackendError(f"unsupported modality: {self.model} reads no audio")
                    samples, rate = decode_wav(payload[1])
                    audios.append(_resample(samples, rate, self._audio_rate()))
                    parts.append({"type": "audio"})
                else:
                    raise BackendError(f"unsupported modality: {payload[0]} parts")
            messages.append({"role": message["role"], "content": parts})
        return messages, images, audios

    def _audio_rate(self) -> int:
        extractor = getattr(self.load()[0], "feature_extractor", None)
        return int(getattr(extractor, "sampling_rate", 16000))

    def prompt_text(self, request: Request) -> str:
        """The chat-templated prompt the model sees."""
        processor, _ = self.load()
        messages, _, _ = self.convert(request)
        return processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)

    def complete(self, request: Request, settings: GenerationSettings, timeout_s: float) -> Answer:
        import torch

        processor, model = self.load()
        messages, images, audios = self.convert(request)
        prompt = processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        options: dict[str, Any] = {"text": [prompt], "return_tensors": "pt"}
        if images:
            options["images"] = images
        if audios:
            options["audio"] = audios
            options["sampling_rate"] = self._audio_rate()
        try:
            batch = processor(**options)
        except (ValueError, TypeError) as exc:
            raise BackendError(f"{self.model}: the processor refused the inputs ({exc})") from None
        tokenizer = getattr(processor, "tokenizer", processor)
        sample = settings.temperature > 0
        generation: dict[str, Any] = {"max_new_tokens": int(settings.max_tokens), "do_sample": sample}
        if sample:
            generation["temperature"] = float(settings.temperature)
            torch.manual_seed(int(settings.seed))
        else:
            generation.update(temperature=None, top_p=None, top_k=None)
        started = time.monotonic()
        with torch.no_grad():
            output = model.generate(**batch, pad_token_id=tokenizer.pad_token_id, **generation)
        new = output[0, batch["input_ids"].shape[1] :]
        text = tokenizer.decode(new, skip_special_tokens=True)
        eos = model.generation_config.eos_token_id
        eos = [eos] if isinstance(eos, int) else list(eos or [])
        finished = any(int(t) in eos for t in new) or len(new) < settings.max_tokens
        return Answer(
            text,
            {
                "finish_reason": "stop" if finished else "length",
                "seconds": round(time.monotonic() - started, 3),
                "model_class": self.model_class,
                "images": len(images),
                "audio": len(audios),
                "prompt_tokens": int(batch["input_ids"].shape[1]),
                "torch": torch.__version__,
            },
        )

    def complete_batch(
        self, requests: Sequence[Request], settings: GenerationSettings, timeout_s: float
    ) -> list[Answer]:
        return [self.complete(r, settings, timeout_s) for r in requests]


def _bytes_io(data: bytes):
    import io

    return io.BytesIO(data)


def _resample(samples: np.ndarray, rate: int, target: int) -> np.ndarray:
    """Linear resampling (the WAV we send is already at the extractor's usual 16 kHz)."""
    if rate == target or not samples.size:
        return samples
    count = int(round(len(samples) * target / rate))
    return np.interp(np.linspace(0, len(samples) - 1, count), np.arange(len(samples)), samples).astype(
        np.float32
    )


def describe(backend: MultimodalTransformersBackend) -> Mapping[str, Any]:
    """What the loaded model reads and which class runs it (for notebooks and logs)."""
    backend.load()
    return {
        "model": backend.model,
        "class": backend.model_class,
        "images": backend.sees,
        "audio": backend.hears,
    }
