"""``--dry-run``: what a model pipeline would send, per clip and first stage; nothing is called."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import pandas as pd

from emer.clues.media import Clip
from emer.clues.model_pipeline.payloads import load_clip_media
from emer.clues.model_pipeline.pipelines import ModelPipeline
from emer.llm.multimodal import payload_summary


def dry_run(pipeline: ModelPipeline, clips: Sequence[Clip], stream=None) -> pd.DataFrame:
    """What would be sent, per clip and first stage: images, bytes, audio, prompt; nothing is called."""
    stream = stream or sys.stdout
    rows, shown = [], set()
    for clip in clips:
        media = load_clip_media(clip, pipeline.settings.media)
        requests = pipeline.first_requests([media])
        for stage, batch in requests.items():
            for request in batch:
                rows.append({"clip": clip.clip, "stage": stage, **payload_summary(request.messages)})
                if stage not in shown:
                    shown.add(stage)
                    from emer.llm.multimodal import message_text

                    print(
                        f"--- {stage} prompt ({request.task}, {clip.clip}) ---\n"
                        + message_text(request.messages),
                        file=stream,
                    )
        if not any(requests.values()):
            rows.append(
                {
                    "clip": clip.clip,
                    "stage": "-",
                    "images": 0,
                    "image_bytes": 0,
                    "audio_parts": 0,
                    "audio_bytes": 0,
                    "request_bytes": 0,
                }
            )
    later = {
        "emer": "lexical_clue (text LLM) after the visual and acoustic answers",
        "direct": "S2 merge (text LLM) after the S0 answer",
    }[pipeline.pipeline]
    print(f"--- then: {later} ---", file=stream)
    return pd.DataFrame(rows)
