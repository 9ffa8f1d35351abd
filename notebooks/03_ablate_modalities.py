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
# # 03 · Ablate the modalities
#
# Open-vocabulary (OV) labels are extracted from the gold EMER-v2 clue parts — video (V), audio (A), text
# (T), their pairs, and all three (V+A+T, "EMER (Multi)") — and scored against the gold OV labels with the
# set metric (after synonym grouping) and the emotion-wheel M-avg. The paper reports that the three
# modalities together beat every single modality and pair.
#
# Extractors: the offline backend always; the chosen backend when it is not offline; and every backend in
# `cached_backends`, replayed from the call cache (`cache_dir`) wherever all of its calls are recorded. No
# model is loaded or contacted for a replayed backend. The offline backend's `extractor` is the `selector`
# by default: the candidates of an emotion lexicon built from the released emotion-wheel resources
# (negation, absence and other people's emotions handled), kept only when a small classifier says the
# description concludes with them. `extractor = "lexicon"` keeps every non-negated emotion word instead.
#
# **What changed, and why.** Until now the offline extractor was the `lexicon`. Notebook 09 measures both
# against the field's LLM extractor on the released descriptions: the lexicon took every emotion word a
# description mentions on its way to a conclusion, which on long reasoning texts (the released S2) gave
# about three times the LLM's labels and a different ranking of the systems. The selector was designed and
# fitted on a development split of five released MLLMs only; notebook 09 reports it on the five held-out
# ones and on the gold descriptions. Every table here changes with it; `extractor = "lexicon"` reproduces
# the earlier ones.
#
# **The T rows are not text-only evidence.** The gold text part restates the visual and acoustic clues and
# carries the description's overall inference ("Based on the facial expression … and the tone …, we can
# infer …"), so T, V+T and A+T see much of what V and A contribute. Expect T to come close to V+A+T.
#
# The `lexicon`'s vocabulary is calibrated on all the released MLLM outputs (their descriptions and the labels
# the authors' LLM extracted from them), never on the gold labels; its rules were chosen while looking at
# the same 332 gold descriptions scored here, so its figures are somewhat optimistic. The `selector` uses
# the development split of the released outputs only, and nothing was tuned on the gold descriptions.
#
# Outputs: `table_modality_ablation`, `table_ov_extraction`, `table_ov_extraction_groupings`,
# `table_s2_ours`; `fig_modality_ablation`.

# %% tags=["parameters"]
profile = "full"
seed = 20230628
limit = 0
data_dir = None
out_dir = "outputs"
cache_dir = "outputs/cache"
backend = "offline"
extractor = "selector"
model = ""
base_url = ""
cache_mode = "read-write"
temperature = 0.0
max_tokens = 256
timeout_s = 120.0
retries = 3
concurrency = 4
batch_size = 8
languages = ["en", "zh"]
combinations = ["V", "A", "T", "V+A", "V+T", "A+T", "V+A+T"]
cached_backends = []
grouping = "wheel"
compare_groupings = ["identity", "wheel", "embedding"]
embedding_threshold = 0.7
s2_systems = []

# %%
import pandas as pd

from emer.analysis.ablation import (
    MULTI,
    S2_OURS,
    ablation_extractors,
    ablation_figure,
    chosen_runner,
    close_extractors,
    describe_extractors,
    extraction_comparison,
    grouping_comparison,
    label_vocabulary,
    our_s2_outputs,
    reextract,
    run_ablation,
    score_sets,
    subtitle_strategy_scores,
)
from emer.analysis.subset import take_samples
from emer.data import load_emer_v2_parts, load_gold_ov_labels, load_system_outputs
from emer.labels.synonyms import build_grouping, groupings_for
from emer.labels.wheel import wheel_groupings
from emer.report import project_path, save_figure, save_table

cache_dir = project_path(cache_dir)  # relative to the repository root, wherever the kernel runs

run = {
    "notebook": "03_ablate_modalities",
    "params": {
        "profile": profile,
        "seed": seed,
        "limit": limit,
        "backend": backend,
        "extractor": extractor,
        "model": model,
        "temperature": temperature,
        "max_tokens": max_tokens,
        "languages": languages,
        "cached_backends": cached_backends,
        "grouping": grouping,
        "compare_groupings": compare_groupings,
        "embedding_threshold": embedding_threshold,
    },
}
main_backend = {
    "backend": backend,
    "extractor": extractor,
    "model": model,
    "base_url": base_url,
    "cache_dir": cache_dir,
    "cache_mode": cache_mode,
    "temperature": temperature,
    "max_tokens": max_tokens,
    "seed": seed,
    "timeout_s": timeout_s,
    "retries": retries,
    "concurrency": concurrency,
    "batch_size": batch_size,
    "data_dir": data_dir,
    "languages": languages,
}

