"""Every metric entry point refuses what it cannot score correctly: bare strings, None/NaN labels,
unknown or repeated samples, Chinese labels with no English equivalent (known ones are put into English)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from emer.labels import IdentityGrouping
from emer.labels.wheel import label_losses, wheel_groupings
from emer.metrics.checks import LabelInputError
from emer.metrics.hitrate import hit_rate_scores, hit_rate_table
from emer.metrics.sets import set_scores
from emer.metrics.wheel import EWScorer

GOLD = {"s1": ["happy", "relaxed"], "s2": ["sad"]}
ONEHOT = {"s1": "happy", "s2": "sad"}


@pytest.fixture(scope="module")
def groupings(data_dir):
    return wheel_groupings(data_dir)


@pytest.fixture(scope="module")
def scorer(groupings):
    return EWScorer(GOLD, groupings)


BAD = [
    ("happy", "the string 'happy', not a list"),
    (None, "labels are None"),
    (math.nan, "labels are nan"),
    (["happy", None], "label None is not a string"),
    (["怅然若失"], "is Chinese and has no English equivalent"),
]


@pytest.mark.parametrize(("labels", "message"), BAD, ids=[m.split()[0] for _, m in BAD])
def test_every_entry_point_refuses_bad_labels(labels, message, scorer, groupings):
    pred = {"s1": labels, "s2": ["sad"]}
    calls = [
        lambda: set_scores(GOLD, pred, IdentityGrouping()),
        lambda: scorer.system_scores(pred),
        lambda: scorer.sample_scores(pd.DataFrame({"sample": list(pred), "labels": list(pred.values())})),
        lambda: hit_rate_scores(ONEHOT, pred, groupings["W1-L1"]),
        lambda: label_losses(pd.DataFrame({"sample": list(pred), "labels": list(pred.values())}), groupings),
    ]
    for call in calls:
        with pytest.raises(LabelInputError, match=f"sample s1: .*{message.split(',')[0][:25]}"):
            call()


def test_known_chinese_labels_are_put_into_english(scorer):
    english = scorer.system_scores({"s1": ["happy", "relaxed"], "s2": ["sad"]})
    chinese = scorer.system_scores({"s1": ["高兴", "relaxed"], "s2": ["悲伤"]})
    pd.testing.assert_frame_equal(english, chinese)
    assert set_scores(GOLD, {"s1": ["高兴"], "s2": []}, IdentityGrouping())["n_hit"].tolist() == [1, 0]


def test_unknown_and_repeated_samples_are_refused(scorer, groupings):
    typo = {"s1": ["happy"], "s2": ["sad"], "s3x": ["sad"]}
    with pytest.raises(LabelInputError, match=r"1 sample\(s\) match no gold sample, first \['s3x'\]"):
        scorer.system_scores(typo)
    with pytest.raises(LabelInputError, match="match no gold sample"):
        set_scores(GOLD, typo, IdentityGrouping())
    with pytest.raises(LabelInputError, match="match no gold sample"):
        hit_rate_scores(ONEHOT, typo, groupings["W1-L1"])
    twice = pd.DataFrame({"system": "a", "sample": ["s1", "s1", "s2"], "labels": [["happy"], ["sad"], []]})
    with pytest.raises(LabelInputError, match=r"\['s1'\] appear more than once"):
        scorer.system_scores(twice)
    with pytest.raises(LabelInputError, match=r"\['s1'\] appear more than once"):
        hit_rate_table(ONEHOT, twice, {"W1-L1": groupings["W1-L1"]})


def test_gold_labels_are_checked_too(groupings):
    with pytest.raises(LabelInputError, match="gold, sample s2: labels are the string 'sad'"):
        EWScorer({"s1": ["happy"], "s2": "sad"}, groupings)
