"""S0 / S1 / S2 explanations and OV labels through the LLM layer (offline backend: no model)."""

from __future__ import annotations

from pathlib import Path

import pytest

from emer.cli import main
from emer.clues import demo
from emer.clues.explain import clue_text, explain_records
from emer.clues.pipeline import read_record, record_path
from emer.llm import make_runner

SUBTITLE = "I am so happy today!"


def _record(clip: str, status: str = "ok", subtitle: str | None = SUBTITLE) -> dict:
    clues = {
        "en": {
            "visual": f"Visual clues: {clip} looks clearly happy (0.95).",
            "acoustic": "Acoustic clues: the pitch is high.",
            "lexical": f'Lexical clues: the subtitle says "{subtitle}"'
            if subtitle
            else "Lexical clues: none.",
        }
    }
    return {
        "clip": clip,
        "status": status,
        "subtitle": subtitle,
        "clues": clues if status != "unreadable" else {},
    }


@pytest.fixture(scope="module")
def runner(data_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    made = make_runner("offline", cache_dir=tmp_path_factory.mktemp("cache"), data_dir=data_dir)
    yield made
    made.cache.close()


def test_strategies_build_on_each_other(runner) -> None:
    records = [_record("b"), _record("a", subtitle=None), _record("c", status="unreadable")]
    table = explain_records(records, runner, ["S0", "S1", "S2"], "en")
    rows = table.set_index(["clip", "strategy"])
    assert list(table["clip"]) == ["a", "b", "c"] * 3
    s0, s1, s2 = (rows.loc[("b", s)] for s in ("S0", "S1", "S2"))
    assert s0["input"] == clue_text(_record("b"), "en", False) == s0["explanation"]  # offline: a template
    assert "Lexical clues" in s1["input"] and "Lexical clues" not in s0["input"]
    assert s2["input"] == s0["explanation"]
    assert s2["explanation"].startswith(s0["explanation"]) and SUBTITLE in s2["explanation"]
    assert rows.loc[("a", "S2"), "explanation"] == rows.loc[("a", "S0"), "explanation"]  # no subtitle
    assert all(
        rows.loc[("b", s), "status"] == "ok" and "happy" in rows.loc[("b", s), "labels"]
        for s in ["S0", "S1", "S2"]
    )
    assert (rows.loc["c"]["status"] == "skipped").all()
    with pytest.raises(ValueError, match="strategies"):
        explain_records(records, runner, ["S3"])


def test_s2_carries_the_subtitle_models_reading(runner) -> None:
    record = _record("m", subtitle="Leave me alone!")
    record["clues"]["en"]["visual"] = "Visual clues: no face is visible."
    probabilities = {"angry": 0.8, "neutral": 0.1, "sad": 0.1}
    record["lexical"] = {
        "model": {"model": "m", "space": "mer2023", "label": "angry", "probabilities": probabilities}
    }
    s2 = explain_records([record], runner, ["S2"], "en").iloc[0]
    assert s2["explanation"].endswith(
        'The subtitle of the clip reads: "Leave me alone!" By its words alone, the speaker is most likely '
        "angry (80% by a subtitle emotion model fitted on MER2023)."
    )
    assert s2["labels"] == ["angry"]


def test_cli_explain_writes_records_and_resumes(data_dir: Path, tmp_path: Path, capsys) -> None:
    media = tmp_path / "media"
    speech = demo.synthesize_speech(SUBTITLE, "en-us+f2")
    demo.make_clip(media / "face.mp4", seconds=len(speech) / 16000, audio=speech)
    (media / "face.txt").write_text(SUBTITLE, encoding="utf-8")
    (media / "zz.webm").write_bytes(b"not a video")
    out = tmp_path / "out"
    args = ["explain", str(media), "--out", str(out), "--strategy", "S0", "S2", "--frames", "3"]
    args += ["--languages", "en", "--no-progress", "--data-dir", str(data_dir)]
    assert main(args) == 0
    assert "4 explanation record(s)" in capsys.readouterr().out
    record = read_record(record_path(out, "face", "explanations/S2"))
    assert record["status"] == "ok" and "happy" in record["labels"]
    reading = read_record(record_path(out, "face"))["lexical"]["model"]  # the real subtitle model (cached)
    assert reading["space"] == "mer2023" and reading["label"] == "happy"
    assert reading["model"].startswith("mer2023-en-")
    assert max(reading["probabilities"], key=reading["probabilities"].get) == "happy"
    assert "By its words alone, the speaker is most likely happy" in record["explanation"]
    assert record["backend"].startswith("offline:") and record["clues"]["visual"].startswith("Visual clues")
    assert SUBTITLE in record["explanation"] and set(record["timings"]) == {"clues", "llm"}
    assert read_record(record_path(out, "zz", "explanations/S0"))["status"] == "skipped"
    summary = (out / "explanations" / "summary.csv").read_text()
    assert summary.splitlines()[0] == "clip,strategy,status,labels,explanation_chars,cached,seconds"

    stamp = record_path(out, "face", "explanations/S2").stat().st_mtime_ns
    assert main(args) == 0  # everything done: nothing is rewritten
    assert record_path(out, "face", "explanations/S2").stat().st_mtime_ns == stamp


def test_explain_then_score_with_no_glue(data_dir: Path, tmp_path: Path, capsys) -> None:
    """`emer explain CLIPS --out O && emer score O --dataset mer2023-train --subset given`: the run writes
    one predictions file per strategy, the scorer reads the folder as it is (each strategy a system), a
    clip that failed is listed, never scored as an empty answer, and the coverage is printed."""
    import json

    from emer.data.loaders import load_mer2023_labels

    labels = load_mer2023_labels(data_dir)
    train = labels[labels["split"] == "train"].sort_values("sample")
    happy, angry = (
        train[train["label"] == "happy"]["sample"].iloc[0],
        train[train["label"] == "angry"]["sample"].iloc[0],
    )
    media = tmp_path / "media"
    speech = demo.synthesize_speech(SUBTITLE, "en-us+f2")
    for name in (happy, angry):
        demo.make_clip(media / f"{name}.mp4", seconds=len(speech) / 16000, audio=speech)
        (media / f"{name}.txt").write_text(SUBTITLE, encoding="utf-8")
    broken = train["sample"].iloc[-1]
    (media / f"{broken}.mp4").write_bytes(b"not a video")
    out = tmp_path / "out"
    args = ["explain", str(media), "--out", str(out), "--strategy", "S0", "S2", "--frames", "3"]
    assert main([*args, "--languages", "en", "--no-progress", "--data-dir", str(data_dir)]) == 0
    lines = [json.loads(x) for x in (out / "predictions-S2.jsonl").read_text().splitlines()]
    assert [(x["name"], x["strategy"]) for x in lines] == [(n, "S2") for n in sorted((happy, angry, broken))]
    assert {x["name"]: x["status"] for x in lines}[broken] == "skipped" and (
        out / "predictions-S0.jsonl"
    ).is_file()
    capsys.readouterr()

    score_args = ["score", str(out), "--dataset", "mer2023-train", "--subset", "given", "--n-boot", "50"]
    assert main([*score_args, "--out", str(tmp_path / "card"), "--data-dir", str(data_dir)]) == 0
    printed = capsys.readouterr().out
    assert "scored 2 of 3,373 samples of mer2023-train (--subset given)" in printed
    assert "out S0:" in printed and "out S2:" in printed  # each strategy a system
    assert "1 clip(s) failed in emer explain, not scored" in printed
    card = json.loads((tmp_path / "card" / "scorecard.json").read_text())
    assert card["coverage"] == {"scored": 2, "of": 3373, "subset": "given"}
    s2 = next(s for s in card["systems"] if s["system"] == "out S2")
    assert (
        s2["labels"] == "given"
        and s2["metrics"]["hit rate"]["n_scored"] == 2
        and broken in s2["failed_clips"]
    )
    assert "subset:given(2/3373)@" in card["signature"]
    board = (tmp_path / "card" / "tables" / "leaderboard.csv").read_text()
    assert "2 of 3,373" in board

    assert main(["score", str(out), "--dataset", "mer2023-train", "--data-dir", str(data_dir)]) == 2
    assert "failed in emer explain" in capsys.readouterr().err  # the full split needs every sample
