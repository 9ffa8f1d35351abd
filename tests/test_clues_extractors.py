"""The three clue extractors on real material: a real face, synthesised speech, real lexicons."""

from __future__ import annotations

import io
import pickle
import re

import numpy as np
import pytest

from emer.clues import demo
from emer.clues.acoustic import AcousticParams, acoustic_clue, read_acoustic
from emer.clues.lexical import _SetsOnly, lexical_clue, read_lexical, subtitle_language
from emer.clues.media import MissingDependencyError
from emer.clues.visual import EXPRESSIONS, ExpressionModel, FrameReading, VisualReading, visual_clue

SR = 16000


@pytest.fixture(scope="module")
def model() -> ExpressionModel:
    return ExpressionModel()


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    return demo.synthesize_speech("I am so happy today. This is wonderful news, thank you!", "en-us+f2")


def _probs(**values: float) -> np.ndarray:
    probs = np.array([values.get(name, 0.0) for name in EXPRESSIONS])
    return probs / probs.sum()


# ------------------------------------------------------------------------------------------------ visual


def test_real_face_is_found_and_read_as_happy(model: ExpressionModel) -> None:
    image = demo.portrait()
    reading = model.read_frame(image, 0.0)
    assert reading.faces == 1
    x, y, w, h = reading.box
    # the astronaut's face lies around x 175-270, y 65-160 in the 512x512 portrait
    assert 150 < x < 200 and 40 < y < 90 and 80 < w < 130
    assert EXPRESSIONS[int(np.argmax(reading.probs))] == "happy" and reading.probs.max() > 0.9
    assert reading.probs.sum() == pytest.approx(1.0, abs=len(EXPRESSIONS) * 0.5e-3)  # rounded terms


def test_expressions_come_from_the_reference_kernels_rounded(model: ExpressionModel) -> None:
    # XNNPACK (LiteRT's default) quantises activations per CPU instruction set; the reference kernels
    # do not, and the 3-decimal rounding absorbs their last-bit differences on other CPUs.
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    from emer.clues import visual

    image = demo.portrait()
    gray = model._cv2.cvtColor(image, model._cv2.COLOR_RGB2GRAY)
    box = model.detect(gray)[0]
    probs = model.classify(gray, box)
    assert probs.tolist() == np.round(probs, visual.PROBABILITY_DECIMALS).tolist()
    reference = Interpreter(
        model_path=visual._model_file(), experimental_op_resolver_type=OpResolverType.BUILTIN_REF
    )
    reference.allocate_tensors()
    model.interpreter, kept = reference, model.interpreter
    try:
        again = model.classify(gray, box)
    finally:
        model.interpreter = kept
    assert again.tolist() == probs.tolist()
    # a perturbation of float32 size (another CPU's libm) leaves the rounded values unchanged
    raw = np.asarray(reference.get_tensor(model._output["index"])[0], dtype=np.float64)
    for noise in (1e-7, -1e-7):
        shifted = raw * (1 + noise)
        assert np.round(shifted / shifted.sum(), visual.PROBABILITY_DECIMALS).tolist() == probs.tolist()


def test_no_face_in_a_photo_without_people(model: ExpressionModel) -> None:
    from skimage import data

    reading = model.read_frame(data.coffee(), 1.0)
    assert reading.faces == 0 and reading.box is None and reading.probs is None


def test_visual_clue_orders_time_and_reports_changes() -> None:
    box = (10, 10, 50, 50)
    frames = [
        FrameReading(0.5, box, _probs(happy=0.9, surprise=0.1), 1),
        FrameReading(1.5, box, _probs(happy=0.8, neutral=0.2), 1),
        FrameReading(3.5, None, None, 0),
        FrameReading(5.0, (40, 10, 50, 50), _probs(sad=0.6, fear=0.3, neutral=0.1), 1),
    ]
    reading = VisualReading(6.0, frames)
    text = visual_clue(reading, "en")
    assert text.startswith("Visual clues (4 frames sampled uniformly over 6.0 s; a face is visible in 3")
    assert text.index("At the beginning") < text.index("In the middle") < text.index("At the end")
    assert "In the middle, no face is visible" in text
    assert "looks clearly happy (0.85)" in text
    assert "with a hint of fear (0.30)" in text
    assert "changes from happy to sad" in text
    assert "The head moves noticeably" in text
    zh = visual_clue(reading, "zh")
    assert zh.startswith("视觉线索") and "表情由高兴转为悲伤" in zh and "略带恐惧" in zh


def test_visual_clue_without_faces_and_with_few_frames() -> None:
    empty = VisualReading(2.0, [FrameReading(0.5, None, None), FrameReading(1.5, None, None)])
    assert "No face is detected in any frame" in visual_clue(empty)
    assert "没有检测到人脸" in visual_clue(empty, "zh")
    one = VisualReading(1.0, [FrameReading(0.5, (0, 0, 9, 9), _probs(angry=0.5, disgust=0.3, neutral=0.2))])
    text = visual_clue(one)
    assert "Throughout the clip, the person looks angry (0.50)" in text and "head" not in text


# ---------------------------------------------------------------------------------------------- acoustic


def _voice(f0: float, seconds: float, gap: tuple[float, float] | None = None) -> np.ndarray:
    """A harmonic voice at ``f0`` with 4 syllables per second and an optional silent gap."""
    t = np.arange(int(seconds * SR)) / SR
    wave = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 6))
    envelope = 0.55 + 0.45 * np.sin(2 * np.pi * 4 * t) ** 2
    signal = (0.1 * wave * envelope).astype(np.float32)
    if gap:
        signal[int(gap[0] * SR) : int(gap[1] * SR)] = 0.0
    return signal


