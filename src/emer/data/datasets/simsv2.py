"""CH-SIMS v2 (test): 1,034 Chinese utterances, sentiment in [-1, 1]."""

from emer.data.datasets._sentiment import sentiment_spec

DATASETS = (
    sentiment_spec(
        "simsv2",
        "CH-SIMS v2",
        "simsv2-process",
        1034,
        (-1.0, 1.0),
        "CH-SIMS v2",
        "CH-SIMS v2 (thuiar) is for research use under its own terms",
    ),
)
