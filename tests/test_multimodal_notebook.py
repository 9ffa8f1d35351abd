"""Notebook 01 shows the model path when its parameters name a backend, and replays it from the call
cache with the server stopped; by default it runs the CPU demo only (the notebook rules test covers that)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from loopback_server import LoopbackServer

from emer.nbrun import ROOT, run_notebook

NOTEBOOK = ROOT / "notebooks" / "01_generate_clues.py"


def _table(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "tables" / "table_demo_model_explanations.csv")


@pytest.mark.parametrize("pipeline", ["direct"])
def test_notebook_01_runs_and_replays_the_model_path(pipeline, tmp_path, data_dir) -> None:
    chat = LoopbackServer().start()
    params = {
        "model_pipeline": pipeline,
        "vision_model": "normal",
        "vision_base_url": chat.base_url,
        "audio_backend": "same",
        "data_dir": str(data_dir),
    }
    try:
        run_notebook(NOTEBOOK, tmp_path / "live", "smoke", params)
    finally:
        chat.stop()
    live = _table(tmp_path / "live")
    assert list(live["setting"]) == ["S0", "S1", "S2"] and set(live["status"]) == {"ok"}
    assert (live["images"] == 8).all() and (live["audio_kb"] > 300).all()
    assert chat.received("normal", "Describe the emotion clues")
    # replay: a fresh output folder with only the recorded calls; the server is gone
    (tmp_path / "replay" / "cache").mkdir(parents=True)
    shutil.copy(tmp_path / "live/cache/llm-calls.sqlite", tmp_path / "replay/cache/llm-calls.sqlite")
    run_notebook(NOTEBOOK, tmp_path / "replay", "smoke", {**params, "cache_mode": "replay"})
    replayed = _table(tmp_path / "replay")
    assert set(replayed["status"]) == {"ok"} and replayed["cached"].all()
    live_text = (tmp_path / "live/cache/clues/model/predictions-S2.jsonl").read_text()
    assert (tmp_path / "replay/cache/clues/model/predictions-S2.jsonl").read_text() == live_text
