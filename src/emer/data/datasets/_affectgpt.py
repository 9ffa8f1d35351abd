"""AffectGPT's released outputs as the baseline of the MER-UniBench datasets it was released on."""

from __future__ import annotations

import pandas as pd

from emer.data import loaders as L
from emer.data.datasets.base import DataDir
from emer.data.registry import registry

SYSTEM = "AffectGPT (A+V+T)"


def affectgpt_baseline(dataset: str, data_dir: DataDir) -> tuple[pd.DataFrame, str, list[str]]:
    """The last released checkpoint of AffectGPT on ``dataset``, with the field's labels and sentiments."""
    outputs = L.load_affectgpt_outputs(dataset, data_dir)
    last = L.affectgpt_checkpoints(dataset)[-1]
    frame = outputs[outputs["checkpoint"] == last].drop(columns=["checkpoint", "labels_raw"])
    frame = frame.assign(system=f"{SYSTEM} {last.split('_loss')[0]}", setting="", language="en")
    if (frame["sentiment"] == "").all():
        frame = frame.drop(columns="sentiment")
    note = (
        f"{SYSTEM}, its last released checkpoint ({last}), with the labels (and sentiments) the field's "
        "Qwen2.5 wrote; the published row picks the best of 7 checkpoints on the test labels instead"
    )
    folder = f"{L.AFFECTGPT_OUTPUTS}/results-{dataset}/{L.AFFECTGPT_RUN}"
    files = [p for p in registry() if p.startswith(f"{folder}/{last}")]
    return frame.reset_index(drop=True), note, sorted(files)
