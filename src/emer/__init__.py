"""emer: a reproducible study and toolkit for Explainable Multimodal Emotion Recognition."""

from emer.version import __version__

__all__ = ["__version__", "score"]


def score(*args, **kwargs):
    """Score predictions on an EMER gold set: :func:`emer.scoring.score` (imported on first use)."""
    from emer.scoring import score as _score

    return _score(*args, **kwargs)
