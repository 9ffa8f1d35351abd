"""CIDEr-D as pycocoevalcap's ``Cider`` computes it (n = 1..4, sigma 6, clipping, x10), on sparse matrices;
a test checks equality.

Corpus-dependent: document frequencies come from the gold descriptions of all samples scored for the same
(system, setting), so a per-sample value depends on the sample set; every system here is scored on the same
samples, hence with the same IDF. Its Gaussian penalty on the length difference (sigma = 6 tokens) drives it
to ~0 whenever prediction and gold differ in length by more than ~20 tokens, which is common for these long
descriptions.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse

from emer.metrics.matching.checks import same_length
from emer.metrics.matching.ngrams import NgramCounts


def cider_d_scores(
    preds: Sequence[str],
    golds: Sequence[str],
    groups: Sequence[Sequence[int]] | None = None,
    sigma: float = 6.0,
    counts: NgramCounts | None = None,
) -> np.ndarray:
    """Per-sample CIDEr-D of tokenised texts, one reference each, as pycocoevalcap 1.2's ``Cider``.

    Each group of positions (default: all) is one corpus: its gold texts give the document
    frequencies. pycocoevalcap's arithmetic (n = 1..4, tf-idf with log(max(1, df)), clipping
    min(hyp, ref) * ref, Gaussian penalty on the difference of bigram counts with ``sigma``, x10) is
    computed on sparse matrices; a test checks equality with ``pycocoevalcap.cider.Cider``.
    """
    same_length(preds, golds)
    if not preds:
        return np.zeros(0)
    groups = [np.arange(len(preds))] if groups is None else [np.asarray(g, dtype=np.int64) for g in groups]
    counts = NgramCounts([*preds, *golds]) if counts is None else counts
    pred_rows, gold_rows = counts.rows(preds), counts.rows(golds)
    scores = np.full(len(preds), np.nan)
    for positions in groups:
        hyp_rows, ref_rows = pred_rows[positions], gold_rows[positions]
        log_n = np.log(float(len(positions)))
        total = np.zeros(len(positions))
        bigrams = counts.matrices[1]
        bigram_gap = np.asarray(bigrams[hyp_rows].sum(axis=1) - bigrams[ref_rows].sum(axis=1)).ravel()
        penalty = np.exp(-(bigram_gap**2) / (2 * sigma**2))
        for matrix in counts.matrices:
            df = np.asarray((matrix[ref_rows] > 0).sum(axis=0)).ravel()
            idf = sparse.diags(log_n - np.log(np.maximum(1.0, df)))
            hyp, ref = matrix[hyp_rows] @ idf, matrix[ref_rows] @ idf
            norm_hyp = np.sqrt(np.asarray(hyp.multiply(hyp).sum(axis=1)).ravel())
            norm_ref = np.sqrt(np.asarray(ref.multiply(ref).sum(axis=1)).ravel())
            value = np.asarray(hyp.minimum(ref).multiply(ref).sum(axis=1)).ravel()
            both = (norm_hyp != 0) & (norm_ref != 0)
            value[both] /= norm_hyp[both] * norm_ref[both]
            total += value * penalty
        scores[positions] = total / len(counts.matrices) * 10.0
    return scores
