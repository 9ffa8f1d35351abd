"""A fast stand-in for the sentence encoder in tests of the subtitle model."""

from __future__ import annotations

import hashlib

import numpy as np

from emer.clues.subtitle_features import DIMENSION


class HashEncoder:
    """A stand-in for all-MiniLM-L6-v2: a fixed unit vector per text (from its sha256), plus a direction
    per emotion word, so that a fit has something to learn. Counts the texts it encodes."""

    name = "hash-encoder"

    def __init__(self) -> None:
        self.encoded = 0

    def encode(self, texts, cache_dir=None, precision="float32"):
        self.encoded += len(texts)
        rows = []
        for text in texts:
            seed = int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)
            vector = np.random.default_rng(seed).normal(size=DIMENSION) * 0.1
            for k, word in enumerate(("happy", "angry", "sad", "good", "bad")):
                vector[k] += text.lower().count(word)
            rows.append(vector / np.linalg.norm(vector))
        return np.asarray(rows, dtype=np.float32)
