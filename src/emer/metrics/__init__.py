"""Emotion-based metrics over label sets."""

from emer.metrics.sets import set_scores, summarise_set_scores

__all__ = ["set_scores", "summarise_set_scores"]
