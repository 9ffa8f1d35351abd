"""Label extraction for descriptions-only submissions: which extractor, with which settings, how often.

Presets of the generation settings (for model backends; the offline backend ignores them):

- ``greedy`` (default): temperature 0, at most 512 new tokens — deterministic, one run suffices.
- ``field``: what OV-MER, MER2025/26 and Light-MER use with Qwen2.5-7B-Instruct served by vLLM:
  temperature 0.7, top_p 0.8, repetition penalty 1.05, at most 512 new tokens. The field sets no seed;
  here run *i* of ``runs`` uses seed *i*, so a sampled run is replayable from the cache, and the scorecard
  reports the mean ± std over runs, as the OV-MER table does.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from emer.llm import make_runner, prompts
from emer.llm.cache import CallCache, recording_file
from emer.llm.runner import STATUSES, LLMRunner
from emer.llm.tasks import extract_ov_labels, labels_or_empty

PRESETS: dict[str, dict[str, float | int | None]] = {
    "greedy": {"temperature": 0.0, "top_p": None, "repetition_penalty": None, "max_tokens": 512},
    "field": {"temperature": 0.7, "top_p": 0.8, "repetition_penalty": 1.05, "max_tokens": 512},
}


def prompt_hash(task: str = "extract_ov_labels") -> str:
    """Short sha256 of a task's prompt (its messages around a placeholder input)."""
    messages = getattr(prompts, task)("{input}")
    return hashlib.sha256(json.dumps(messages, sort_keys=True).encode()).hexdigest()[:10]


@dataclass(frozen=True)
class Extractor:
    """How labels are drawn from descriptions. ``cache_dir`` holds the call record (resumable)."""

    backend: str = "offline"
    model: str = ""
    base_url: str = ""
    preset: str = "greedy"
    runs: int = 1
    cache_dir: str | os.PathLike | None = None
    cache_mode: str = "read-write"
    concurrency: int = 8
    timeout_s: float = 120.0

    def __post_init__(self) -> None:
        if self.preset not in PRESETS:
            raise ValueError(f"preset must be one of {sorted(PRESETS)}, not {self.preset!r}")
        if self.runs < 1:
            raise ValueError(f"runs must be at least 1, not {self.runs}")
        if self.runs > 1 and (self.backend == "offline" or not self.sampling):
            raise ValueError(
                f"runs={self.runs} repeats a sampling extractor; the {self.backend} backend with preset "
                f"{self.preset!r} is deterministic: use --preset field with a model backend, or --runs 1"
            )

    @property
    def sampling(self) -> bool:
        return float(PRESETS[self.preset]["temperature"] or 0) > 0

    def runner(self, run: int, data_dir: str | os.PathLike | None) -> LLMRunner:
        """The runner of run ``run`` (0-based; its seed)."""
        settings = PRESETS[self.preset]
        return make_runner(
            self.backend,
            model=self.model,
            base_url=self.base_url,
            cache_dir=str(Path(self.cache_dir).resolve()) if self.cache_dir is not None else None,
            cache_mode=self.cache_mode if self.cache_dir is not None else "off",
            temperature=float(settings["temperature"] or 0.0),
            max_tokens=int(settings["max_tokens"] or 512),
            seed=run,
            top_p=settings["top_p"],
            repetition_penalty=settings["repetition_penalty"],
            timeout_s=self.timeout_s,
            concurrency=self.concurrency,
            data_dir=data_dir,
            progress=self.backend != "offline",
        )

    def resume_note(self) -> str:
        """One line on what an interrupted run kept of this extractor's calls and how to resume it."""
        if self.backend == "offline":
            return "the offline extractor records nothing; run the same command again"
        if self.cache_dir is None or self.cache_mode != "read-write":
            return (
                "the extraction answers received were not recorded (no --out or --cache-dir); give --out or "
                "--cache-dir so that an interrupted run resumes"
            )
        path = recording_file(Path(self.cache_dir).resolve())
        calls = 0
        if path.is_file():
            with CallCache(path, "replay") as cache:
                calls = sum(r["calls"] for r in cache.summary() if r["backend"] == self.backend)
        return (
            f"{calls} answer(s) of the {self.backend} backend are recorded in {path}; run the same command "
            "again to resume (recorded calls are not asked again)"
        )

    def describe_mapping(self, runner: LLMRunner) -> str:
        """The sentiment mapping's part of a signature (the mapping runs on the extractor's backend)."""
        if self.backend == "offline":
            return f"offline:{runner.backend.sentiment_mapper.identity}"
        return self.describe(runner).replace(prompt_hash(), prompt_hash("map_to_sentiment"))

    def describe(self, runner: LLMRunner) -> str:
        """The extractor's part of a signature."""
        if self.backend == "offline":
            return f"offline:{runner.backend.model}"
        settings = PRESETS[self.preset]
        shown = ",".join(f"{k}={v}" for k, v in settings.items() if v is not None)
        return (
            f"{self.backend}:{runner.backend.model}|preset:{self.preset}({shown})|runs:{self.runs}"
            f"|prompt:{prompt_hash()}"
        )


def extract_labels(
    runner: LLMRunner, descriptions: dict[str, str]
) -> tuple[dict[str, list[str]], dict[str, int]]:
    """sample -> labels extracted from each description (its language detected), and the outcome counts
    (ok, malformed, failed). A failed or malformed extraction is scored as an empty answer and counted.
    """
    texts = pd.DataFrame({"sample": list(descriptions), "text": list(descriptions.values())})
    frame = extract_ov_labels(runner, texts)
    counts = {status: int((frame["status"] == status).sum()) for status in STATUSES}
    return labels_or_empty(frame), counts


def map_sentiments(
    runner: LLMRunner, labels: dict[str, list[str]]
) -> tuple[dict[str, str | None], dict[str, int]]:
    """sample -> sentiment (positive, negative, neutral; None where the answer was unreadable) of each
    sample's OV labels, and the outcome counts (ok, malformed, failed)."""
    from emer.llm.tasks import map_to_sentiment

    frame = pd.DataFrame({"sample": list(labels), "labels": list(labels.values())})
    out = map_to_sentiment(runner, frame)
    counts = {status: int((out["status"] == status).sum()) for status in STATUSES}
    sentiments = {
        s: (v if isinstance(v, str) and v else None)
        for s, v in zip(out["sample"], out["sentiment"], strict=True)
    }
    return sentiments, counts
