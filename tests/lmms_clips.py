"""Tiny clips named after real samples, and a run config pointing the emer lmms-eval tasks at them
(shared by test_lmms_tasks.py and test_lmms_eval_e2e.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from emer.clues.media import write_clip


def make_clips(folder: Path, names: list[str], seconds: float = 2.0) -> Path:
    """One clip per name: frames that brighten over time (a box whose shade follows the name's index)
    and a tone; 10 fps, 320x240."""
    folder.mkdir(parents=True, exist_ok=True)
    rate = 16000
    for index, name in enumerate(names):
        frames = []
        for i in range(int(10 * seconds)):
            frame = np.full((240, 320, 3), 20 + 10 * i, np.uint8)
            frame[100:140, 140:180] = 200 - 5 * index
            frames.append(frame)
        t = np.arange(int(seconds * rate)) / rate
        tone = (0.3 * np.sin(2 * np.pi * (180 + 40 * index) * t)).astype(np.float32)
        write_clip(folder / f"{name}.mp4", frames, 10, tone, rate)
    return folder


def write_config(root: Path, datasets: dict[str, list[str]], **settings) -> Path:
    """A config file under ``root``: each dataset's videos in ``root/<dataset>`` (made here), restricted to
    the given names; ``settings`` are top-level keys (scoring, audio ...)."""
    import yaml

    entries = {}
    for dataset, names in datasets.items():
        make_clips(root / dataset, names)
        (root / f"{dataset}.txt").write_text("\n".join(names) + "\n", encoding="utf-8")
        entries[dataset] = {"videos": dataset, "samples": f"{dataset}.txt"}
    config = {"out_dir": "out", "cache_dir": "cache", **settings, "datasets": entries}
    path = root / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path
