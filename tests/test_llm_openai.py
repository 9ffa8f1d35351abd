"""The OpenAI-compatible backend against a small chat server the test starts on loopback.

The server's behaviour is chosen by the requested model name: normal answers, slow answers (the client
times out), HTTP 5xx (always, or the first time only), a 401, a body that is not JSON, a JSON body without
choices, a 14 MB answer, an answer dripped byte by byte, 429/503 with Retry-After. Nothing leaves
127.0.0.1; every answer ends by itself within a few seconds.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest

from emer.llm import GenerationSettings, LLMRunner, OpenAIBackend, RunSettings, extract_ov_labels, open_cache
from emer.llm.backends import api_key_from_environment, retry_after_seconds


class ChatServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), ChatHandler)
        self.seen: list[dict] = []
        self.failed_once: set[str] = set()
        self.in_flight = 0
        self.max_in_flight = 0
        self.lock = threading.Lock()

    def handle_error(self, request, client_address) -> None:  # a client that hung up: expected here
        pass

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class ChatHandler(BaseHTTPRequestHandler):
    server: ChatServer

    def log_message(self, *args) -> None:  # keep the test output quiet
        pass

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802 (the http.server API)
        length = int(self.headers.get("Content-Length", 0))
        request = json.loads(self.rfile.read(length))
        server = self.server
        with server.lock:
            server.seen.append({**request, "authorization": self.headers.get("Authorization", "")})
            server.in_flight += 1
            server.max_in_flight = max(server.max_in_flight, server.in_flight)
        try:
            self._answer(request)
        finally:
            with server.lock:
                server.in_flight -= 1

    def _answer(self, request: dict) -> None:
        model = request["model"]
        user = request["messages"][-1]["content"]
        if model == "slow":
            time.sleep(1.0)
        if model == "error500" or (model == "flaky" and user not in self.server.failed_once):
            self.server.failed_once.add(user)
            self._send(500, b'{"error": {"message": "overloaded"}}')
            return
        if model == "unauthorised":
            self._send(401, b'{"error": {"message": "invalid api key"}}')
            return
        if model == "badjson":
            self._send(200, b'{"id": "x", "choices": [ {"message": ')
            return
        if model == "nochoices":
            self._send(200, json.dumps({"id": "x", "object": "chat.completion", "choices": []}).encode())
            return
        if model == "parallel":
            time.sleep(0.05)
        if model in ("ratelimit", "unavailable") and f"{model}:{user}" not in self.server.failed_once:
            self.server.failed_once.add(f"{model}:{user}")
            self.send_response(429 if model == "ratelimit" else 503)
            wait = "1" if model == "ratelimit" else formatdate(time.time() + 30, usegmt=True)
            self.send_header("Retry-After", wait)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")
            return
        text = "[angry, impatient]" if "shouts" in user else "[happy]"
        if model == "cutoff":
            text = "[happy, sad, ang"
        if model == "huge":
            text = "[" + "happy, " * 2_000_000 + "sad]"  # 14 MB
        body = self._body(model, text)
        if model == "drip":  # 10 bytes every 0.25 s: each read is quick, the whole answer is not
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            for i in range(0, len(body), 10):
                self.wfile.write(body[i : i + 10])
                self.wfile.flush()
                time.sleep(0.25)
            return
        self._send(200, body)

    @staticmethod
    def _body(model: str, text: str) -> bytes:
        body = {
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": 0,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "length" if model == "cutoff" else "stop",
                }
            ],
            "usage": {"prompt_tokens": 10, "completion_tokens": 3, "total_tokens": 13},
        }
        return json.dumps(body).encode()


@pytest.fixture(scope="module")
def server() -> Iterator[ChatServer]:
    chat = ChatServer()
    thread = threading.Thread(target=chat.serve_forever, daemon=True)
    thread.start()
    yield chat
    chat.shutdown()
    chat.server_close()


TEXTS = pd.DataFrame({"sample": ["a", "b"], "text": ["He shouts at her.", "She smiles at the baby."]})


def _runner(server: ChatServer, model: str, tmp_path: Path, **settings) -> LLMRunner:
    options = {"timeout_s": 5.0, "retries": 1, "backoff_s": 0.01, **settings}
    return LLMRunner(
        OpenAIBackend(server.base_url, model, max_concurrency=4),
        open_cache(tmp_path, "read-write"),
        GenerationSettings(temperature=0.0, max_tokens=32, seed=3),
        RunSettings(**options),
    )


def test_normal_answers_are_parsed_and_recorded(server: ChatServer, tmp_path: Path) -> None:
    runner = _runner(server, "normal", tmp_path)
    out = extract_ov_labels(runner, TEXTS)
    assert out["labels"].tolist() == [["angry", "impatient"], ["happy"]]
    sent = [r for r in server.seen if r["model"] == "normal"]
    assert {r["temperature"] for r in sent} == {0.0} and {r["max_tokens"] for r in sent} == {32}
    assert sent[0]["messages"][0]["role"] == "system"
    assert all(r["authorization"].startswith("Bearer ") for r in sent)
    again = extract_ov_labels(runner, TEXTS)
    assert again["cached"].all() and len([r for r in server.seen if r["model"] == "normal"]) == 2
    runner.cache.close()


def test_concurrency_is_bounded(server: ChatServer, tmp_path: Path) -> None:
    texts = pd.DataFrame({"sample": [f"s{i}" for i in range(12)], "text": [f"clip {i}" for i in range(12)]})
    server.max_in_flight = 0
    out = extract_ov_labels(_runner(server, "parallel", tmp_path, concurrency=3), texts)
    assert (out["status"] == "ok").all()
    assert 1 < server.max_in_flight <= 3


def test_slow_answers_time_out_per_sample(server: ChatServer, tmp_path: Path) -> None:
    out = extract_ov_labels(_runner(server, "slow", tmp_path, timeout_s=0.2, retries=0), TEXTS.head(1))
    assert out["status"].tolist() == ["failed"] and "Timeout" in out["error"][0]


def test_server_errors_are_retried(server: ChatServer, tmp_path: Path) -> None:
    flaky = extract_ov_labels(_runner(server, "flaky", tmp_path, retries=2), TEXTS)
    assert (flaky["status"] == "ok").all()
    down = extract_ov_labels(_runner(server, "error500", tmp_path, retries=1), TEXTS)
    assert down["status"].tolist() == ["failed", "failed"]
    assert "gave up after 2 attempts" in down["error"][0] and "HTTP 500" in down["error"][0]


def test_client_errors_are_not_retried(server: ChatServer, tmp_path: Path) -> None:
    before = len(server.seen)
    out = extract_ov_labels(_runner(server, "unauthorised", tmp_path, retries=3), TEXTS.head(1))
    assert out["status"].tolist() == ["failed"] and "401" in out["error"][0]
    assert len(server.seen) == before + 1


@pytest.mark.parametrize("model", ["badjson", "nochoices"])
def test_malformed_responses_fail_per_sample(server: ChatServer, tmp_path: Path, model: str) -> None:
    runner = _runner(server, model, tmp_path, retries=1)
    out = extract_ov_labels(runner, TEXTS.head(1))
    assert out["status"].tolist() == ["failed"] and "malformed response" in out["error"][0]
    assert runner.cache.summary() == []  # nothing recorded


def test_api_key_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EMER_LLM_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    assert api_key_from_environment() == "sk-from-env"
    monkeypatch.setenv("EMER_LLM_API_KEY", "project-key")
    assert api_key_from_environment() == "project-key"
    with pytest.raises(ValueError, match="base_url"):
        OpenAIBackend("", "model")


def test_an_over_size_answer_fails_and_is_not_cached(server: ChatServer, tmp_path: Path) -> None:
    runner = _runner(server, "huge", tmp_path, timeout_s=2.0, retries=0)
    started = time.monotonic()
    out = extract_ov_labels(runner, TEXTS.head(1))
    assert out["status"].tolist() == ["failed"] and "over the cap of 65536 bytes" in out["error"][0]
    assert time.monotonic() - started < 2.0
    assert runner.cache.summary() == []  # nothing recorded
    runner.cache.close()


def test_the_timeout_covers_the_whole_answer(server: ChatServer, tmp_path: Path) -> None:
    runner = _runner(server, "drip", tmp_path, timeout_s=1.0, retries=0)
    started = time.monotonic()
    out = extract_ov_labels(runner, TEXTS.head(1))
    assert time.monotonic() - started < 1.8  # the answer would take about 6 s
    assert out["status"].tolist() == ["failed"] and "Timeout" in out["error"][0]
    assert runner.cache.summary() == []
    runner.cache.close()


@pytest.mark.parametrize(("model", "waits"), [("ratelimit", [1.0]), ("unavailable", [5.0])])
def test_retry_after_of_429_and_503_is_honoured(
    server: ChatServer, tmp_path: Path, model: str, waits: list[float]
) -> None:
    slept: list[float] = []
    runner = LLMRunner(
        OpenAIBackend(server.base_url, model),
        open_cache(tmp_path, "read-write"),
        settings=RunSettings(timeout_s=5.0, retries=2, backoff_s=0.01, max_backoff_s=5.0),
        sleep=slept.append,
    )
    out = extract_ov_labels(runner, TEXTS.head(1))
    assert out["status"].tolist() == ["ok"] and slept == waits  # 503: an HTTP date 30 s ahead, capped
    runner.cache.close()


def test_retry_after_values() -> None:
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds(formatdate(1000.0 + 42, usegmt=True), now=1000.0) == 42.0
    assert retry_after_seconds(formatdate(1000.0 - 5, usegmt=True), now=1000.0) == 0.0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_an_answer_the_server_cut_off_drops_its_unfinished_label(server: ChatServer, tmp_path: Path) -> None:
    runner = _runner(server, "cutoff", tmp_path)
    out = extract_ov_labels(runner, TEXTS.head(1))
    assert out["labels"].tolist() == [["happy", "sad"]] and out["truncated"].tolist() == [True]
    runner.cache.close()


def test_notebook_03_on_a_fresh_cache_replays_beside_the_chosen_backend(
    server: ChatServer, tmp_path: Path, data_dir: Path
) -> None:
    """Notebook 03's extractors on an empty cache folder: the chosen backend (a server) records its calls
    while a replayed backend reads the same file; that read used to fail as 'database disk image is
    malformed'."""
    from emer.analysis.ablation import ablation_extractors, close_extractors, run_ablation
    from emer.analysis.subset import take_samples
    from emer.data import load_emer_v2_parts

    parts = take_samples(load_emer_v2_parts(data_dir), 40)
    main = {
        "backend": "openai",
        "model": "normal",
        "base_url": server.base_url,
        "cache_dir": tmp_path / "fresh",
        "cache_mode": "read-write",
        "max_tokens": 32,
        "data_dir": data_dir,
        "languages": ["en"],
        "timeout_s": 5.0,
    }
    cached = [{"name": "SmolLM2", "backend": "transformers", "model": "smollm2", "max_tokens": 48}]
    extractors = ablation_extractors(main, cached)
    try:
        labels = run_ablation(extractors, parts, ["V+A+T", "V"])
    finally:
        close_extractors(extractors)
    chosen = labels[labels["extractor"] == "normal"]
    assert len(chosen) == 80 and (chosen["status"] == "ok").all()
    assert any("not recorded, left out" in note for note in extractors[-1].notes)
