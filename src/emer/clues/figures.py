"""Figures of the clue notebook. Each function returns a matplotlib Figure."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from emer.clues.acoustic import PITCH_REFERENCE, AcousticReading  # noqa: E402
from emer.clues.visual import EXPRESSIONS, VisualReading  # noqa: E402

EXPRESSION_COLOURS = dict(zip(EXPRESSIONS, sns.color_palette("tab10", len(EXPRESSIONS)), strict=True))


def frames_figure(frames: list[np.ndarray], reading: VisualReading, columns: int = 4):
    """The sampled frames with the main face's box and its two most probable expressions."""
    rows = int(np.ceil(len(frames) / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(3.2 * columns, 2.9 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, image, frame in zip(axes.flat, frames, reading.frames, strict=False):
        ax.imshow(image)
        if frame.box is None:
            ax.set_title(f"{frame.time:.2f} s: no face", fontsize=9, color="#C44E52")
            continue
        x, y, w, h = frame.box
        ax.add_patch(Rectangle((x, y), w, h, fill=False, edgecolor="#55A868", linewidth=2))
        order = np.argsort(-frame.probs, kind="stable")[:2]
        label = ", ".join(f"{EXPRESSIONS[i]} {frame.probs[i]:.2f}" for i in order)
        ax.set_title(f"{frame.time:.2f} s: {label}", fontsize=9)
    fig.suptitle("Sampled frames: detected face (Haar cascade) and expression probabilities (FER2013)")
    fig.tight_layout()
    return fig


def expression_figure(reading: VisualReading):
    """Expression probabilities of the main face over time; frames without a face are marked."""
    fig, ax = plt.subplots(figsize=(8, 3.2))
    times = np.array([f.time for f in reading.frames])
    for i, name in enumerate(EXPRESSIONS):
        values = np.array([f.probs[i] if f.probs is not None else np.nan for f in reading.frames])
        ax.plot(times, values, marker="o", label=name, color=EXPRESSION_COLOURS[name])
    for frame in reading.frames:
        if frame.box is None:
            ax.axvline(frame.time, color="#999999", linestyle=":", linewidth=1.5)
    for edge in (reading.duration / 3, 2 * reading.duration / 3):
        ax.axvline(edge, color="black", linewidth=0.6, alpha=0.4)
    ax.set(xlim=(0, reading.duration), ylim=(-0.02, 1.02), xlabel="time (s)", ylabel="probability")
    ax.set_title("Expression probabilities by frame (thirds: beginning / middle / end; dotted: no face)")
    ax.legend(ncol=4, fontsize=8, loc="center right")
    fig.tight_layout()
    return fig


def prosody_figure(audio: np.ndarray, sample_rate: int, reading: AcousticReading, sex: str | None = None):
    """Waveform with pauses, pitch contour against the reference range, loudness with syllable nuclei."""
    fig, axes = plt.subplots(3, 1, figsize=(9, 6.5), sharex=True)
    t = np.arange(len(audio)) / sample_rate
    axes[0].plot(t, audio, linewidth=0.4, color="#4C72B0")
    for start, end in reading.pauses:
        for ax in axes:
            ax.axvspan(start, end, color="#DD8452", alpha=0.25, linewidth=0)
    axes[0].set(ylabel="amplitude", title="Waveform (orange: pauses)")
    reference = sex if sex in PITCH_REFERENCE else "overall"
    low, high = PITCH_REFERENCE[reference]
    axes[1].axhspan(low, high, color="#55A868", alpha=0.15, label=f"typical F0, {reference}")
    axes[1].plot(reading.times, reading.f0, ".", markersize=3, color="#C44E52", label="F0 (voiced frames)")
    if "f0_median_hz" in reading.stats:
        axes[1].axhline(reading.stats["f0_median_hz"], color="#C44E52", linewidth=0.8, linestyle="--")
    axes[1].set(ylabel="F0 (Hz)", title="Pitch (pyin)")
    axes[1].legend(fontsize=8, loc="upper right")
    axes[2].plot(reading.times, reading.loudness, linewidth=0.8, color="#8172B3", label="loudness")
    nuclei = np.searchsorted(reading.times, reading.nuclei)
    axes[2].plot(
        reading.nuclei, reading.loudness[nuclei], "v", markersize=4, color="black", label="syllable nuclei"
    )
    floor = float(np.nanmin(reading.loudness[reading.active])) if reading.active.any() else -60.0
    axes[2].set(
        ylabel="dBFS", xlabel="time (s)", ylim=(max(floor - 10, -90), None), title="Loudness (frame RMS)"
    )
    axes[2].legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


def clue_length_figure(lengths: pd.DataFrame):
    """Clue length by modality: the gold EMER-v2 parts as box plots, ours as red diamonds; one panel per
    language (``lengths`` from :func:`emer.clues.stats.clue_lengths`)."""
    languages = sorted(lengths["language"].unique())
    order = ["visual", "acoustic", "lexical"]
    fig, axes = plt.subplots(1, len(languages), figsize=(5 * len(languages), 3.6), squeeze=False)
    for ax, language in zip(axes.flat, languages, strict=True):
        data = lengths[lengths["language"] == language]
        gold, ours = data[data["source"] != "ours"], data[data["source"] == "ours"]
        sns.boxplot(data=gold, x="modality", y="length", order=order, color="#A1C9F4", ax=ax, fliersize=2)
        if len(ours):
            sns.stripplot(
                data=ours, x="modality", y="length", order=order, color="#C44E52", marker="D", size=7, ax=ax
            )
        unit = "characters" if language == "zh" else "words"
        ax.set(title=f"{language}: gold EMER-v2 (boxes) vs ours (red)", xlabel="", ylabel=unit)
    fig.tight_layout()
    return fig
