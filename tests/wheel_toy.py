"""A toy emotion-wheel resource set shared by test_wheel.py and test_hitrate.py."""

from __future__ import annotations

from emer.labels.wheel import WheelTables, wheel_level_maps

# A toy resource set. Wheel 1 (also used as wheels 3-5) and wheel 2, as (level1, level2, level3) rows.
WHEEL1 = [
    ("happy", "playful", "brave"),
    ("happy", "content", "pleased"),
    ("mad", "angry", "furious"),
    ("scared", "anxious", "worried"),
]
WHEEL2 = [("fearful", "anxious", "scared"), ("happy", "content", "glad"), ("angry", "mad", "furious")]
FORMAT = {
    "happy": ("happy",),
    "happiness": ("happy",),
    "glad": ("glad",),
    "angry": ("angry",),
    "anger": ("angry",),
    "mad": ("mad",),
    "fear": ("fear", "fearless"),  # like MER2025 format.csv: `fear` is also listed as a form of `fearless`
    "fearless": ("fearless",),
    "scared": ("scared",),
    "don’t care": ("don’t care",),
    "at a loss": ("at a loss",),
}
SYNONYMS = {
    "happy": ("happy",),
    "glad": ("glad", "happy"),
    "angry": ("angry", "mad"),
    "mad": ("mad",),
    "fear": ("scared",),
    "scared": ("scared",),
    "fearless": ("brave",),
    "don’t care": ("indifferent",),
    "at a loss": ("confused",),
}


def toy_tables(level1_at_level2: str = "first-child") -> WheelTables:
    wheel_maps = {}
    for k in (1, 2, 3, 4, 5):
        inner, middle = wheel_level_maps(WHEEL2 if k == 2 else WHEEL1, level1_at_level2)
        wheel_maps[f"W{k}-L1"], wheel_maps[f"W{k}-L2"] = inner, middle
    return WheelTables("toy", FORMAT, SYNONYMS, wheel_maps, level1_at_level2)
