"""CMU-MOSEI (test): 4,659 English opinion-video utterances, sentiment in [-3, 3]."""

from emer.data.datasets._sentiment import sentiment_spec

DATASETS = (
    sentiment_spec(
        "cmumosei",
        "CMU-MOSEI",
        "cmumosei-process",
        4659,
        (-3.0, 3.0),
        "CMU-MOSEI",
        "CMU-MOSEI is distributed by CMU MultiComp under its own terms",
    ),
)