def test_pitch_pause_and_reference_bands() -> None:
    reading = read_acoustic(_voice(220.0, 3.0, gap=(1.2, 1.8)))
    s = reading.stats
    assert s["f0_median_hz"] == pytest.approx(220.0, rel=0.03)
    assert s["pitch_range_st"] < 1.0
    assert s["pauses"] == 1 and reading.pauses[0][0] == pytest.approx(1.2, abs=0.05)
    assert s["pause_s"] == pytest.approx(0.6, abs=0.08)
    assert s["voiced_ratio"] > 0.9
    assert re.search(
        r"The pitch is high \(median 2[12]\d Hz; typical for adult male voices: 85-155 Hz\)",
        acoustic_clue(reading, "en", "male"),
    )
    assert "The pitch is medium" in acoustic_clue(reading, "en", "female")
    assert "narrow range" in acoustic_clue(reading) and "There is 1 pause" in acoustic_clue(reading)
    assert "参照成年男性嗓音" in acoustic_clue(reading, "zh", "male") and "1处停顿" in acoustic_clue(
        reading, "zh"
    )


def test_silence_is_reported() -> None:
    for audio in (np.zeros(SR * 2, dtype=np.float32), np.full(SR, 1e-5, dtype=np.float32), np.zeros(10)):
        reading = read_acoustic(audio)
        assert reading.silent
        assert "is silent" in acoustic_clue(reading) and "无声" in acoustic_clue(reading, "zh")


def test_synthesised_speech_has_plausible_prosody(speech: np.ndarray) -> None:
    reading = read_acoustic(speech, AcousticParams())
    s = reading.stats
    assert not reading.silent
    assert 150 < s["f0_median_hz"] < 280  # espeak-ng's female variant
    assert 0.3 < s["voiced_ratio"] <= 1.0
    assert 2.5 < s["syllable_rate"] < 6.5
    assert s["pauses"] >= 1  # the full stop
    assert -40 < s["loudness_dbfs"] < -5
    assert len(reading.f0) == len(reading.loudness) == len(reading.times)
    assert "syllables per second" in acoustic_clue(reading, "en", "female")


def test_loudness_is_the_same_without_numpys_avx512_paths(speech: np.ndarray, tmp_path) -> None:
    # numpy's float32 SIMD kernels differ per CPU (~1e-5 dB here); the loudness contour, drawn in the
    # prosody figure, must not. Another CPU is imitated by turning numpy's AVX-512 dispatch off.
    import os
    import subprocess
    import sys

    np.save(tmp_path / "speech.npy", speech)
    script = (
        "import sys, numpy as np; from emer.clues.acoustic import AcousticParams, read_acoustic; "
        "r = read_acoustic(np.load(sys.argv[1]), AcousticParams()); np.save(sys.argv[2], r.loudness)"
    )
    env = {**os.environ, "NPY_DISABLE_CPU_FEATURES": "AVX512_SPR AVX512_ICL X86_V4 AVX512_SKX AVX512F"}
    subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "speech.npy"), str(tmp_path / "other.npy")],
        env=env,
        check=True,
        capture_output=True,
    )
    here = read_acoustic(speech, AcousticParams()).loudness
    assert np.abs(np.load(tmp_path / "other.npy") - here).max() < 1e-10


def test_missing_espeak_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo.shutil, "which", lambda name: None)
    with pytest.raises(MissingDependencyError, match="apt-get install -y espeak-ng"):
        demo.synthesize_speech("hello")


# ----------------------------------------------------------------------------------------------- lexical


def test_english_subtitle_through_the_nrc_lexicon() -> None:
    reading = read_lexical("I'm not happy at all. You abandoned me, and I feel terrible!")
    words = {w["word"]: w for w in reading.words}
    assert words["happy"]["negated"] and not words["abandoned"]["negated"]
    assert "joy" not in reading.counts  # the only joy word is negated
    assert reading.counts["sadness"] >= 2 and reading.polarity["negative"] >= 2
    text = lexical_clue(reading)
    assert text.startswith("Lexical clues: the subtitle says \"I'm not happy at all.")
    assert '(negated: "happy")' in text and "mainly express anger, fear and sadness (2 words each)" in text
    assert "with a negative tone (0 positive, 2 negative)" in text
    assert "NRC情感词典" in lexical_clue(reading, "zh")


def test_chinese_subtitle_through_the_dutir_ontology() -> None:
    assert subtitle_language("我好开心啊") == "zh" and subtitle_language("hello 你") == "en"
    reading = read_lexical("我好开心啊，非常高兴！但是我不难过。")
    words = [(w["word"], w["categories"][0], w["negated"]) for w in reading.words]
    assert ("开心", "乐", False) in words and ("高兴", "乐", False) in words  # split out of 好开心, 非常高兴
    assert ("难过", "哀", True) in words
    assert reading.counts == {"乐": 2}
    assert "情感词有“开心”“高兴”，被否定的有“难过”。这些词主要表达快乐（2个）" in lexical_clue(reading, "zh")
    expected = 'Emotion words by the DUTIR emotion ontology: "开心", "高兴" (negated: "难过")'
    assert expected in lexical_clue(reading)
    assert "They mainly express joy (2), with a positive tone" in lexical_clue(reading)


def test_no_subtitle_and_the_safe_unpickler() -> None:
    assert lexical_clue(None) == "Lexical clues: no subtitle is available."
    assert lexical_clue(None, "zh") == "文本线索：没有可用的字幕。"
    assert _SetsOnly(io.BytesIO(pickle.dumps({"甲", "乙"}))).load() == {"甲", "乙"}
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        _SetsOnly(io.BytesIO(pickle.dumps(np.zeros(2)))).load()
