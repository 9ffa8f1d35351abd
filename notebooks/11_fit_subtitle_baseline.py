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
# # 11 · Fit a subtitle baseline for MER-UniBench
#
# What does the subtitle alone achieve on MER-UniBench, computed on a laptop? For each dataset with public
# labels and transcripts (MER2023 test1, MELD, IEMOCAP, CMU-MOSI, CH-SIMS, CH-SIMS v2) a subtitle model is
# fitted: the all-MiniLM-L6-v2 embedding of the English subtitle (the bundled offline model) and a softmax
# regression fitted by Newton's method on the training split, its penalty `C` chosen by the log-loss on a
# validation part (the official one; IEMOCAP: session 4; MER2023: a fifth of train by name), the test split
# never read before it is scored. The EMER-v1 and EMER-v2 samples (MER2023 training samples) are left out
# of every fit. Its `subtitle-baseline` row is scored by `emer score --dataset mer-unibench` beside a
# `majority-class` and a `lexicon` baseline (the NRC / DUTIR reading of the current lexical clue), with
# 95% bootstrap intervals, and compared on each test split by paired bootstrap and approximate
# randomization (Holm). Development (validation) figures stand beside the test ones. The same model reads
# the subtitle in `emer explain`'s lexical clue. Design and figures: `docs/subtitle_model.md`.
#
# Embeddings and fitted models are cached by content hash under `cache_dir`; a cold run embeds about
# 30,000 subtitles (a few minutes on one core). `limit` keeps the first N samples of each fit and
# validation part (the smoke profile); the test splits are always whole.
#
# Outputs: `table_subtitle_baseline` (columns as `tables/unibench.csv`), `table_subtitle_baseline_wide`,
# `table_subtitle_baseline_development`, `table_subtitle_baseline_paired`, `table_subtitle_models`,
# `table_subtitle_model_selection`.

# %% tags=["parameters"]
profile = "full"
seed = 20230628
limit = 0
data_dir = None
out_dir = "outputs"
corpora = ["mer2023", "meld", "iemocap", "cmumosi", "sims", "simsv2"]
n_boot = 1000
cache_dir = "outputs/cache/subtitle-model"

# %%
from emer.analysis.subtitle_baseline import subtitle_baseline
from emer.report import project_path, save_table

run = {
    "notebook": "11_fit_subtitle_baseline",
    "params": {"profile": profile, "seed": seed, "limit": limit, "corpora": corpora, "n_boot": n_boot},
}

# %% [markdown]
# ## Fit, label, score
# One model per label space (MER2023's six classes, MELD's seven, IEMOCAP's four, positive / negative for
# the sentiment datasets). On the hit-rate datasets every system answers one class other than `neutral`
# (the field skips neutral gold and never credits a neutral answer); on the sentiment datasets one
# sentiment.

# %%
result = subtitle_baseline(
    corpora, data_dir=data_dir, cache_dir=project_path(cache_dir), n_boot=n_boot, seed=seed, limit=limit
)
save_table(result.table, "table_subtitle_baseline", out_dir, **run, digits=2)
save_table(result.wide, "table_subtitle_baseline_wide", out_dir, **run, digits=2)
save_table(result.development, "table_subtitle_baseline_development", out_dir, **run, digits=2)
save_table(result.paired, "table_subtitle_baseline_paired", out_dir, **run, digits=4)
save_table(result.models, "table_subtitle_models", out_dir, **run, digits=4)
save_table(result.selection, "table_subtitle_model_selection", out_dir, **run, digits=3)

# %% [markdown]
# ## Per dataset: validation and test, and the paired verdicts
# The verdict is the paired test of `subtitle-baseline` against each baseline on the test split (Holm over
# the two comparisons of each dataset).

# %%
# NBVAL_CHECK_OUTPUT
print(result.per_dataset().round(2).to_string(index=False))

# %% [markdown]
# ## The MER-UniBench row
# The field's layout: the headline of each dataset (hit rate; sentiment weighted F1) and their mean over
# the six datasets scored (not the published nine-dataset mean).

# %%
result.wide.round(2)

# %%
result.paired.round(4)

# %% [markdown]
# ## The models
# Sizes of the fit, validation and test parts, the penalty chosen, and the validation log-loss of every
# penalty tried. For IEMOCAP and MER2023, whose validation part is training data, the model is fitted again
# on the whole training split with the chosen penalty (`n fit` counts it).

# %%
result.models

# %%
result.selection.pivot_table(index="C", columns="dataset", values="val_log_loss", sort=False)

# %%
print(result.signature)
