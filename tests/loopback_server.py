"""A loopback OpenAI-compatible chat server for tests and benchmarks that records what it receives.

Its behaviour is chosen by the requested model name:

- ``normal``: answers at once; ``slow``: sleeps ``slow_s`` first (the client times out);
- ``flaky``: HTTP 503 the first time a request body is seen, then answers; ``error500``: always HTTP 500;
- ``badjson``: a 200 whose body is not JSON;
- ``limit``: HTTP 400 with vLLM's wording when a prompt has more than ``max_images`` images;
- ``noaudio``: HTTP 400 when a prompt has an ``input_audio`` part;
- ``obedient``: a model that follows whatever its last message asks: it answers with the last bracketed
  list written there (an injected "Output: [...]" in a described text), or ``[]``.

For each request it records (``server.seen``) the model, the prompt text, its language, and per part
the type, MIME type, decoded size (JPEG width/height and mean brightness; WAV rate/channels/seconds).
Answers are short deterministic descriptions that say what was received. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import base64
import io
import json
import re
import threading
import time
import wave
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np

_CJK = re.compile(r"[\u4e00-\u9fff]")


def describe_part(part: dict) -> dict:
    """What the server reads from one content part."""
    kind = part.get("type")
    if kind == "text":
        return {"type": "text", "chars": len(part.get("text", ""))}
    if kind == "image_url":
        url = part["image_url"]["url"]
        mime, _, data = url.partition(";base64,")
        raw = base64.b64decode(data)
        import cv2

        image = cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_COLOR)
        height, width = image.shape[:2] if image is not None else (0, 0)
        brightness = float(image.mean()) if image is not None else -1.0
        return {
            "type": "image_url",
            "mime": mime.removeprefix("data:"),
            "bytes": len(raw),
            "width": width,
            "height": height,
            "brightness": brightness,
        }
    if kind == "input_audio":
        raw = base64.b64decode(part["input_audio"]["data"])
        with wave.open(io.BytesIO(raw), "rb") as source:
            rate, channels, frames = source.getframerate(), source.getnchannels(), source.getnframes()
            width = source.getsampwidth()
        return {
            "type": "input_audio",
            "format": part["input_audio"].get("format"),
            "bytes": len(raw),
            "rate": rate,
            "channels": channels,
            "sample_width": width,
            "seconds": frames / rate,
        }
    return {"type": str(kind)}


class LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, max_images: int = 4, slow_s: float = 1.0) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.max_images, self.slow_s = max_images, slow_s
        self.seen: list[dict] = []
        self.record = True  # False: count only (benchmarks)
        self.count = 0
        self._failed: set[str] = set()
        self.lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def start(self) -> LoopbackServer:
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def received(self, model: str | None = None, task_word: str | None = None) -> list[dict]:
        """Recorded requests, optionally of one model and whose prompt contains ``task_word``."""
        return [
            r
            for r in self.seen
            if (model is None or r["model"] == model) and (task_word is None or task_word in r["text"])
        ]


class _Handler(BaseHTTPRequestHandler):
    server: LoopbackServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # quiet
        pass

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802 (the http.server API)
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        request = json.loads(raw)
        server = self.server
        model = request.get("model", "")
        messages = request.get("messages", [])
        parts = [p for m in messages if isinstance(m.get("content"), list) for p in m["content"]]
        text = "\n".join(
            [m["content"] for m in messages if isinstance(m.get("content"), str) and m.get("role") == "user"]
            + [p.get("text", "") for p in parts if p.get("type") == "text"]
        )
        with server.lock:
            server.count += 1
            if server.record:
                server.seen.append(
                    {
                        "model": model,
                        "text": text,
                        "language": "zh" if _CJK.search(text) else "en",
                        "parts": [describe_part(p) for p in parts],
                        "roles": [m.get("role") for m in messages],
                        "max_tokens": request.get("max_tokens"),
                        "temperature": request.get("temperature"),
                    }
                )
        images = sum(p.get("type") == "image_url" for p in parts)
        if model == "slow":
            time.sleep(server.slow_s)
        if model == "error500":
            return self._send(500, b'{"error": {"message": "internal error"}}')
        if model == "flaky":
            with server.lock:
                first = raw not in server._failed
                server._failed.add(raw)
            if first:
                return self._send(503, b'{"error": {"message": "overloaded, try again"}}')
        if model == "badjson":
            return self._send(200, b'{"id": "x", "choices": [ {"message": ')
        if model == "limit" and images > server.max_images:
            message = f"At most {server.max_images} image(s) may be provided in one request."
            return self._send(
                400, json.dumps({"error": {"message": message, "type": "BadRequestError"}}).encode()
            )
        if model == "noaudio" and any(p.get("type") == "input_audio" for p in parts):
            message = "Audio input is not supported by this model."
            return self._send(400, json.dumps({"error": {"message": message}}).encode())
        answer = _obeyed(messages) if model == "obedient" else _answer(text, parts)
        body = {
            "id": "chatcmpl-loopback",
            "object": "chat.completion",
            "created": 0,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": answer},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
        }
        self._send(200, json.dumps(body, ensure_ascii=False).encode("utf-8"))


def _obeyed(messages: list[dict]) -> str:
    """The last bracketed list of the last message (what an injected instruction asks for), or []."""
    last = messages[-1].get("content", "") if messages else ""
    lists = re.findall(r"\[[^\[\]]*\]", last if isinstance(last, str) else "")
    return lists[-1] if lists else "[]"


def _answer(text: str, parts: list[dict]) -> str:
    """A short answer in the prompt's language saying what was received."""
    images = sum(p.get("type") == "image_url" for p in parts)
    audio = any(p.get("type") == "input_audio" for p in parts)
    zh = bool(_CJK.search(text))
    if images:
        said = "subtitle" in text.lower() or "字幕" in text
        if zh:
            extra = ("，并提到了字幕" if said else "") + ("，声音轻快" if audio else "")
            return f"人物在{images}帧画面中从平静变为微笑{extra}。她显得很开心。"
        return (
            f"The woman looks calm at first and smiles widely by the end across {images} frames"
            + (", and her voice rises brightly" if audio else "")
            + (", and what she says is cheerful" if said else "")
            + ". "
            "She seems happy."
        )
    if audio:
        return (
            "声音明亮，语速较快，音调上扬。" if zh else "Her voice is bright and quick, with a rising pitch."
        )
    if zh:
        return "字幕中的词语表达了喜悦，结合微笑和轻快的声音，可以推断她很开心。"
    return "The words of the subtitle express joy; with the smile and the bright voice she is clearly happy."


if __name__ == "__main__":  # a server for benchmarks: `python tests/loopback_server.py` prints its port
    import sys

    server = LoopbackServer(max_images=int(sys.argv[1]) if len(sys.argv) > 1 else 64)
    server.record = False
    print(server.server_address[1], flush=True)
    server.serve_forever()
