"""emer: a reproducible study and toolkit for Explainable Multimodal Emotion Recognition."""

__version__ = "0.1.0"
