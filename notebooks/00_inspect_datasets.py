# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (emer)
#     language: python
#     name: emer
# ---

# %% [markdown]
# # 00 · Inspect the datasets
#
# What the public EMER data holds: EMER-v1 (100 samples) and EMER-v2 (332 samples) gold descriptions in
# English and Chinese, their split into video / audio / text parts, the gold open-vocabulary (OV) labels,
# and the MER2023 one-hot labels of the same samples.
#
# Outputs: `table_dataset_statistics`, `table_description_split`, `table_gold_label_frequency`;
# `fig_label_frequency`, `fig_labels_per_sample`, `fig_description_length_by_modality`.

# %% tags=["parameters"]
profile = "full"
seed = 20230628
limit = 0
data_dir = None
out_dir = "outputs"
top_labels = 30

# %%
import pandas as pd

from emer.analysis.datasets import dataset_statistics, description_lengths, label_frequency, split_summary
from emer.analysis.figures import description_length_figure, label_frequency_figure, labels_per_sample_figure
from emer.analysis.subset import take_samples
from emer.data import (
    load_emer_v1,
    load_emer_v2_parts,
    load_gold_ov_labels,
    load_mer2023_labels,
    load_mer2024_prediction,
)
from emer.report import save_figure, save_table

run = {"notebook": "00_inspect_datasets", "params": {"profile": profile, "seed": seed, "limit": limit}}

# %%
v1 = take_samples(load_emer_v1(data_dir), limit)
parts = take_samples(load_emer_v2_parts(data_dir), limit)
gold = take_samples(load_gold_ov_labels(data_dir), limit)
example = take_samples(load_mer2024_prediction(data_dir), limit)
mer2023 = load_mer2023_labels(data_dir)

# %% [markdown]
# ## How the gold descriptions split into modality parts
# `clean`: the standard markers were found; `relaxed`: a variant marker was accepted (e.g. "The subtitle in
# the text says"). The notes list the artifacts handled on the way (stray `Input:`, `Output:` copies).

# %%
split_table = split_summary(parts)
save_table(split_table, "table_description_split", out_dir, **run)
split_table

# %%
parts.loc[parts["note"] != "", ["sample", "language", "status", "note"]].value_counts(
    ["language", "status", "note"]
).rename("samples").reset_index()

# %% [markdown]
# ## Dataset statistics
# Lengths are in words (English) and characters (Chinese).

# %%
statistics = dataset_statistics(v1, parts, gold, mer2023)
save_table(statistics, "table_dataset_statistics", out_dir, **run, digits=2)
statistics

# %% [markdown]
# ## Gold OV labels

# %%
frequency = label_frequency(gold["labels"])
save_table(frequency, "table_gold_label_frequency", out_dir, **run)
fig = label_frequency_figure(frequency, top_labels, f"Most frequent gold OV labels ({len(gold)} samples)")
save_figure(fig, "fig_label_frequency", out_dir)

# %%
counts = pd.concat(
    [
        pd.DataFrame({"source": "gold (check-openset)", "labels_per_sample": gold["labels"].map(len)}),
        pd.DataFrame(
            {"source": "MER2024 example prediction", "labels_per_sample": example["labels"].map(len)}
        ),
    ],
    ignore_index=True,
)
fig = labels_per_sample_figure(counts)
save_figure(fig, "fig_labels_per_sample", out_dir)

# %% [markdown]
# ## Description length by modality

# %%
fig = description_length_figure(description_lengths(parts))
save_figure(fig, "fig_description_length_by_modality", out_dir)

# %% [markdown]
# A check nbval compares on every run (smoke profile in CI): the split counts.

# %%
# NBVAL_CHECK_OUTPUT
print(split_table.to_string(index=False))
