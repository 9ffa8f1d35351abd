"""MER-UniBench as published against MER-UniBench recomputed: the published row beside ours, and what each
of the field's hidden choices moves (notebook 10)."""

from __future__ import annotations

import os
from collections.abc import Sequence

import pandas as pd

from emer.analysis.reproduce import REPORT_COLUMNS
from emer.reference import load_published
from emer.scoring.families import Choices
from emer.scoring.scorecard import require_full_set
from emer.scoring.unibench import FROM_DESCRIPTIONS, HEADLINES, Unibench, score_unibench

#: The field's choices and their alternatives: keyword arguments of :func:`score_unibench`, and the
#: headline each one can move (None: every one).
VARIANTS = {
    "as published (defaults)": ({}, None),
    "--neutral class": ({"choices": Choices(neutral="class")}, "hit rate"),
    "--revision MER2026": ({"revision": "MER2026"}, "hit rate"),
    "--sentiment strict": ({"choices": Choices(sentiment="strict")}, "sentiment WAF"),
}


def published_beside(result: Unibench, system: str, published_as: str) -> pd.DataFrame:
    """Per dataset scored: the published figure of ``published_as`` (R5), ours under each selection for
    the released labels and for the description route, and the delta of our best-on-test."""
    for dataset, coverage in result.coverage.items():
        require_full_set(coverage, f"the published {published_as} figure on {dataset}")
    published = load_published("R5")
    published = published[published["system"] == published_as].set_index("metric")["value"]
    table = result.table[result.table["metric"].isin(HEADLINES)]
    rows = []
    for dataset, part in table.groupby("dataset", sort=False):
        value = part.set_index(["system", "selection"])["value"]
        checkpoint = part.set_index(["system", "selection"])["checkpoint"]
        row = {
            "dataset": dataset,
            "metric": part["metric"].iloc[0],
            "published": float(published.get(dataset, float("nan"))),
            "ours best-on-test": value.get((system, "best-on-test")),
            "checkpoint chosen": checkpoint.get((system, "best-on-test")),
            "ours last": value.get((system, "last")),
            "ours mean": value.get((system, "mean")),
        }
        row["delta"] = row["ours best-on-test"] - row["published"]
        described = system + FROM_DESCRIPTIONS
        for selection in ("best-on-test", "last", "mean"):
            row[f"from descriptions {selection}"] = value.get((described, selection), float("nan"))
        rows.append(row)
    return pd.DataFrame(rows)


def choice_effects(
    roots: Sequence[str], data_dir: str | os.PathLike | None = None, n_boot: int = 0, seed: int = 0
) -> pd.DataFrame:
    """The headline of every dataset and selection under each of :data:`VARIANTS` (those it can move),
    and its change from the field's defaults (points)."""
    frames = []
    for variant, (options, moves) in VARIANTS.items():
        result = score_unibench(
            roots, data_dir=data_dir, beside=False, chinese="keep", n_boot=n_boot, seed=seed, **options
        )
        table = result.table[result.table["metric"].isin([moves] if moves else HEADLINES)]
        frames.append(table.assign(variant=variant))
    frame = pd.concat(frames, ignore_index=True)
    keys = ["system", "dataset", "selection"]
    default = frame[frame["variant"] == "as published (defaults)"].set_index(keys)["value"]
    frame["change"] = frame["value"].to_numpy() - default.reindex(frame.set_index(keys).index).to_numpy()
    columns = ["variant", "system", "dataset", "metric", "selection", "checkpoint", "value", "change"]
    return frame[columns]


#: The published row whose released outputs are in the public data, and where they are.
RELEASED_ROW = "AffectGPT (A+V+T)"
RELEASED_ROOT = "AffectGPT=data:AffectGPT-2025/AffectGPT/output"


def reproduce_r5(data_dir: str | os.PathLike | None = None) -> pd.DataFrame:
    """R5 rows of the paper-vs-ours report (notebook 07): the published AffectGPT (A+V+T) figure of each
    dataset with released outputs beside ours from those outputs, chosen as the published table chose
    (the best of the released checkpoints on the test labels)."""
    result = score_unibench([RELEASED_ROOT], data_dir=data_dir, beside=False, chinese="keep", n_boot=0)
    published = load_published("R5")
    published = published[published["system"] == RELEASED_ROW].set_index("metric")
    best = result.table[
        (result.table["selection"] == "best-on-test") & result.table["metric"].isin(HEADLINES)
    ]
    rows = []
    for row in best.itertuples(index=False):
        ref = published.loc[row.dataset]
        rows.append(
            {
                "ref": "R5",
                "artefact": ref["artefact"],
                "system": RELEASED_ROW,
                "metric": row.dataset,
                "variant": f"released labels, best checkpoint on the test labels ({row.checkpoint})",
                "published": float(ref["value"]),
                "ours": row.value,
                "delta": row.value - float(ref["value"]),
                "source": ref["source"],
                "note": f"{row.metric}; notebook 10 has the other selections and the offline route",
            }
        )
    return pd.DataFrame(rows, columns=REPORT_COLUMNS)
