"""BLEU-1..4 as pycocoevalcap 1.2 computes it.

pycocoevalcap's ``BleuScorer`` arithmetic (clipped n-gram matches, ``closest`` reference length, its
1e-15/1e-9 smoothing, brevity penalty) on sparse count matrices: its pure-Python loops take ~20 s for the
10k long English pairs. Per sample: its smoothed sentence BLEU; corpus: n-gram counts pooled over the
system's samples. Tests check both against ``pycocoevalcap.bleu.Bleu``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from emer.metrics.matching.checks import same_length
from emer.metrics.matching.ngrams import NgramCounts

BLEU_COLUMNS = ["bleu_1", "bleu_2", "bleu_3", "bleu_4"]


def bleu_scores(
    preds: Sequence[str], golds: Sequence[str], counts: NgramCounts | None = None
) -> pd.DataFrame:
    """Per-sample BLEU-1..4 of tokenised texts as pycocoevalcap 1.2's ``BleuScorer`` gives them, with counts.

    pycocoevalcap's sentence-level arithmetic (clipped n-gram matches, ``closest`` reference length,
    its 1e-15/1e-9 smoothing, brevity penalty) on sparse count matrices; a test checks equality with
    ``pycocoevalcap.bleu.Bleu``. Columns: bleu_1..bleu_4, pred_tokens, gold_tokens,
    bleu_match_1..bleu_match_4 (clipped n-gram matches).
    """
    same_length(preds, golds)
    counts = NgramCounts([*preds, *golds]) if counts is None else counts
    hyp, ref = counts.rows(preds), counts.rows(golds)
    pred_len, gold_len = counts.lengths[hyp].astype(float), counts.lengths[ref].astype(float)
    tiny, small = 1e-15, 1e-9
    frame = pd.DataFrame(index=range(len(preds)), columns=BLEU_COLUMNS, dtype=float)
    ratio = (pred_len + tiny) / (gold_len + small)
    brevity = np.where(ratio < 1, np.exp(1 - 1 / np.where(ratio < 1, ratio, 1.0)), 1.0)
    product = np.ones(len(preds))
    matches = []
    for k, matrix in enumerate(counts.matrices[:4], start=1):
        correct = np.asarray(matrix[hyp].minimum(matrix[ref]).sum(axis=1)).ravel()
        guess = np.maximum(0.0, pred_len - k + 1)
        product = product * ((correct + tiny) / (guess + small))
        frame[f"bleu_{k}"] = product ** (1.0 / k) * brevity
        matches.append(correct.astype(np.int64))
    frame["pred_tokens"] = counts.lengths[hyp]
    frame["gold_tokens"] = counts.lengths[ref]
    for k, correct in enumerate(matches, start=1):
        frame[f"bleu_match_{k}"] = correct
    return frame


def corpus_bleu(stats: pd.DataFrame) -> dict[str, float]:
    """Corpus BLEU-1..4 from per-sample counts, as pycocoevalcap's BleuScorer pools them.

    ``stats`` holds pred_tokens, gold_tokens and bleu_match_1..4 of one system's samples.
    """
    values = bleu_of_sums(*bleu_sums(stats, np.zeros(len(stats), dtype=np.int64), 1))[0]
    return {column: float(v) for column, v in zip(BLEU_COLUMNS, values, strict=True)}


def bleu_sums(stats: pd.DataFrame, codes: np.ndarray, n_groups: int) -> tuple[np.ndarray, ...]:
    """Per group: summed prediction length, gold length, guesses (k = 1..4) and clipped matches."""
    pred_len = stats["pred_tokens"].to_numpy(dtype=float)

    def total(values: np.ndarray) -> np.ndarray:
        return np.bincount(codes, weights=values, minlength=n_groups)

    guess = np.stack([total(np.maximum(0.0, pred_len - k + 1)) for k in range(1, 5)], axis=1)
    correct = np.stack([total(stats[f"bleu_match_{k}"].to_numpy(dtype=float)) for k in range(1, 5)], axis=1)
    return total(pred_len), total(stats["gold_tokens"].to_numpy(dtype=float)), guess, correct


def bleu_of_sums(
    test_len: np.ndarray, ref_len: np.ndarray, guess: np.ndarray, correct: np.ndarray
) -> np.ndarray:
    """pycocoevalcap's corpus BLEU-1..4 (groups × 4) from summed counts."""
    tiny, small = 1e-15, 1e-9
    ratio = (test_len + tiny) / (ref_len + small)
    brevity = np.where(ratio < 1, np.exp(1 - 1 / np.where(ratio < 1, ratio, 1.0)), 1.0)
    product = np.cumprod((correct + tiny) / (guess + small), axis=1)
    return product ** (1 / np.arange(1, 5)) * brevity[:, None]
