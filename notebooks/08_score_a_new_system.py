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
# # 08 · Score a new system
#
# What `emer score` does for a model nobody has scored yet, run on two inputs treated as new systems:
# the MER2024 example prediction (`predict-openset.csv`: labels only, scored directly) and Chat-UniVi's
# released S0 *descriptions* (`name2reason`), whose labels are extracted here by the chosen backend
# (offline by default) instead of being taken from the release. Both are scored on the 332 OV-MERD samples
# with the emotion-wheel metrics, the set metrics and the hit rate on the MER2023 label, each with a 95%
# bootstrap interval over samples, and compared with the 30 released baselines (10 MLLMs × S0/S1/S2, their
# released labels) by paired bootstrap and approximate randomization with Holm's correction.
# The same from a terminal: `emer score my_model.csv --out runs/my_model`.
#
# The scorecard is defined on the whole gold set, so `limit` is not applied. Matching metrics (METEOR,
# embeddings) are left out by default here (`metrics`) to keep the notebook fast; `emer score` computes
# them for description inputs.
#
# Outputs: `table_score_systems`, `table_score_leaderboard`, `table_score_paired_tests`;
# `fig_score_leaderboard`.

# %% tags=["parameters"]
profile = "full"
seed = 20230628
limit = 0
data_dir = None
out_dir = "outputs"
predictions = [
    "data:MERTools/MER2024/ov_store/predict-openset.csv",
    "Chat-UniVi S0 (re-extracted)=data:AffectGPT-2025/OV-MER/output/results-ovmerd/Chat-UniVi/"
    "output-reason-7b-nosubtitle-eng.npz",
]
dataset = "ovmerd"
backend = "offline"
model = ""
base_url = ""
metrics = "ew,sets,hitrate"
draws = 1000
llm_cache_dir = "outputs/cache/score"

# %%
from emer.analysis.leaderboard import leaderboard_figure
from emer.report import project_path, save_figure, save_table
from emer.scoring import Extractor, score

run = {
    "notebook": "08_score_a_new_system",
    "params": {
        "profile": profile,
        "seed": seed,
        "predictions": predictions,
        "dataset": dataset,
        "backend": backend,
        "model": model,
        "metrics": metrics,
        "draws": draws,
    },
}

# %%
extractor = Extractor(backend=backend, model=model, base_url=base_url, cache_dir=project_path(llm_cache_dir))
card = score(
    predictions,
    dataset,
    data_dir=data_dir,
    metrics=tuple(metrics.split(",")),
    n_boot=draws,
    seed=seed,
    extractor=extractor,
)
card

# %% [markdown]
# ## The scorecard: every score of the submitted systems, with its interval (percent)

# %%
scores = card.scores()
save_table(scores, "table_score_systems", out_dir, **run, digits=2)
scores.round(2)

# %%
# NBVAL_CHECK_OUTPUT
print(card.signature)

# %% [markdown]
# ## The leaderboard
# Every system ranked on M-avg; submitted systems in red; a hollow marker means the difference from the top
# system is not significant (Holm-corrected approximate randomization over the comparisons with the top).

# %%
save_table(card.leaderboard, "table_score_leaderboard", out_dir, **run, digits=2)
fig = leaderboard_figure(card.leaderboard, metric_label=card.rank_by)
save_figure(fig, "fig_score_leaderboard", out_dir)
card.leaderboard.round(2)

# %% [markdown]
# ## Paired tests of each submitted system against every baseline and each other
# `delta` is submitted minus baseline (points), `low`/`high` its paired-bootstrap interval, `p_holm` the
# Holm-adjusted randomization p over that system's family of comparisons (at least 10 m / α randomization
# draws for a family of m comparisons, so a verdict is never decided by the draws' floor).

# %%
save_table(card.paired, "table_score_paired_tests", out_dir, **run, digits=4)
card.paired[card.paired["family"] != "top vs others"].round(4)

# %% [markdown]
# The re-extracted Chat-UniVi S0 row and the released `Chat-UniVi S0` baseline score the same descriptions;
# their difference is the extractor's alone (our offline lexicon against the authors' Qwen2.5 run), which
# notebook 03 measures over every released system.

# %%
print("\n".join(card.notes))
