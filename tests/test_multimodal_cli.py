"""`emer explain --pipeline emer|direct` on the demo clip against the loopback server: records, a summary
and prediction files in the form `emer score` reads; --dry-run calls nothing; replay needs no server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from loopback_server import LoopbackServer

from emer.cli import main
from emer.clues.demo import DEMO_NAME, make_demo_clip
from emer.clues.model_pipeline import model_record_path


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    make_demo_clip(folder)
    return folder


def _explain(folder: Path, out: Path, url: str, *extra: str) -> int:
    return main(
        [
            "explain",
            str(folder),
            "--out",
            str(out),
            "--manifest",
            str(folder / "clips.csv"),
            "--no-progress",
            "--vision-backend",
            "openai",
            "--vision-model",
            "normal",
            "--vision-base-url",
            url,
            "--retries",
            "0",
            *extra,
        ]
    )


def test_both_pipelines_from_the_command_line(demo, tmp_path, capsys) -> None:
    chat = LoopbackServer().start()
    try:
        assert _explain(demo, tmp_path, chat.base_url, "--pipeline", "direct", "--audio-backend", "same") == 0
        assert _explain(demo, tmp_path, chat.base_url, "--pipeline", "emer", "--language", "zh") == 0
        printed = capsys.readouterr().out
        assert "predictions-S0.jsonl" in printed and "predictions-emer.jsonl" in printed
        sent = len(chat.seen)
        assert _explain(demo, tmp_path / "dry", chat.base_url, "--pipeline", "emer", "--dry-run") == 0
        assert len(chat.seen) == sent and "visual prompt" in capsys.readouterr().out
    finally:
        chat.stop()
    for setting in ("S0", "S1", "S2", "emer"):
        (row,) = [json.loads(x) for x in (tmp_path / f"predictions-{setting}.jsonl").read_text().splitlines()]
        assert row["name"] == DEMO_NAME and row["description"]
    emer = json.loads((tmp_path / "predictions-emer.jsonl").read_text())
    assert emer["description"].startswith("在视频中，")
    record = json.loads(model_record_path(tmp_path, "emer", "emer", DEMO_NAME).read_text())
    assert record["payload"]["images"] == 8 and record["subtitle"].startswith("Oh wow")
    # replay with the server stopped
    out = tmp_path / "replayed"
    assert (
        _explain(
            demo,
            out,
            chat.base_url,
            "--pipeline",
            "direct",
            "--audio-backend",
            "same",
            "--cache-dir",
            str(tmp_path / "llm-cache"),
            "--cache-mode",
            "replay",
        )
        == 0
    )
    assert (out / "predictions-S2.jsonl").read_text() == (tmp_path / "predictions-S2.jsonl").read_text()


def test_a_wrong_stage_combination_is_a_clear_error(demo, tmp_path, capsys) -> None:
    code = _explain(
        demo, tmp_path, "http://127.0.0.1:9/v1", "--pipeline", "direct", "--audio-backend", "openai"
    )
    assert code == 2 and "one call per clip" in capsys.readouterr().err
    code = _explain(demo, tmp_path, "http://127.0.0.1:9/v1", "--pipeline", "emer", "--frame-rate", "2")
    assert code == 2 and "--frame-rate is for --pipeline cpu" in capsys.readouterr().err


def test_a_clip_folder_becomes_a_scored_system_in_two_commands(demo, tmp_path, data_dir, capsys) -> None:
    import shutil

    clips = tmp_path / "clips"
    clips.mkdir()
    name = "sample_00000000"  # an OV-MERD sample name, so the explanation can be scored against its gold
    shutil.copy(demo / f"{DEMO_NAME}.mp4", clips / f"{name}.mp4")
    shutil.copy(demo / f"{DEMO_NAME}.srt", clips / f"{name}.srt")
    (clips / "clips.csv").write_text(f"name,sex\n{name},female\n")
    chat = LoopbackServer().start()
    try:
        assert (
            _explain(
                clips, tmp_path / "run", chat.base_url, "--pipeline", "direct", "--audio-backend", "same"
            )
            == 0
        )
    finally:
        chat.stop()
    capsys.readouterr()
    predictions = tmp_path / "run" / "predictions-S2.jsonl"
    command = ["score", str(predictions), "--data-dir", str(data_dir), "--metrics", "ew,sets,hitrate"]
    assert main([*command, "--no-baselines", "--n-boot", "50"]) == 2  # 331 samples have no prediction
    assert "--allow-missing" in capsys.readouterr().err
    out = tmp_path / "scored"
    assert main([*command, "--allow-missing", "--no-baselines", "--n-boot", "50", "--out", str(out)]) == 0
    card = json.loads((out / "scorecard.json").read_text())
    (system,) = card["systems"]
    assert system["system"] == "predictions-S2" and system["labels"] == "extracted"
    assert system["n_missing_scored_empty"] == 331 and system["extraction"]["ok"] == 332


def test_relative_out_is_the_working_directorys(demo, tmp_path, monkeypatch) -> None:
    from emer.report import ROOT

    monkeypatch.chdir(tmp_path)
    assert _explain(demo, Path("rel-out"), "http://127.0.0.1:9/v1", "--pipeline", "direct", "--dry-run") == 0
    chat = LoopbackServer().start()
    try:
        assert (
            _explain(demo, Path("rel-out"), chat.base_url, "--pipeline", "direct", "--audio-backend", "same")
            == 0
        )
    finally:
        chat.stop()
    assert (tmp_path / "rel-out" / "predictions-S0.jsonl").is_file()
    assert (tmp_path / "rel-out" / "llm-cache").is_dir() and not (ROOT / "rel-out").exists()
