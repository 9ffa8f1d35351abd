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
# # 09 · Check the offline extractor's fidelity to the field's LLM extractor
#
# Every EMER score starts by extracting open-vocabulary labels from a description. The field does it with
# an LLM (Qwen2.5-7B-Instruct at temperature 0.7); `emer`'s offline backend does it without a model. The
# released `-openset.npz` files are that LLM's labels of the 30 released description sets (10 MLLMs ×
# S0/S1/S2), so the question "does the offline extractor rank systems as the LLM does?" can be measured:
# for each set, M-avg (emotion-wheel metrics against the gold OV labels) from the labels our extractor
# draws from the released descriptions vs from the released labels.
#
# **The split.** `dev_systems` (5 of the 10 MLLMs, all three settings, drawn once with a seed before any
# result was seen) is the only data the new extractor was designed or fitted on; the other five MLLMs are
# the held-out test, reported separately. The protocol refuses to run when an extractor was fitted on a
# system this split holds out, unless the extractor is named in `seen_allowed`: the old `lexicon`
# extractor's vocabulary calibration used all 30 sets, so its held-out rows are flagged `saw_held_out`
# (optimistic for it).
#
# **The extractors.** `lexicon` (the default until now): every non-negated emotion word of the lexicon.
# `selector` (the new default): the same candidates, kept only when a logistic regression fitted on the
# development split says the description concludes with them (features: sentence position, conclusion
# and inference cues, a declared "emotional state is …", hedging, quotes, "such as" lists, how often the
# LLM kept that phrase). A description that names no state but quotes the person's words gets the state
# those words express, read by a naive Bayes classifier fitted on the MER2023 `test3` subtitles (a split no
# benchmark scores, disjoint from the gold sets), when it is as sure as a threshold calibrated on the
# development split (the fallback fires as often as the LLM labels such descriptions there). Everything is
# fitted from the public files at run time; the weights are printed below.
#
# **What changed in `selector-2`, and why.** The first selector missed one held-out target (one S1 system
# beyond the 2.5-point bound). Its worst rows were on the development split: Qwen-Audio S1 (far below the
# released M-avg), whose descriptions often only quote the speaker, sometimes in Chinese, and which the LLM
# labels from the quoted words; and Qwen-Audio S2 (above it), whose descriptions declare "the character's
# emotional state is X" and then reason through other states the LLM does not keep. Version 2 adds the
# speech fallback and two declaration features for these, and two rule fixes seen in development texts (a
# negation reaches along a coordination, "no signs of distress or agitation"; "the content of the video"
# is not the state *content*). They were designed on the development split only and measured once on the
# held-out systems. Those held-out rows had been seen when version 1 was reported, so they are not
# untouched: they tell how version 2 generalises, not a first look.
#
# **The second held-out test**: the 332 gold EMER-v2 descriptions scored against the gold OV labels (the
# paper's "EMER (Multi)" input); nothing was tuned on them. Chinese descriptions have no released LLM
# extraction, so this protocol says nothing about them: the selector hands Chinese text to the lexicon's
# rules unchanged, and its Chinese rows below equal the lexicon's.
#
# Outputs: `table_extractor_fidelity`, `table_extractor_fidelity_summary`, `table_extractor_fidelity_gold`,
# `table_selector_weights`.

# %% tags=["parameters"]
profile = "full"
seed = 20230628
limit = 0
data_dir = None
out_dir = "outputs"
dev_systems = ["LLaMA-VID", "Otter", "Qwen-Audio", "SALMONN", "Video-LLaVA"]
seen_allowed = ["lexicon"]
revision = "MER2025"
grouping = "wheel"
llm_cache_dir = "outputs/cache"

# %%
import pandas as pd

from emer.analysis.ablation import MULTI, Extractor, extract_combinations, label_vocabulary, score_sets
from emer.analysis.fidelity import (
    extract_released,
    fidelity_summary,
    fidelity_table,
    fit_systems,
    split_systems,
    targets_met,
)
from emer.analysis.subset import take_samples
from emer.data import load_emer_v2_parts, load_gold_ov_labels, load_system_outputs
from emer.labels.selector import feature_weights
from emer.labels.synonyms import build_grouping
from emer.labels.wheel import wheel_groupings
from emer.llm import make_runner
from emer.report import project_path, save_table

