"""Scoring new systems on EMER: ``emer score`` and :func:`emer.scoring.score` (:mod:`emer.scoring.core`)."""

from emer.scoring.core import ScoreOptions, score
from emer.scoring.extraction import PRESETS, Extractor
from emer.scoring.families import Choices
from emer.scoring.inputs import PredictionError, read_prediction
from emer.scoring.scorecard import Scorecard

__all__ = [
    "PRESETS",
    "Choices",
    "Extractor",
    "PredictionError",
    "ScoreOptions",
    "Scorecard",
    "read_prediction",
    "score",
]
