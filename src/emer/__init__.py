"""emer: a reproducible study and toolkit for Explainable Multimodal Emotion Recognition."""

__version__ = "0.1.0"


def score(*args, **kwargs):
    """Score predictions on an EMER gold set: :func:`emer.scoring.score` (imported on first use)."""
    from emer.scoring import score as _score

    return _score(*args, **kwargs)