# %%
parts = take_samples(load_emer_v2_parts(data_dir), limit)
gold_table = take_samples(load_gold_ov_labels(data_dir), limit)
gold = dict(zip(gold_table["sample"], gold_table["labels"], strict=True))
extractors = ablation_extractors(main_backend, cached_backends)
describe_extractors(extractors)

# %% [markdown]
# ## The ablation
# Set metrics are computed after the `grouping` synonym grouping, built once over every gold and predicted
# label; all figures are percentages. Failed or malformed answers count as empty label sets.

# %%
labels = run_ablation(extractors, parts, combinations)
vocabulary = label_vocabulary(gold, labels)
main_grouping = build_grouping(grouping, vocabulary, data_dir, cache_dir, embedding_threshold)
ew = wheel_groupings(data_dir)
ablation = score_sets(labels, gold, main_grouping, ew)
save_table(ablation, "table_modality_ablation", out_dir, **run)
ablation

# %%
fig = ablation_figure(ablation)
save_figure(fig, "fig_modality_ablation", out_dir)

# %% [markdown]
# Reading the ablation: an extractor that takes every emotion word it finds (`lexicon`) turns the V and A
# parts mostly into labels the gold set does not hold (more labels per sample, lower accuracy, a little
# more recall). Whether V+A+T beats T therefore depends on the extractor as much as on the clues; the
# paper's finding was made with an LLM extractor that picks the concluding states, which is what the
# `selector` imitates (compare the `labels_per_sample` column across extractors and combinations).

# %%
describe_extractors(extractors)[["extractor", "notes"]]

# %% [markdown]
# ## The extraction comparison: whole gold descriptions
# Each extractor reads the whole gold description (V+A+T) of every sample it covers; its labels are scored
# against the gold labels. An extractor replayed on the first N samples only is shown beside the offline
# extractor on the same N samples; notebook 09 shows the `lexicon` and the `selector` side by side. The
# published "EMER (Multi)" row used GPT-3.5 extraction and GPT-3.5 grouping (R3, a third-party
# transcription): an upper bound none of these extractors is expected to reach.

# %%
comparison = extraction_comparison(labels, gold, extractors, main_grouping, ew)
save_table(comparison, "table_ov_extraction", out_dir, **run)
comparison

# %%
groupings = groupings_for(compare_groupings, vocabulary, data_dir, cache_dir, embedding_threshold)
by_grouping = grouping_comparison(labels[labels["combination"] == MULTI], gold, groupings)
save_table(by_grouping, "table_ov_extraction_groupings", out_dir, **run)
by_grouping

# %% [markdown]
# ## S2 of our own
# Each released S0 description (made without the subtitle) is merged with its subtitle by the chosen
# backend, and labels are extracted from the merged text by the same backend. For a fair comparison, the
# released S0 and S2 descriptions are also run through the same extraction (`S0 text, ours labels`, `S2 text,
# ours labels`); the released labels (`S0`, `S2`) were extracted by the authors' LLM. With the offline backend
# the merge is a template (the description followed by the quoted subtitle), so `S2-ours` measures what the
# subtitle's own words add. How far `S2 text, ours labels` sits from `S2` is the extractor's own error on
# long reasoning texts; notebook 09 measures it per system, on held-out systems.

# %%
s2_runner = chosen_runner(extractors)
ours = our_s2_outputs(s2_runner, s2_runner, data_dir, s2_systems, limit)
released = take_samples(load_system_outputs(data_dir), limit)
released = released[released["setting"].isin(["S0", "S2"])]
released = released[released["system"].isin(sorted(set(ours["system"])))]
outputs = pd.concat([released, reextract(s2_runner, released, "ours"), ours], ignore_index=True)
strategies = subtitle_strategy_scores(outputs, gold, main_grouping, ew)
save_table(strategies, "table_s2_ours", out_dir, **run)
strategies[strategies["system"] == "mean of systems"]

# %%
ours.attrs["status"]

# %%
close_extractors(extractors)

# %% [markdown]
# A check nbval compares on every run (smoke profile in CI): the ablation's headline columns.

# %%
# NBVAL_CHECK_OUTPUT
headline = ["extractor", "language", "combination", "n_samples", "avg", "ew_m_avg"]
print(ablation[headline].to_string(index=False))
print(S2_OURS, len(ours))
