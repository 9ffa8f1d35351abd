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
# # 06 · One-hot labels versus open-vocabulary labels
#
# Two views of the same 332 clips. (1) The MER2023 one-hot label of each clip read as a one-label
# prediction of its gold OV labels, scored with the set metric under each grouping (no grouping, and the
# twelve emotion-wheel groupings): the paper says one-hot labels have high accuracy but low recall, i.e.
# they are right but miss most of the emotions people see. (2) The hit rate of each MLLM's OV labels
# against the one-hot label: the share of clips whose one-hot label is among the predicted labels after
# both are mapped to wheel level 1 (mean over the five wheels; `neutral` maps nowhere and is skipped,
# as is `surprise` on wheel 5).
#
# Outputs: `table_onehot_as_ov_prediction`, `table_hit_rates`, `table_hit_rate_matrix`;
# `fig_onehot_accuracy_recall`, `fig_hit_rates`.

# %% tags=["parameters"]
profile = "full"
seed = 20230628
limit = 0
data_dir = None
out_dir = "outputs"
revision = "MER2025"

# %%
from emer.analysis.figures import accuracy_recall_figure, hit_rate_figure
from emer.analysis.onehot import hit_rate_matrix, onehot_as_prediction, onehot_gold, system_hit_rates
from emer.analysis.subset import take_samples
from emer.data import load_gold_ov_labels, load_mer2023_labels, load_system_outputs
from emer.labels import IdentityGrouping
from emer.labels.wheel import wheel_groupings
from emer.metrics.hitrate import HIT_RATE_METRICS
from emer.report import save_figure, save_table

run = {
    "notebook": "06_compare_onehot_and_ov",
    "params": {"profile": profile, "seed": seed, "limit": limit, "revision": revision},
}

# %%
gold = take_samples(load_gold_ov_labels(data_dir), limit)
outputs = take_samples(load_system_outputs(data_dir), limit)
onehot = onehot_gold(load_mer2023_labels(data_dir), gold["sample"].tolist())
wheels = wheel_groupings(data_dir, revision=revision)

# %% [markdown]
# ## One-hot labels as predictions of the OV labels

# %%
scores = onehot_as_prediction(gold, onehot, {"none": IdentityGrouping(), **wheels})
save_table(scores, "table_onehot_as_ov_prediction", out_dir, **run)
fig = accuracy_recall_figure(scores)
save_figure(fig, "fig_onehot_accuracy_recall", out_dir)
scores.round(3)

# %%
# NBVAL_CHECK_OUTPUT
print(
    f"accuracy above recall under {int((scores['accuracy'] > scores['recall']).sum())} of "
    f"{len(scores)} groupings; mean accuracy {scores['accuracy'].mean():.3f}, "
    f"mean recall {scores['recall'].mean():.3f}"
)

# %% [markdown]
# ## Hit rate of the MLLMs' OV labels on the one-hot label

# %%
hit_rates = system_hit_rates(outputs, onehot, {m: wheels[m] for m in HIT_RATE_METRICS})
save_table(hit_rates, "table_hit_rates", out_dir, **run)
matrix = hit_rate_matrix(hit_rates)
save_table(matrix, "table_hit_rate_matrix", out_dir, **run, digits=2)
fig = hit_rate_figure(matrix)
save_figure(fig, "fig_hit_rates", out_dir)
matrix.round(2)
