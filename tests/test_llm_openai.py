"""The OpenAI-compatible backend against a small chat server the test starts on loopback.

The server's behaviour is chosen by the requested model name: normal answers, slow answers (the client
times out), HTTP 5xx (always, or the first time only), a 401, a body that is not JSON, a JSON body without
choices. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest

from emer.llm import GenerationSettings, LLMRunner, OpenAIBackend, RunSettings, extract_ov_labels, open_cache
from emer.llm.backends import api_key_from_environment


class ChatServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), ChatHandler)
        self.seen: list[dict] = []
        self.failed_once: set[str] = set()
        self.in_flight = 0
        self.max_in_flight = 0
        self.lock = threading.Lock()

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
        text = "[angry, impatient]" if "shouts" in user else "[happy]"
        body = {
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": 0,
            "model": model,
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
            ],
            "usage": {"prompt_tokens": 10, "completion_tokens": 3, "total_tokens": 13},
        }
        self._send(200, json.dumps(body).encode())


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
