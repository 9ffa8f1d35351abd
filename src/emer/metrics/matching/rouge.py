"""ROUGE-L as pycocoevalcap's ``Rouge`` computes it (LCS of whitespace tokens, F-measure with beta 1.2),
with a bit-parallel LCS instead of its O(n·m) Python table; a test checks equality."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from emer.metrics.matching.checks import same_length


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence of two token lists (bit-parallel, Hyyrö 2004)."""
    if not a or not b:
        return 0
    masks: dict[str, int] = {}
    for i, token in enumerate(b):
        masks[token] = masks.get(token, 0) | (1 << i)
    full = (1 << len(b)) - 1
    v = full
    for token in a:
        match = masks.get(token)
        if match:
            u = v & match
            v = ((v + u) | (v - u)) & full
    return len(b) - v.bit_count()


def rouge_l_scores(preds: Sequence[str], golds: Sequence[str], beta: float = 1.2) -> np.ndarray:
    """Per-sample ROUGE-L of tokenised texts, as pycocoevalcap's ``Rouge.calc_score`` (one reference)."""
    same_length(preds, golds)
    scores = np.zeros(len(preds))
    for i, (pred, gold) in enumerate(zip(preds, golds, strict=True)):
        tokens_p, tokens_g = pred.split(" "), gold.split(" ")
        lcs = lcs_length(tokens_g, tokens_p)
        precision, recall = lcs / len(tokens_p), lcs / len(tokens_g)
        if precision and recall:
            scores[i] = (1 + beta**2) * precision * recall / (recall + beta**2 * precision)
    return scores
