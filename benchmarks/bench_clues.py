"""Real-time factor of each clue stage on a 10 s clip at the default sampling (8 frames, 16 kHz audio).

Usage: python benchmarks/bench_clues.py [--seconds 10] [--size 640x480] [--repeat 3] [--frames 8]

The clip is made here (the astronaut portrait filmed by the demo's virtual camera, with espeak-ng speech
repeated to fill it). Models are loaded and the numba cache warmed by one untimed run; the best of
``--repeat`` timed runs is reported per stage. RTF = processing time / clip duration (lower is faster);
the target is a whole clue stage at least 10x faster than real time (RTF <= 0.1).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from emer.clues import demo
from emer.clues.media import find_clips
from emer.clues.pipeline import ClueExtractor, ClueParams

TARGET_RTF = 0.1
STAGES = ("decode_video", "visual", "decode_audio", "acoustic", "lexical", "total")


def build_clip(folder: Path, seconds: float, size: tuple[int, int]) -> Path:
    sample_rate = 16000
    speech = demo.synthesize_speech(demo.DEMO_TEXT, demo.DEMO_VOICE)
    gap = np.zeros(int(0.4 * sample_rate), dtype=np.float32)
    reps = int(np.ceil(seconds * sample_rate / (len(speech) + len(gap))))
    audio = np.concatenate([np.concatenate([speech, gap])] * reps)[: int(seconds * sample_rate)]
    frames = demo.camera_frames(demo.portrait(), int(round(seconds * 25)), size=size, leave_at=1.0)
    path = demo.write_clip(folder / "bench.mp4", frames, 25, audio, sample_rate)
    (folder / "bench.txt").write_text(demo.DEMO_TEXT, encoding="utf-8")
    return path


def main() -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--size", default="640x480", help="frame size WxH")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--frames", type=int, default=8)
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.lower().split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        build_clip(Path(tmp), args.seconds, size)
        clip = find_clips(tmp)[0]
        start = time.perf_counter()
        extractor = ClueExtractor(ClueParams(frames=args.frames))
        extractor.process(clip)  # loads the expression model, jieba, the lexicon, numba's cache
        cold = time.perf_counter() - start
        runs = [extractor.process(clip).record for _ in range(args.repeat)]
    assert runs[0]["status"] == "ok", runs[0]
    best = {stage: min(r["timings"][stage] for r in runs) for stage in STAGES}
    print(f"clue stage on a {args.seconds:.0f} s clip, {size[0]}x{size[1]} at 25 fps, {args.frames} frames")
    print(f"{'stage':<14s} {'seconds':>8s} {'RTF':>7s} {'x real time':>12s}")
    for stage in STAGES:
        rtf = best[stage] / args.seconds
        speed = f"{1 / rtf:11.1f}x" if rtf >= 1e-4 else f"{'>10000x':>12s}"
        print(f"{stage:<14s} {best[stage]:8.3f} {rtf:7.4f} {speed}")
    print(f"first clip, with model loading and warm-up: {cold:.2f} s (once per process)")
    verdict = "meets" if best["total"] / args.seconds <= TARGET_RTF else "misses"
    print(f"whole clue stage: {args.seconds / best['total']:.1f}x real time: {verdict} the 10x target")


if __name__ == "__main__":
    main()
