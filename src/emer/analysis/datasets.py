"""Descriptive statistics of the EMER datasets (notebook 00)."""

from __future__ import annotations

from collections import Counter

import pandas as pd

from emer.data.lengths import text_length

PARTS = ("video", "audio", "text")


def description_lengths(parts: pd.DataFrame) -> pd.DataFrame:
    """Long table of lengths: sample, language, part (whole/video/audio/text), unit, length.

    ``parts`` is :func:`emer.data.load_emer_v2_parts`; samples whose split failed count only as whole.
    """
    rows = []
    for row in parts.itertuples(index=False):
        unit = "characters" if row.language == "zh" else "words"
        texts = {p: getattr(row, p) for p in PARTS}
        whole = " ".join(texts.values()) if row.language == "en" else "".join(texts.values())
        rows.append((row.sample, row.language, "whole", unit, text_length(whole, row.language)))
        if row.status != "failed":
            rows += [
                (row.sample, row.language, p, unit, text_length(t, row.language)) for p, t in texts.items()
            ]
    return pd.DataFrame(rows, columns=["sample", "language", "part", "unit", "length"])


def split_summary(parts: pd.DataFrame) -> pd.DataFrame:
    """Samples per language and split status (clean / relaxed / failed)."""
    counts = parts.groupby(["language", "status"]).size().unstack(fill_value=0)
    for status in ("clean", "relaxed", "failed"):
        if status not in counts:
            counts[status] = 0
    counts = counts[["clean", "relaxed", "failed"]].reset_index()
    counts["total"] = counts[["clean", "relaxed", "failed"]].sum(axis=1)
    return counts


def label_frequency(labels: pd.Series) -> pd.DataFrame:
    """Label, count and share of samples carrying it, most frequent first (ties by label)."""
    counts = Counter(label for row in labels for label in set(row))
    table = pd.DataFrame(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])), columns=["label", "samples"])
    table["share"] = table["samples"] / len(labels)
    return table


def dataset_statistics(
    v1: pd.DataFrame,
    parts: pd.DataFrame,
    gold_labels: pd.DataFrame,
    mer2023: pd.DataFrame,
) -> pd.DataFrame:
    """One long table (dataset, language, statistic, value) of the numbers that describe the data."""
    rows: list[tuple[str, str, str, float]] = []
    for language, group in v1.groupby("language"):
        rows.append(("EMER-v1", language, "samples", len(group)))
        lengths = group["description"].map(lambda t, lang=language: text_length(t, lang))
        rows.append(("EMER-v1", language, "description length, mean", float(lengths.mean())))
    lengths = description_lengths(parts)
    for (language, part), group in lengths.groupby(["language", "part"]):
        rows.append(("EMER-v2", language, f"{part} length, mean", float(group["length"].mean())))
        rows.append(("EMER-v2", language, f"{part} length, median", float(group["length"].median())))
    for language, group in parts.groupby("language"):
        rows.append(("EMER-v2", language, "samples", len(group)))
        for status in ("clean", "relaxed", "failed"):
            rows.append(("EMER-v2", language, f"split {status}", int((group["status"] == status).sum())))
    n_labels = gold_labels["labels"].map(len)
    rows += [
        ("EMER-v2 OV labels", "en", "samples", len(gold_labels)),
        ("EMER-v2 OV labels", "en", "labels per sample, mean", float(n_labels.mean())),
        ("EMER-v2 OV labels", "en", "labels per sample, min", int(n_labels.min())),
        ("EMER-v2 OV labels", "en", "labels per sample, max", int(n_labels.max())),
        (
            "EMER-v2 OV labels",
            "en",
            "distinct labels",
            len({x for row in gold_labels["labels"] for x in row}),
        ),
    ]
    labels = mer2023.set_index("sample")["label"]
    for dataset, samples in (("EMER-v1", v1["sample"].unique()), ("EMER-v2", parts["sample"].unique())):
        counts = labels.reindex(sorted(samples)).value_counts()
        for label, count in sorted(counts.items()):
            rows.append((dataset, "-", f"MER2023 label {label}", int(count)))
    table = pd.DataFrame(rows, columns=["dataset", "language", "statistic", "value"])
    table["value"] = table["value"].astype(float)
    return table
