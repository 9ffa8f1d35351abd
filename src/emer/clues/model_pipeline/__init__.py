"""Explanations of clips by multimodal models: the paper's pipeline and the MLLM baselines.

- ``emer``: the frames to a vision model (visual clue), the audio to an audio-capable model or to the
  CPU prosody reading (acoustic clue), then the subtitle read with both clues by a text LLM (lexical clue
  and inference); the three are joined as "In the video, … In the audio, … In the text, …" (or
  ``在视频中…；在音频中…；在文本中…；``). One setting, ``emer``.
- ``direct``: one multimodal call per clip describing it and inferring the emotional state, under S0 (no
  subtitle) and S1 (subtitle in the prompt); S2 merges the S0 answer with the subtitle by the text LLM.

Each stage names its own backend (``openai``: any OpenAI-compatible server; ``transformers``: a local
model; the audio stage also ``cpu``: the prosody reading, or ``same``: the vision model hears the audio
too). Every call goes through the call cache (payloads keyed by their sha256), so a run replays with no
server and no model. Outputs under ``<out>``: ``model/<pipeline>/<setting>/<clip>.json`` (status,
description, stage answers, payload sizes, timings), ``model/<pipeline>/summary.csv`` and
``predictions-<setting>.jsonl`` (``{"name", "description"}`` per clip whose status is ok), which
``emer score`` reads.

Modules: :mod:`.settings` (stages and settings), :mod:`.payloads` (a clip's frames and audio),
:mod:`.stages` (one stage's backend and results), :mod:`.pipelines` (``emer`` and ``direct``),
:mod:`.records` (records, summary, predictions), :mod:`.dry_run`, :mod:`.run` (:func:`run_model_explain`).
Every name is importable from here.
"""

from emer.clues.model_pipeline.dry_run import dry_run
from emer.clues.model_pipeline.payloads import ClipMedia, load_clip_media
from emer.clues.model_pipeline.pipelines import ModelPipeline
from emer.clues.model_pipeline.records import (
    SUMMARY_COLUMNS,
    model_record_path,
    read_predictions,
    write_predictions,
)
from emer.clues.model_pipeline.run import run_model_explain
from emer.clues.model_pipeline.settings import (
    AUDIO_BACKENDS,
    DIRECT_SETTINGS,
    MODEL_PIPELINE_VERSION,
    PIPELINES,
    STAGE_BACKENDS,
    ModelSettings,
    Stage,
    model_stages,
)
from emer.clues.model_pipeline.stages import stage_backend

__all__ = [
    "AUDIO_BACKENDS",
    "DIRECT_SETTINGS",
    "MODEL_PIPELINE_VERSION",
    "PIPELINES",
    "STAGE_BACKENDS",
    "SUMMARY_COLUMNS",
    "ClipMedia",
    "ModelPipeline",
    "ModelSettings",
    "Stage",
    "dry_run",
    "load_clip_media",
    "model_record_path",
    "model_stages",
    "read_predictions",
    "run_model_explain",
    "stage_backend",
    "write_predictions",
]
