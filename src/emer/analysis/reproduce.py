"""Published-vs-ours rows for the study's report (notebook 07)."""

from __future__ import annotations

import pandas as pd

from emer.analysis.subset import limit_samples
from emer.data import load_gold_ov_labels, load_mer2024_prediction, load_recorded_groups
from emer.data.loaders import DataDir
from emer.labels import RecordedGroups
from emer.metrics import set_scores, summarise_set_scores
from emer.reference import load_published

REPORT_COLUMNS = [
    "ref",
    "artefact",
    "system",
    "metric",
    "variant",
    "published",
    "ours",
    "delta",
    "source",
    "note",
]


def mer2024_example_scores(data_dir: DataDir = None, parse: str = "clean", limit: int | None = None) -> dict:
    """Set metrics of the MER2024 example prediction under the recorded GPT-3.5 groups."""
    gold = load_gold_ov_labels(data_dir, parse=parse)
    pred = load_mer2024_prediction(data_dir, parse=parse)
    samples = limit_samples(gold["sample"].tolist(), limit)
    grouping = RecordedGroups(load_recorded_groups(samples, data_dir), name="gpt-3.5-groups")
    gold_map = dict(zip(gold["sample"], gold["labels"], strict=True))
    pred_map = dict(zip(pred["sample"], pred["labels"], strict=True))
    scores = set_scores({s: gold_map[s] for s in samples}, {s: pred_map[s] for s in samples}, grouping)
    return summarise_set_scores(scores)


def reproduce_r1(data_dir: DataDir = None, limit: int | None = None) -> pd.DataFrame:
    """R1 (MER2024 example) with the legacy quote-splitting parse and with the clean parse."""
    published = load_published("R1").set_index("metric")
    rows = []
    for variant in ("legacy", "clean"):
        ours = mer2024_example_scores(data_dir, parse=variant, limit=limit)
        for metric in ("accuracy", "recall", "avg"):
            ref = published.loc[metric]
            rows.append(
                {
                    "ref": "R1",
                    "artefact": ref["artefact"],
                    "system": ref["system"],
                    "metric": metric,
                    "variant": f"{variant} parse",
                    "published": float(ref["value"]),
                    "ours": ours[metric],
                    "delta": ours[metric] - float(ref["value"]),
                    "source": ref["source"],
                    "note": "",
                }
            )
    return pd.DataFrame(rows, columns=REPORT_COLUMNS)


def why_not_recomputed(ref: str, system: str, metric: str) -> str:
    """Why a published figure has no recomputed counterpart."""
    if ref == "R2" and system == "PCC with GPT":
        return "correlation with the GPT column, whose judge (GPT-3.5) is retired"
    if ref == "R2" and metric == "GPT":
        return "GPT-3.5 grouping judge retired; the EW columns are its offline replacement"
    if ref == "R2":
        return "no released outputs for this model"
    if ref == "R3":
        return "GPT-grouped figure from a third-party transcription; judge retired"
    if ref == "R5":
        return "MER-UniBench: no released outputs of this model on this dataset"
    return "not recomputed"


def report_rows(reproduced: list[pd.DataFrame]) -> pd.DataFrame:
    """The full report: every published figure once, reproduced rows first-class, the rest with a note."""
    done = pd.concat(reproduced, ignore_index=True)
    published = load_published()
    keys = set(zip(done["ref"], done["system"], done["metric"], strict=True))
    rest = []
    for row in published.itertuples(index=False):
        if (row.ref, row.system, row.metric) in keys:
            continue
        rest.append(
            {
                "ref": row.ref,
                "artefact": row.artefact,
                "system": row.system,
                "metric": row.metric,
                "variant": "",
                "published": float(row.value),
                "ours": float("nan"),
                "delta": float("nan"),
                "source": row.source,
                "note": why_not_recomputed(row.ref, row.system, row.metric),
            }
        )
    return pd.concat([done, pd.DataFrame(rest, columns=REPORT_COLUMNS)], ignore_index=True)
