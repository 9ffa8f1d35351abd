"""CH-SIMS (test): 457 Chinese utterances, sentiment in [-1, 1]."""

from functools import partial

from emer.data.datasets._affectgpt import affectgpt_baseline
from emer.data.datasets._sentiment import sentiment_spec

DATASETS = (
    sentiment_spec(
        "sims",
        "CH-SIMS",
        "sims-process",
        457,
        (-1.0, 1.0),
        "CH-SIMS",
        "CH-SIMS (thuiar) is for research use under its own terms",
        baselines=partial(affectgpt_baseline, "sims"),
    ),
)
