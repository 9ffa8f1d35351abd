"""The subtitle model's features: all-MiniLM-L6-v2 sentence embeddings, the same bits on every CPU.

float32 embeddings differ between CPUs (up to 3.6e-7 measured between this machine's AVX-512 and AVX2 code
paths), and a fit passes that on to every weight and probability: enough, with 10,000 decisions per table,
to move one whose two best classes are within 1e-5 of each other (the closest here: 7e-6). So each value
is rounded to a multiple of :data:`QUANTUM`, and a text with a float32 value within :data:`GUARD` of a
rounding boundary is encoded again in float64 (the same on any CPU to ~1e-15) before it is rounded, as
:mod:`emer.metrics.matching.similarity` does for its cosines.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from contextlib import contextmanager

import numpy as np

from emer.metrics.matching.similarity import SentenceEncoder

#: Threads for the sentence encoder: on a shared 2-core machine one thread encoded 2.7x faster than two,
#: and it is the setting the tables are checked under (.ci/run).
ENCODE_THREADS = 1
#: The size of an all-MiniLM-L6-v2 embedding.
DIMENSION = 384
#: Embedding values are rounded to multiples of this (2^-7; validation log-loss within ±0.002 of the
#: unrounded values' on every corpus) ...
QUANTUM = 2.0**-7
#: ... and a text with a float32 value this close to a rounding boundary is encoded again in float64 first
#: (about 17% of texts). Measured: float32 values differ by up to 3.6e-7 between CPUs and 2.6e-7 from float64.
GUARD = 2e-6


@contextmanager
def _threads(n: int):
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def embed(texts: Sequence[str], encoder: SentenceEncoder, cache_dir: str | os.PathLike | None) -> np.ndarray:
    """Sentence embeddings (n, 384), each value a multiple of :data:`QUANTUM` (module docstring,
    "Precision"); the zero vector for an empty text. The non-empty texts are encoded as one set (cached as
    one file under ``cache_dir``)."""
    texts = [str(t).strip() for t in texts]
    full = np.zeros((len(texts), DIMENSION))
    rows = [i for i, t in enumerate(texts) if t]
    if rows:
        words = [texts[i] for i in rows]
        with _threads(ENCODE_THREADS):
            vectors = encoder.encode(words, cache_dir=cache_dir).astype(np.float64)
            scaled = vectors / QUANTUM
            near = np.flatnonzero((np.abs(scaled - np.floor(scaled) - 0.5) < GUARD / QUANTUM).any(axis=1))
            if len(near):
                again = encoder.encode([words[i] for i in near], cache_dir=cache_dir, precision="float64")
                vectors[near] = np.asarray(again, dtype=np.float64)
        full[rows] = np.round(vectors / QUANTUM) * QUANTUM
    return full
