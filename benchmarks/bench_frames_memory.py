"""Peak memory of the frames of an 8K clip: decoded at full resolution (before) or at the size they are used
at (after), for the clue stage (``emer clues``: frames at most ``ClueParams.max_side``, 1280 px) and the
model pipelines' payloads (``emer explain --pipeline``: JPEG frames of ``MediaSettings.image_size``, 448 px).

Usage: python benchmarks/bench_frames_memory.py [--seconds 3] [--frames 8 64] [--clip PATH]

The clip is made here unless ``--clip`` names one: 7680x4320 H.264 at 25 fps, the astronaut portrait
drifting across the frame, no audio. Each case runs in a fresh Python process and reports its peak
resident memory (``VmHWM``: imports, the expression model and the decoder included) and its time.
"before" is the code path of emer 4c6a1c2: every sampled frame converted to RGB at full size in one pass
and kept, the decoder free to use frame threads; "after" converts each picked frame in strips of rows
(the same bits), shrinks it at once and keeps only the small copy, with slice threads only above 4K.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

WIDTH, HEIGHT, FPS = 7680, 4320, 25


def build_clip(path: Path, seconds: float) -> Path:
    """An 8K H.264 clip (x264 ultrafast) whose frames are shifted copies of one upscaled portrait."""
    import av
    import cv2

    from emer.clues import demo
    from emer.clues.colour import rgb_to_yuv420

    canvas = np.full((HEIGHT, WIDTH, 3), 40, dtype=np.uint8)
    face = cv2.resize(demo.portrait(), (HEIGHT, HEIGHT), interpolation=cv2.INTER_CUBIC)
    canvas[:, (WIDTH - HEIGHT) // 2 : (WIDTH + HEIGHT) // 2] = face
    y, cb, cr = rgb_to_yuv420(canvas)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "28"}
        for index in range(int(round(seconds * FPS))):
            shift = 8 * index  # even, so the chroma planes shift by whole samples
            planes = [
                np.roll(y, shift, axis=1),
                np.roll(cb, shift // 2, axis=1),
                np.roll(cr, shift // 2, axis=1),
            ]
            data = np.concatenate([p.ravel() for p in planes]).reshape(-1, WIDTH)
            frame = av.VideoFrame.from_ndarray(data, format="yuv420p")
            frame.pts, frame.time_base = index, Fraction(1, FPS)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def measure(pipeline: str, frames: int, mode: str, clip: Path) -> dict:
    """One case in this process: peak memory (MiB) and seconds."""
    from emer.clues import media
    from emer.clues.media import Clip

    if mode == "before":
        from emer.clues import colour

        media.THREADED_DECODE_PIXELS = 10**12  # frame threads whatever the size, as before
        colour.STRIP_CHROMA_ROWS = 10**9  # the whole frame converted in one pass, as before
    start = time.perf_counter()
    if pipeline == "clues":
        from emer.clues.pipeline import ClueExtractor, ClueParams

        params = ClueParams(frames=frames, max_frames=frames, max_side=0 if mode == "before" else 1280)
        extractor = ClueExtractor(params)
        extractor.model  # noqa: B018 - loaded first, as in a run over many clips
        record = extractor.process(Clip(clip.stem, clip)).record
        done = len(record["visual"]["frames"])
    else:
        from emer.clues.model_pipeline.payloads import load_clip_media
        from emer.llm.multimodal import MediaSettings, encode_jpeg

        settings = MediaSettings(frames=frames)
        if mode == "before":  # 4c6a1c2's load_clip_media: full-size frames, then JPEG
            wanted = media.sample_times(media.probe(clip).duration, frames, 0.0, frames)
            _, decoded = media.read_frames(clip, wanted)
            done = len([encode_jpeg(f, settings.image_size, settings.jpeg_quality) for f in decoded])
        else:
            done = len(load_clip_media(Clip(clip.stem, clip), settings).frames)
    seconds = time.perf_counter() - start
    return {
        "pipeline": pipeline,
        "frames": frames,
        "mode": mode,
        "peak_mib": peak_mib(),
        "seconds": seconds,
        "n": done,
    }


def peak_mib() -> float:
    """This process's peak resident memory: VmHWM (ru_maxrss keeps the parent's peak across fork + exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--frames", type=int, nargs="+", default=[8, 64])
    parser.add_argument("--clip", type=Path, help="an existing clip to measure instead of the 8K one")
    parser.add_argument(
        "--measure", nargs=4, metavar=("PIPELINE", "FRAMES", "MODE", "CLIP"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.measure:
        pipeline, frames, mode, clip = args.measure
        print(json.dumps(measure(pipeline, int(frames), mode, Path(clip))))
        return
    with tempfile.TemporaryDirectory() as tmp:
        clip = args.clip or build_clip(Path(tmp) / "clip_8k.mp4", args.seconds)
        print(f"clip: {clip.name}, {clip.stat().st_size / 2**20:.1f} MiB")
        print(f"{'pipeline':<9s} {'frames':>6s} {'mode':<7s} {'peak MiB':>9s} {'seconds':>8s}")
        for pipeline in ("clues", "payloads"):
            for frames in args.frames:
                for mode in ("before", "after"):
                    command = [sys.executable, __file__, "--measure", pipeline, str(frames), mode, str(clip)]
                    row = json.loads(
                        subprocess.run(command, check=True, capture_output=True, text=True).stdout
                    )
                    assert row["n"] == frames, row
                    peak, seconds = row["peak_mib"], row["seconds"]
                    print(f"{pipeline:<9s} {frames:>6d} {mode:<7s} {peak:>9.0f} {seconds:>8.1f}")


if __name__ == "__main__":
    main()
