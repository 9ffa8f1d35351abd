"""1- to 4-gram counts of tokenised texts as sparse matrices, shared by BLEU and CIDEr-D."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse


def _ngram_matrices(texts: Sequence[str], n: int = 4) -> list[sparse.csr_matrix]:
    """Count matrices of the k-grams (k = 1..n) of whitespace-tokenised texts (one row per text)."""
    vocab: dict[str, int] = {}
    docs = [np.array([vocab.setdefault(w, len(vocab)) for w in t.split()], dtype=np.int64) for t in texts]
    lengths = np.array([len(d) for d in docs], dtype=np.int64)
    tokens = np.concatenate(docs) if docs else np.zeros(0, dtype=np.int64)
    doc_of = np.repeat(np.arange(len(docs)), lengths)
    end_of = np.repeat(np.cumsum(lengths), lengths)  # one past the last token of each token's text
    start = np.arange(len(tokens))
    gram = tokens
    matrices = []
    for k in range(1, n + 1):
        if k > 1:  # id of the k-gram at i = unique id of (id of the (k-1)-gram at i, token i+k-1)
            _, gram = np.unique(gram[:-1] * (len(vocab) + 1) + tokens[k - 1 :], return_inverse=True)
        valid = start[: len(gram)] + k <= end_of[: len(gram)]
        width = int(gram.max()) + 1 if len(gram) else 0
        counts = sparse.csr_matrix(
            (np.ones(int(valid.sum())), (doc_of[: len(gram)][valid], gram[valid])), shape=(len(docs), width)
        )
        counts.sum_duplicates()
        matrices.append(counts)
    return matrices


class NgramCounts:
    """1- to 4-gram counts of a set of tokenised texts, as pycocoevalcap's ``precook`` counts them.

    ``matrices[k - 1]`` has one row per distinct text and one column per distinct k-gram; BLEU and
    CIDEr-D share one instance when scoring the same texts.
    """

    def __init__(self, texts: Sequence[str], n: int = 4) -> None:
        self.texts = sorted(set(texts))
        self._row = {text: i for i, text in enumerate(self.texts)}
        self.matrices = _ngram_matrices(self.texts, n)
        self.lengths = np.array([len(t.split()) for t in self.texts], dtype=np.int64)

    def rows(self, texts: Sequence[str]) -> np.ndarray:
        """Row of each text (each must be one of the counted texts)."""
        return np.array([self._row[t] for t in texts], dtype=np.int64)
