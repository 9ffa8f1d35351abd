"""CMU-MOSI (test): 686 English opinion-video utterances, sentiment in [-3, 3]."""

from functools import partial

from emer.data.datasets._affectgpt import affectgpt_baseline
from emer.data.datasets._sentiment import sentiment_spec

DATASETS = (
    sentiment_spec(
        "cmumosi",
        "CMU-MOSI",
        "cmumosi-process",
        686,
        (-3.0, 3.0),
        "CMU-MOSI",
        "CMU-MOSI is distributed by CMU MultiComp under its own terms",
        baselines=partial(affectgpt_baseline, "cmumosi"),
    ),
)
