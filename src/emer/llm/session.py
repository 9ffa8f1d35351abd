"""Building a runner from notebook parameters."""

from __future__ import annotations

import os

from emer.llm.backends import GenerationSettings, make_backend
from emer.llm.cache import open_cache
from emer.llm.runner import LLMRunner, RunSettings


def make_runner(
    backend: str = "offline",
    model: str = "",
    base_url: str = "",
    cache_dir: str | os.PathLike | None = "outputs/cache",
    cache_mode: str = "read-write",
    temperature: float = 0.0,
    max_tokens: int = 256,
    seed: int = 0,
    timeout_s: float = 120.0,
    retries: int = 3,
    concurrency: int = 4,
    batch_size: int = 8,
    data_dir: str | os.PathLike | None = None,
    grouping: str = "wheel",
    progress: bool = False,
    extractor: str = "selector",
) -> LLMRunner:
    """A runner for ``backend`` (offline, openai, transformers) with its call cache.

    ``extractor`` picks the offline OV-label extractor (``selector`` or ``lexicon``; see
    :mod:`emer.llm.offline`). In replay mode no model is loaded or contacted: a transformers backend
    loads its weights only when a call is not in the cache (and replay mode refuses such calls first).
    """
    options = (
        {"data_dir": data_dir, "grouping": grouping, "cache_dir": cache_dir, "extractor": extractor}
        if backend == "offline"
        else {}
    )
    chosen = make_backend(
        backend, model, base_url, max_concurrency=concurrency, batch_size=batch_size, **options
    )
    return LLMRunner(
        chosen,
        open_cache(cache_dir, cache_mode),
        GenerationSettings(temperature, max_tokens, seed),
        RunSettings(timeout_s, retries, concurrency=concurrency, progress=progress),
    )
