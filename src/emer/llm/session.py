"""Building a runner from notebook parameters.

Where the calls are recorded (the rule of :mod:`emer.llm.cache`): a ``cache_dir`` naming the project's
cache folder (``outputs/cache``, the default) reads the committed ``llm-calls.sqlite`` but never writes
into it; the calls a run makes (any backend, any model: a user's own server, another local model, other
settings of the recorded one) go to the user's cache, ``$EMER_CACHE_DIR/llm/llm-calls.sqlite``. Only
``write_project=True`` (``emer record-calls --into-project``) records into the committed file. Any other
``cache_dir`` is used as given.
"""

from __future__ import annotations

import os

from emer.llm.backends import MAX_ANSWER_BYTES, GenerationSettings, make_backend
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
    top_p: float | None = None,
    repetition_penalty: float | None = None,
    timeout_s: float = 120.0,
    retries: int = 3,
    concurrency: int = 4,
    batch_size: int = 8,
    data_dir: str | os.PathLike | None = None,
    grouping: str = "wheel",
    progress: bool = False,
    max_answer_bytes: int = MAX_ANSWER_BYTES,
    write_project: bool = False,
    extractor: str = "selector",
) -> LLMRunner:
    """A runner for ``backend`` (offline, openai, transformers) with its call cache.

    In replay mode no model is loaded or contacted: a transformers backend loads its weights only when a
    call is not in the cache (and replay mode refuses such calls first). ``max_answer_bytes`` caps a
    server's answer; ``write_project`` lets the calls be recorded into the committed cache file;
    ``extractor`` picks the offline OV-label extractor (``selector`` or ``lexicon``; see
    :mod:`emer.llm.offline`).
    """
    options = (
        {"data_dir": data_dir, "grouping": grouping, "cache_dir": cache_dir, "extractor": extractor}
        if backend == "offline"
        else {}
    )
    chosen = make_backend(
        backend,
        model,
        base_url,
        max_concurrency=concurrency,
        batch_size=batch_size,
        max_answer_bytes=max_answer_bytes,
        **options,
    )
    return LLMRunner(
        chosen,
        open_cache(cache_dir, cache_mode, write_project=write_project),
        GenerationSettings(temperature, max_tokens, seed, top_p, repetition_penalty),
        RunSettings(timeout_s, retries, concurrency=concurrency, progress=progress),
    )