llm_cache_dir = project_path(llm_cache_dir)  # relative to the repository root, wherever the kernel runs

run = {
    "notebook": "09_check_extractor_fidelity",
    "params": {
        "profile": profile,
        "seed": seed,
        "limit": limit,
        "dev_systems": dev_systems,
        "seen_allowed": seen_allowed,
        "revision": revision,
        "grouping": grouping,
    },
}

# %%
new = make_runner("offline", cache_dir=llm_cache_dir, data_dir=data_dir, extractor="selector")
old = make_runner("offline", cache_dir=llm_cache_dir, data_dir=data_dir, extractor="lexicon")
split = split_systems(
    dev_systems, {"selector": fit_systems(new), "lexicon": fit_systems(old)}, seen_allowed=seen_allowed
)
selector = new.backend.selector
print(f"selector: {new.label}")
print(f"fitted on {list(selector.fitted_on)}: {selector.n_train} candidates in {selector.fit_seconds:.1f} s")
pd.Series(split, name="split").to_frame()

# %% [markdown]
# ## The fitted selector
# Each feature's weight in the logistic regression (log-odds per unit; the features are 0/1 flags except
# `prior_logit`, `log_count`, `position`, `log_candidates`, `log_sentences_after`, `share_last_sentence`).

# %%
weights = feature_weights(selector)
save_table(weights, "table_selector_weights", out_dir, **run)
weights

# %% [markdown]
# ## Per released set: M-avg from the released labels and from ours
# `delta` = ours − released (points); `agree_f_l1`, `agree_f_l2`: the per-sample F of our labels against
# the released ones on the five wheels at level 1 and 2 (mean over samples; samples whose released labels
# map nowhere are skipped).

# %%
released = take_samples(load_system_outputs(data_dir), limit)
gold_table = take_samples(load_gold_ov_labels(data_dir), limit)
gold = dict(zip(gold_table["sample"], gold_table["labels"], strict=True))
ew = wheel_groupings(data_dir, revision=revision)
extracted = pd.concat(
    [extract_released(new, released, "selector"), extract_released(old, released, "lexicon")],
    ignore_index=True,
)
table = fidelity_table(released, extracted, gold, ew, split, seen=seen_allowed)
save_table(table, "table_extractor_fidelity", out_dir, **run)
table.round(2)

# %% [markdown]
# ## Summary: development beside held-out
# Per split and setting (and `all` three pooled): mean and max |Δ M-avg|, the mean Δ, and the Spearman
# and Kendall correlations of the two M-avg over the split's (system, setting) rows.

# %%
summary = fidelity_summary(table)
save_table(summary, "table_extractor_fidelity_summary", out_dir, **run)
summary.round(3)

# %% [markdown]
# The targets on the held-out systems, all three settings pooled (mean |Δ| ≤ 1.0, max |Δ| ≤ 2.5,
# Spearman ≥ 0.95), for each extractor:

# %%
pd.concat(
    {"selector": targets_met(summary, "selector"), "lexicon": targets_met(summary, "lexicon")},
    names=["extractor"],
).round(3)

# %% [markdown]
# ## The second held-out test: the 332 gold descriptions
# Each extractor reads the whole gold description (V+A+T, as in notebook 03's `table_ov_extraction`) in
# English and Chinese; its labels are scored against the gold OV labels: set metric after the `grouping`
# synonym grouping (`avg`) and the EW M-avg (percent).

# %%
parts = take_samples(load_emer_v2_parts(data_dir), limit)
on_gold = pd.concat(
    [
        extract_combinations(Extractor("selector", new, languages=("en", "zh")), parts, [MULTI]),
        extract_combinations(Extractor("lexicon", old, languages=("en", "zh")), parts, [MULTI]),
    ],
    ignore_index=True,
)
gold_grouping = build_grouping(grouping, label_vocabulary(gold, on_gold), data_dir, llm_cache_dir)
gold_scores = score_sets(on_gold, gold, gold_grouping, ew)
save_table(gold_scores, "table_extractor_fidelity_gold", out_dir, **run)
new.cache.close()
old.cache.close()
gold_scores

# %% [markdown]
# A check nbval compares on every run (smoke profile in CI): the split and the pooled rows.

# %%
# NBVAL_CHECK_OUTPUT
print(sorted(split.items()))
print(summary[summary["setting"] == "all"][["extractor", "split", "n_rows"]].to_string(index=False))
