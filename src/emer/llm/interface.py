"""What every LLM backend shares: a :class:`Request` in, an :class:`Answer` out, the
:class:`GenerationSettings` that enter the cache key, the two kinds of failure and the :class:`Backend`
protocol the runner calls. The backends themselves are in :mod:`emer.llm.backends` and
:mod:`emer.llm.offline`, :mod:`emer.llm.local_multimodal`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

#: The largest response body read from a server (64 KiB: a label list is a few dozen bytes, a merged
#: description a few KiB); a longer answer is an error, never cached.
MAX_ANSWER_BYTES = 64 * 1024


class BackendError(RuntimeError):
    """A call failed in a way that retrying will not fix."""


class TransientError(BackendError):
    """A call failed in a way that a retry may fix (timeout, connection, 5xx, 429, malformed response).

    ``retry_after``: the seconds the server asked to wait (its ``Retry-After``), None when it did not say.
    """

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class GenerationSettings:
    """Settings that change what a model answers; they are part of every cache key."""

    temperature: float = 0.0
    max_tokens: int = 256
    seed: int = 0
    top_p: float | None = None  # None: the server's / model's default
    repetition_penalty: float | None = None  # None: none (vLLM and transformers read it; 1.0 = off)

    def key(self) -> dict[str, Any]:
        """The cache-key part; greedy decoding (temperature 0) ignores the seed, so it is left out, and
        unset options are left out (so keys made before they existed stay valid)."""
        key: dict[str, Any] = {"temperature": float(self.temperature), "max_tokens": int(self.max_tokens)}
        if self.temperature > 0:
            key["seed"] = int(self.seed)
        if self.top_p is not None:
            key["top_p"] = float(self.top_p)
        if self.repetition_penalty is not None:
            key["repetition_penalty"] = float(self.repetition_penalty)
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
