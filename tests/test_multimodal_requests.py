"""Multimodal request building: JPEG/WAV payloads, content parts, payload hashes in cache keys, limits."""

from __future__ import annotations

import base64
import hashlib
import json

import cv2
import numpy as np

from emer.llm import GenerationSettings, Request
from emer.llm.cache import call_key
from emer.llm.clip_prompts import compose_description, describe_clip, lexical_clue, visual_clue
from emer.llm.multimodal import (
    audio_part,
    decode_wav,
    encode_jpeg,
    encode_wav,
    image_part,
    key_messages,
    payload_hashes,
    payload_summary,
    server_limit,
)


def _frame(level: int, shape=(360, 480)) -> np.ndarray:
    frame = np.full((*shape, 3), level, np.uint8)
    frame[10:50, 10:50] = 255 - level
    return frame


def test_jpeg_keeps_the_aspect_and_is_never_enlarged() -> None:
    big = cv2.imdecode(np.frombuffer(encode_jpeg(_frame(90), 448, 85), np.uint8), cv2.IMREAD_COLOR)
    assert big.shape[:2] == (336, 448)
    small = cv2.imdecode(np.frombuffer(encode_jpeg(_frame(90, (60, 80)), 448), np.uint8), cv2.IMREAD_COLOR)
    assert small.shape[:2] == (60, 80)
    # colours survive (RGB in, BGR inside OpenCV): a red frame stays red
    red = np.zeros((32, 32, 3), np.uint8)
    red[..., 0] = 255
    back = cv2.imdecode(np.frombuffer(encode_jpeg(red), np.uint8), cv2.IMREAD_COLOR)
    assert back[..., 2].mean() > 200 and back[..., 0].mean() < 50


def test_wav_is_16_bit_mono_at_the_rate_given() -> None:
    tone = 0.5 * np.sin(2 * np.pi * 220 * np.arange(16000) / 16000).astype(np.float32)
    data = encode_wav(tone, 16000)
    assert data[:4] == b"RIFF" and len(data) == 44 + 2 * 16000
    samples, rate = decode_wav(data)
    assert rate == 16000 and np.abs(samples - tone).max() < 1e-3


def test_parts_are_what_openai_compatible_servers_read() -> None:
    jpeg, wav = encode_jpeg(_frame(40)), encode_wav(np.zeros(160, np.float32))
    image, audio = image_part(jpeg), audio_part(wav)
    assert image["type"] == "image_url" and image["image_url"]["url"].startswith("data:image/jpeg;base64,")
    assert base64.b64decode(image["image_url"]["url"].split(",", 1)[1]) == jpeg
    assert audio == {
        "type": "input_audio",
        "input_audio": {"data": base64.b64encode(wav).decode(), "format": "wav"},
    }


def test_cache_keys_hash_every_payload() -> None:
    settings = GenerationSettings()
    frames = [encode_jpeg(_frame(level)) for level in (30, 60, 90)]
    wav = encode_wav(np.zeros(1600, np.float32))

    def key(images, audio=wav) -> str:
        return call_key(
            "openai", "m", Request("describe_clip", "c", describe_clip(images, audio, None)), settings
        )

    assert key(frames) == key(list(frames))
    assert key(frames) != key(frames[::-1])  # order matters
    assert key(frames) != key([frames[0], frames[1], encode_jpeg(_frame(91))])  # one image differs
    assert key(frames) != key(frames, encode_wav(np.full(1600, 0.1, np.float32)))
    messages = describe_clip(frames, wav, None)
    kept = key_messages(messages)
    assert [p["sha256"] for p in kept[1]["content"] if "sha256" in p] == payload_hashes(messages)
    assert payload_hashes(messages)[0] == hashlib.sha256(frames[0]).hexdigest()
    assert "base64" not in json.dumps(kept) and kept[1]["content"][1]["mime"] == "image/jpeg"
    # the same payloads as plain strings (e.g. messages read back from JSON): the same key
    plain = tuple(json.loads(json.dumps(list(messages))))
    assert key_messages(plain) == kept
    assert call_key("openai", "m", Request("describe_clip", "c", plain), settings) == key(frames)


def test_text_only_keys_are_unchanged() -> None:
    messages = ({"role": "user", "content": "hello"},)
    payload = {
        "backend": "b",
        "model": "m",
        "messages": [dict(m) for m in messages],
        "settings": {"max_tokens": 256, "temperature": 0.0},
    }
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    expected = hashlib.sha256(text.encode()).hexdigest()
    assert call_key("b", "m", Request("t", "s", messages), GenerationSettings()) == expected


def test_payload_summary_counts_and_sizes() -> None:
    frames = [encode_jpeg(_frame(level)) for level in (30, 60)]
    wav = encode_wav(np.zeros(1600, np.float32))
    summary = payload_summary(describe_clip(frames, wav, "hi"))
    assert summary["images"] == 2 and summary["image_bytes"] == sum(map(len, frames))
    assert summary["audio_parts"] == 1 and summary["audio_bytes"] == len(wav)
    assert summary["request_bytes"] > summary["image_bytes"] * 4 / 3


def test_prompts_differ_by_setting_and_language() -> None:
    frames = [encode_jpeg(_frame(30))]
    s0, s1 = describe_clip(frames, None, None), describe_clip(frames, None, "I won!")
    assert "I won!" not in json.dumps(s0) and "I won!" in s1[1]["content"][0]["text"]
    zh = visual_clue(frames, "zh")[1]["content"][0]["text"]
    assert "在视频中" in zh and "video" not in zh
    assert isinstance(lexical_clue("a", "b", None)[1]["content"], str)


def test_descriptions_take_the_gold_shape() -> None:
    en = compose_description(
        "In the video, The woman smiles",
        "Acoustic clues (speech for about 2.0 s of 3.0 s; reference: adult women). Her pitch is high.",
        "the words are joyful.",
        "en",
    )
    assert (
        en == "In the video, the woman smiles. In the audio, her pitch is high. "
        "In the text, the words are joyful."
    )
    zh = compose_description("在视频中，她在微笑。", "声音明亮", "字幕表达了喜悦。", "zh")
    assert zh == "在视频中，她在微笑；在音频中，声音明亮；在文本中，字幕表达了喜悦；"


def test_server_limits_are_named() -> None:
    assert (
        server_limit("HTTP 400 from x: At most 4 image(s) may be provided in one request.")
        == "too many images"
    )
    assert server_limit("HTTP 413 from x: Request Entity Too Large") == "payload too large"
    assert (
        server_limit("HTTP 400 from x: Audio input is not supported by this model.") == "unsupported modality"
    )
    assert server_limit("HTTP 500 from x") is None
    assert server_limit("HTTP 401 from x: invalid api key") is None
