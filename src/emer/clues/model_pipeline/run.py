"""Running a model pipeline over a folder of clips: resumption, chunks of clips, records, predictions and
the summary table."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pandas as pd

from emer.clues.media import Clip, find_clips
from emer.clues.model_pipeline.dry_run import dry_run
from emer.clues.model_pipeline.payloads import load_clip_media
from emer.clues.model_pipeline.pipelines import ModelPipeline
from emer.clues.model_pipeline.records import (
    SUMMARY_COLUMNS,
    model_record_path,
    summary_row,
    write_predictions,
    write_text,
)
from emer.clues.model_pipeline.settings import ModelSettings, Stage
from emer.clues.pipeline import file_sha256, read_record, write_json
from emer.llm.multimodal import payload_summary

#: The default audio stage: the CPU prosody reading.
_CPU_AUDIO = Stage("cpu")


def run_model_explain(
    media_dir: str | Path,
    out_dir: str | Path,
    pipeline: str,
    vision: Stage,
    audio: Stage = _CPU_AUDIO,
    text: Stage | None = None,
    settings: ModelSettings | None = None,
    manifest: str | Path | None = None,
    id_column: str = "name",
    subtitle_column: str = "subtitle",
    resume: bool = True,
    progress: bool = True,
    cache_dir: str | Path | None = None,
    cache_mode: str = "read-write",
    data_dir: str | Path | None = None,
    dry: bool = False,
) -> pd.DataFrame:
    """Run ``pipeline`` (emer | direct) over a folder of clips; returns the summary table.

    ``text`` defaults to the vision stage (a multimodal server also answers text prompts). With
    ``resume``, a clip whose records exist for the same file, subtitle, stages and settings is not
    loaded again (the call cache makes any rerun cheap anyway). ``dry``: print what would be sent.
    """
    from emer.llm.cache import open_cache

    settings = settings or ModelSettings()
    out_dir = Path(out_dir).resolve()  # relative paths are the working directory's, never the checkout's
    cache_dir = Path(cache_dir).resolve() if cache_dir else None
    clips = find_clips(media_dir, manifest, id_column, subtitle_column)
    text = text or vision
    if dry:
        chosen = ModelPipeline(pipeline, vision, audio, text, settings, None, progress, data_dir)
        return dry_run(chosen, clips)
    cache = open_cache(cache_dir or out_dir / "llm-cache", cache_mode)
    chosen = ModelPipeline(pipeline, vision, audio, text, settings, cache, progress, data_dir)
    identity = chosen.identity()
    records: list[dict] = []
    try:
        todo: list[tuple[Clip, str]] = []
        for clip in clips:
            digest = file_sha256(clip.path) if clip.path.is_file() else ""
            stored = [
                read_record(model_record_path(out_dir, pipeline, s, clip.clip)) for s in chosen.settings_names
            ]
            if resume and all(
                r is not None
                and r.get("status") == "ok"
                and r.get("identity") == identity
                and r.get("file_sha256") == digest
                and r.get("subtitle") == clip.subtitle
                for r in stored
            ):
                records += stored
            else:
                todo.append((clip, digest))
        bar = _progress(len(todo), progress, f"emer explain --pipeline {pipeline}")
        for start in range(0, len(todo), max(1, settings.chunk)):
            chunk = todo[start : start + settings.chunk]
            media = []
            for clip, _ in chunk:
                tick = time.perf_counter()
                loaded = load_clip_media(clip, settings.media)
                loaded.seconds["media"] = time.perf_counter() - tick
                media.append(loaded)
            results = chosen.run(media)
            for (clip, digest), m in zip(chunk, media, strict=True):
                requests = chosen.first_requests([m])
                for setting in chosen.settings_names:
                    part = results[setting][clip.clip]
                    first = requests.get("S0" if setting == "S2" else setting) or requests.get("visual") or []
                    sent = first[0].messages if first else ()
                    if pipeline == "emer" and requests.get("acoustic"):
                        sent = (*sent, *requests["acoustic"][0].messages)
                    record = {
                        "clip": clip.clip,
                        "file": clip.path.name,
                        "file_sha256": digest,
                        "pipeline": pipeline,
                        "setting": setting,
                        **part,
                        "subtitle": clip.subtitle,
                        "language": settings.language,
                        "flags": m.flags + ([] if clip.subtitle else ["no_subtitle"]),
                        "frame_times": m.times,
                        "payload": payload_summary(sent) if sent else {},
                        "identity": identity,
                        "timings": {
                            "media": round(m.seconds.get("media", 0.0), 3),
                            "model": part["model_s"],
                            **{k: round(v, 3) for k, v in m.seconds.items() if k != "media"},
                        },
                    }
                    write_json(model_record_path(out_dir, pipeline, setting, clip.clip), record)
                    records.append(record)
                bar.update(1)
        bar.close()
    finally:
        if cache is not None:
            cache.close()
    records.sort(key=lambda r: (r["clip"], r["setting"]))
    for setting in chosen.settings_names:
        write_predictions(
            [r for r in records if r["setting"] == setting], out_dir / f"predictions-{setting}.jsonl"
        )
    table = pd.DataFrame([summary_row(r) for r in records], columns=SUMMARY_COLUMNS)
    path = out_dir / "model" / pipeline / "summary.csv"
    write_text(path, table.to_csv(index=False, lineterminator="\n"))
    return table


def _progress(total: int, enabled: bool, description: str):
    from tqdm import tqdm

    return tqdm(
        total=total, disable=not enabled or total == 0, desc=description, unit="clip", file=sys.stderr
    )
