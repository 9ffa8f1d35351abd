"""Set-level metrics of open-vocabulary labels (MER2024 / EMER definition).

Per sample, with G the gold set and P the predicted set after grouping:
``accuracy = |G ∩ P| / |P|`` (0 when P is empty) and ``recall = |G ∩ P| / |G|``. Samples whose
grouped gold set is empty cannot be scored and are marked ``skipped``. Means over scored samples give
Accuracy_s and Recall_s; Avg is their mean and F1 the harmonic mean of the two means (all NaN when no
sample is scored).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from emer.labels.grouping import Grouping
from emer.metrics.checks import known_samples, label_lists

SCORE_COLUMNS = ["sample", "n_gold", "n_pred", "n_hit", "accuracy", "recall", "skipped"]


def set_scores(
    gold: Mapping[str, Iterable[str]],
    pred: Mapping[str, Iterable[str]],
    grouping: Grouping,
    chinese: str = "translate",
) -> pd.DataFrame:
    """Per-sample scores for every gold sample, sorted by sample name.

    ``gold`` and ``pred`` map a sample name to its labels (already parsed and lower-cased).
    A gold sample without a prediction is an error: a missing answer is not an empty answer.
    """
    known_samples(gold, pred)
    gold, pred = label_lists(gold, "gold", chinese), label_lists(pred, chinese=chinese)
    missing = sorted(set(gold) - set(pred))
    if missing:
        raise KeyError(
            f"{len(missing)} gold sample(s) have no prediction, first {missing[:3]}; "
            "give an empty label list for samples the system answered with no label."
        )
    rows = []
    for sample in sorted(gold):
        g = grouping.canonical(gold[sample], sample)
        p = grouping.canonical(pred[sample], sample)
        hit = len(g & p)
        skipped = not g
        rows.append(
            {
                "sample": sample,
                "n_gold": len(g),
                "n_pred": len(p),
                "n_hit": hit,
                "accuracy": float("nan") if skipped else (hit / len(p) if p else 0.0),
                "recall": float("nan") if skipped else hit / len(g),
                "skipped": skipped,
            }
        )
    return pd.DataFrame(rows, columns=SCORE_COLUMNS)


def summarise_set_scores(scores: pd.DataFrame) -> dict[str, float]:
    """Accuracy_s, Recall_s, Avg and F1 over the scored (not skipped) samples."""
    scored = scores[~scores["skipped"]]
    accuracy = float(scored["accuracy"].mean()) if len(scored) else float("nan")
    recall = float(scored["recall"].mean()) if len(scored) else float("nan")
    if not len(scored):
        f1 = float("nan")  # no scored sample: no score (not 0)
    else:
        f1 = 2 * accuracy * recall / (accuracy + recall) if accuracy + recall > 0 else 0.0
    return {
        "accuracy": accuracy,
        "recall": recall,
        "avg": (accuracy + recall) / 2,
        "f1": f1,
        "n_scored": int(len(scored)),
        "n_skipped": int(scores["skipped"].sum()),
    }
