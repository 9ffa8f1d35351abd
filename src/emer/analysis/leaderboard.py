"""The leaderboard figure, owned by :mod:`emer.scoring.leaderboard`; re-exported here for the notebooks."""

from emer.scoring.leaderboard import (
    BASELINE_COLOUR,
    LEADERBOARD_COLUMNS,
    SUBMITTED_COLOUR,
    leaderboard_figure,
)

__all__ = ["BASELINE_COLOUR", "LEADERBOARD_COLUMNS", "SUBMITTED_COLOUR", "leaderboard_figure"]
