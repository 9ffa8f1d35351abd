"""Acoustic clue: prosody of the audio track, described against documented reference ranges.

Pitch comes from probabilistic YIN (``librosa.pyin``, librosa is ISC-licensed), loudness from the
frame RMS in dBFS. From them: pitch level and range, loudness and its changes, the share of voiced
speech, a syllable rate (prominent loudness peaks, after de Jong & Wempe 2009, without their voicing
check, which pyin's conservative voicing made drop real syllables) and pauses.

Reference ranges (:data:`PITCH_REFERENCE`, :data:`BANDS`) — descriptive rules of thumb, not norms:

* Mean speaking F0 of adults: men about 85-155 Hz, women about 165-255 Hz (Baken & Orlikoff 2000,
  *Clinical Measurement of Speech and Voice*; Titze 1994, *Principles of Voice Production*). With the
  sex unknown, the union 85-255 Hz is used.
* F0 variability: the F0 standard deviation of ordinary speech is about 2-3 semitones (Traunmüller &
  Eriksson 1995), so the 5th-95th percentile span is typically 6-12 semitones; below is narrow
  (monotonous), above is wide (lively).
* Speaking rate: conversational speech runs at about 3-6 syllables per second (Pellegrino et al. 2011,
  across languages); below is slow, above is fast.
* Loudness is in dBFS, so its level depends on the recording gain; the level bands assume speech
  recorded near -20 dBFS (broadcast and phone-camera recordings sit around -30 to -15 dBFS). Changes
  (in dB, over the clip) do not depend on the gain.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.signal import find_peaks

from emer.clues.media import MissingDependencyError

#: Typical mean speaking F0 (Hz) by speaker sex; "overall" when the sex is unknown.
PITCH_REFERENCE = {"male": (85.0, 155.0), "female": (165.0, 255.0), "overall": (85.0, 255.0)}
#: Band edges: below the first value is low, above the second is high.
BANDS = {
    "pitch_range_st": (6.0, 12.0),  # 5th-95th percentile span of F0, semitones
    "syllable_rate": (3.0, 6.0),  # syllables per second of speech
    "loudness_dbfs": (-32.0, -18.0),  # mean loudness of the active frames
    "loudness_sd_db": (3.0, 6.0),  # SD of the smoothed loudness contour
}
#: A change over the clip (last third minus first third) counts from these sizes.
TREND = {"pitch_st": 1.5, "loudness_db": 3.0}


#: Shortest audio (s) analysed: the smoothed loudness contour and the pitch tracker need this much.
MIN_AUDIO_S = 0.3


@dataclass(frozen=True)
class AcousticParams:
    """Audio analysis settings (see ``params/01_generate_clues.yaml``)."""

    sample_rate: int = 16000  # audio is resampled to this rate (Hz)
    fmin: float = 65.0  # lowest F0 searched (Hz)
    fmax: float = 500.0  # highest F0 searched (Hz)
    frame_length: int = 1024  # analysis window (samples)
    hop_length: int = 320  # frame step (samples): 20 ms at 16 kHz
    pitch_resolution: float = 0.25  # pyin pitch-bin width (semitones)
    silence_dbfs: float = -60.0  # a clip whose loud frames stay below this is silent
    activity_db: float = 35.0  # frames within this of the loud frames (95th percentile) are speech
    min_pause: float = 0.25  # shortest silent gap inside speech counted as a pause (s)
    smooth: float = 0.3  # window of the smoothed loudness contour (s)
    nucleus_prominence_db: float = 2.0  # loudness peak prominence of a syllable nucleus (dB)
    nucleus_range_db: float = 20.0  # a nucleus lies within this of the loud frames (dB)


@dataclass
class AcousticReading:
    """Contours and summary numbers of one audio track (frame rate = sample_rate / hop_length)."""

    duration: float
    silent: bool
    times: np.ndarray = field(default_factory=lambda: np.zeros(0))
    f0: np.ndarray = field(default_factory=lambda: np.zeros(0))  # Hz, NaN where unvoiced
    loudness: np.ndarray = field(default_factory=lambda: np.zeros(0))  # dBFS per frame
    active: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    pauses: list[tuple[float, float]] = field(default_factory=list)  # (start, end) in s
    nuclei: np.ndarray = field(default_factory=lambda: np.zeros(0))  # syllable nucleus times (s)
    stats: dict[str, float] = field(default_factory=dict)


def _librosa():
    try:
        import librosa
    except ImportError:
        raise MissingDependencyError("librosa is missing: pip install librosa==0.11.0") from None
    return librosa


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Half-open index runs where ``mask`` is True."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def _thirds(values: np.ndarray, valid: np.ndarray) -> list[float]:
    """Mean of the valid values in each third of the frames (NaN where a third has none)."""
    out = []
    for part_values, part_valid in zip(np.array_split(values, 3), np.array_split(valid, 3), strict=True):
        out.append(float(np.mean(part_values[part_valid])) if part_valid.any() else float("nan"))
    return out


def read_acoustic(audio: np.ndarray, params: AcousticParams | None = None) -> AcousticReading:
    """Prosody of a mono float signal at ``params.sample_rate`` (at least :data:`MIN_AUDIO_S` long,
    else ValueError)."""
    p = params or AcousticParams()
    sr, hop = p.sample_rate, p.hop_length
    audio = np.asarray(audio, dtype=np.float32)
    duration = len(audio) / sr
    if not len(audio) or not np.isfinite(audio).all() or float(np.max(np.abs(audio))) == 0.0:
        return AcousticReading(duration, True)
    if duration < MIN_AUDIO_S or len(audio) < p.frame_length:
        raise ValueError(f"{duration:.3f} s of audio is too short to analyse (at least {MIN_AUDIO_S} s)")
    librosa = _librosa()
    # RMS in float64: numpy's float32 SIMD paths differ between CPUs by ~1e-5 dB, which the figure shows.
    rms = librosa.feature.rms(
        y=audio.astype(np.float64), frame_length=p.frame_length, hop_length=hop, dtype=np.float64
    )[0]
    loudness = 20 * np.log10(np.maximum(rms, 1e-10))
    times = np.arange(len(loudness)) * hop / sr
    loud = float(np.percentile(loudness, 95))
    if loud < p.silence_dbfs:
        return AcousticReading(duration, True, times=times, loudness=loudness)
    active = loudness > max(loud - p.activity_db, p.silence_dbfs)
    # gaps shorter than min_pause belong to speech (stop closures, short breaths)
    min_gap = int(np.ceil(p.min_pause * sr / hop))
    first, last = int(np.argmax(active)), len(active) - int(np.argmax(active[::-1]))
    pauses, speech = [], np.zeros_like(active)
    speech[first:last] = True
    for start, end in _runs(~active[first:last]):
        if end - start >= min_gap:
            pauses.append(((first + start) * hop / sr, (first + end) * hop / sr))
            speech[first + start : first + end] = False
    f0, voiced, _ = librosa.pyin(
        audio,
        fmin=p.fmin,
        fmax=p.fmax,
        sr=sr,
        frame_length=p.frame_length,
        hop_length=hop,
        resolution=p.pitch_resolution,
    )
    n = min(len(f0), len(loudness))
    f0, voiced, loudness, times, active, speech = (
        x[:n] for x in (f0, voiced, loudness, times, active, speech)
    )
    voiced = voiced & active & np.isfinite(f0)
    f0 = np.where(voiced, f0, np.nan)
    width = max(1, int(round(p.smooth * sr / hop)))
    smooth = _moving_mean(loudness, active, width)
    # syllable nuclei: loudness peaks that stand out from their dips and lie near the loud level
    peaks, _ = find_peaks(
        np.where(active, loudness, p.silence_dbfs),
        prominence=p.nucleus_prominence_db,
        distance=max(1, int(round(0.1 * sr / hop))),
    )
    peaks = peaks[loudness[peaks] > loud - p.nucleus_range_db]
    speech_time = float(speech.sum()) * hop / sr
    stats: dict[str, float] = {
        "duration_s": duration,
        "speech_s": speech_time,
        "voiced_ratio": float(voiced.sum() / max(speech.sum(), 1)),
        "loudness_dbfs": float(np.mean(loudness[active])),
        "loudness_sd_db": float(np.nanstd(smooth[active])),
        "syllable_rate": len(peaks) / speech_time if speech_time > 0 else float("nan"),
        "pauses": float(len(pauses)),
        "pause_s": float(sum(b - a for a, b in pauses)),
        "longest_pause_s": float(max((b - a for a, b in pauses), default=0.0)),
    }
    loud_thirds = _thirds(loudness[first:last], active[first:last])
    stats["loudness_change_db"] = loud_thirds[2] - loud_thirds[0]
    if voiced.sum() >= 3:
        hz = f0[voiced]
        median = float(np.median(hz))
        p5, p95 = np.percentile(hz, [5, 95])
        semitones = 12 * np.log2(np.where(voiced, f0, median) / median)
        pitch_thirds = _thirds(semitones[first:last], voiced[first:last])
        stats |= {
            "f0_median_hz": median,
            "f0_p5_hz": float(p5),
            "f0_p95_hz": float(p95),
            "pitch_range_st": float(12 * np.log2(p95 / p5)),
            "pitch_sd_st": float(np.std(12 * np.log2(hz / median))),
            "pitch_change_st": pitch_thirds[2] - pitch_thirds[0],
        }
    return AcousticReading(duration, False, times, f0, loudness, active, pauses, times[peaks], stats)


def _moving_mean(values: np.ndarray, valid: np.ndarray, width: int) -> np.ndarray:
    """Centred moving mean over the valid frames (NaN where no valid frame is in the window)."""
    kernel = np.ones(width)
    total = np.convolve(np.where(valid, values, 0.0), kernel, mode="same")
    count = np.convolve(valid.astype(float), kernel, mode="same")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1e-12), np.nan)


# ------------------------------------------------------------------------------------------------ the clue

#: Words of the clue by language: low / middle / high band, and falling / rising change.
WORDS = {
    "en": {
        "who": {"male": "adult male voices", "female": "adult female voices", "overall": "adult voices"},
        "level": ("low", "medium", "high"),
        "span": ("narrow", "moderate", "wide"),
        "span_note": (", so the voice sounds rather monotonous", "", ", so the voice sounds lively"),
        "pitch_move": (" The pitch falls towards the end.", "", " The pitch rises towards the end."),
        "loud": ("soft", "moderate", "loud"),
        "steady": ("steady", "somewhat varied", "strongly varied"),
        "loud_move": (
            "; the voice becomes quieter towards the end",
            "",
            "; the voice grows louder towards the end",
        ),
        "pace": ("slow", "normal", "fast"),
    },
    "zh": {
        "who": {"male": "成年男性", "female": "成年女性", "overall": "成年人"},
        "level": ("偏低", "适中", "偏高"),
        "span": ("较小，语气较平淡", "适中", "较大，语气富有变化"),
        "pitch_move": ("，结尾处音调下降", "", "，结尾处音调上扬"),
        "loud": ("较小", "适中", "较大"),
        "steady": ("较为平稳", "有一定起伏", "起伏明显"),
        "loud_move": ("，后段音量减小", "", "，后段音量增大"),
        "pace": ("较慢", "正常", "较快"),
    },
}


def _band(value: float, key: str) -> int:
    low, high = BANDS[key]
    return 0 if value < low else (2 if value > high else 1)


def _trend(value: float, key: str) -> int:
    """0 falling, 1 flat, 2 rising (as indices into the WORDS tuples)."""
    if not np.isfinite(value) or abs(value) < TREND[key]:
        return 1
    return 2 if value > 0 else 0


def acoustic_clue(reading: AcousticReading, language: str = "en", sex: str | None = None) -> str:
    """The acoustic clue text: pitch, loudness, rate, pauses, each placed in its reference band."""
    zh = language == "zh"
    if reading.silent:
        if zh:
            return f"音频线索：音轨（{reading.duration:.1f}秒）几乎无声，无法判断语气和语调。"
        return (
            f"Acoustic clues: the audio track ({reading.duration:.1f} s) is silent, "
            "so tone and prosody cannot be read."
        )
    s, w = reading.stats, WORDS["zh" if zh else "en"]
    ref = sex if sex in ("male", "female") else "overall"
    low, high = PITCH_REFERENCE[ref]
    who = w["who"][ref]
    parts = [
        f"音频线索（{reading.duration:.1f}秒中约{s['speech_s']:.1f}秒为语音；参照{who}嗓音）："
        if zh
        else f"Acoustic clues (speech for about {s['speech_s']:.1f} s of {reading.duration:.1f} s; "
        f"reference: {who})."
    ]
    if "f0_median_hz" in s:
        f0, st = s["f0_median_hz"], s["pitch_range_st"]
        level = 0 if f0 < low else (2 if f0 > high else 1)
        span, move = _band(st, "pitch_range_st"), _trend(s["pitch_change_st"], "pitch_st")
        if zh:
            parts.append(
                f"音调{w['level'][level]}（中位数{f0:.0f}赫兹，{who}常见范围{low:.0f}–{high:.0f}赫兹），"
                f"起伏{w['span'][span]}（第5至95百分位相差{st:.1f}个半音）{w['pitch_move'][move]}。"
            )
        else:
            parts.append(
                f"The pitch is {w['level'][level]} (median {f0:.0f} Hz; typical for {who}: "
                f"{low:.0f}-{high:.0f} Hz) with a {w['span'][span]} range ({st:.1f} semitones between "
                f"the 5th and 95th percentiles){w['span_note'][span]}.{w['pitch_move'][move]}"
            )
    else:
        parts.append(
            "几乎检测不到浊音，无法判断音调。"
            if zh
            else "Almost no voiced speech is found, so the pitch cannot be read."
        )
    db, sd = s["loudness_dbfs"], s["loudness_sd_db"]
    loud, steady = _band(db, "loudness_dbfs"), _band(sd, "loudness_sd_db")
    change = _trend(s["loudness_change_db"], "loudness_db")
    if zh:
        parts.append(
            f"音量{w['loud'][loud]}（平均{db:.0f} dBFS），{w['steady'][steady]}（标准差{sd:.1f}分贝）"
            f"{w['loud_move'][change]}。"
        )
    else:
        parts.append(
            f"The loudness is {w['loud'][loud]} ({db:.0f} dBFS on average) and {w['steady'][steady]} "
            f"(SD {sd:.1f} dB){w['loud_move'][change]}."
        )
    rate, voiced = s["syllable_rate"], s["voiced_ratio"]
    if np.isfinite(rate):
        pace = w["pace"][_band(rate, "syllable_rate")]
        parts.append(
            f"语速{pace}（约每秒{rate:.1f}个音节，浊音占语音的{voiced:.0%}）。"
            if zh
            else f"The speaking rate is {pace} (about {rate:.1f} syllables per second; "
            f"{voiced:.0%} of the speech is voiced)."
        )
    n, total, longest = int(s["pauses"]), s["pause_s"], s["longest_pause_s"]
    if zh:
        parts.append(
            "说话过程中没有明显停顿。"
            if n == 0
            else f"说话中有{n}处停顿（共{total:.1f}秒，最长{longest:.1f}秒）。"
        )
        return "".join(parts)
    if n == 0:
        parts.append("There are no noticeable pauses.")
    else:
        count = "is 1 pause" if n == 1 else f"are {n} pauses"
        parts.append(f"There {count} ({total:.1f} s in total, the longest {longest:.1f} s).")
    return " ".join(parts)
