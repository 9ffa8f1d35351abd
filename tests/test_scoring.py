"""`emer score`: input formats, bad input, agreement with the notebooks' tables, paired tests, choices,
checkpoints, the signature, extraction through a (loopback) model server and its replay."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emer.analysis.onehot import onehot_gold, system_hit_rates
from emer.analysis.strategies import strategy_table
from emer.cli import main
from emer.data import load_gold_ov_labels, load_mer2023_labels, load_system_outputs
from emer.labels.wheel import wheel_groupings
from emer.metrics.hitrate import HIT_RATE_METRICS, hit_rate_table
from emer.metrics.wheel import EWScorer, ew_table
from emer.scoring import Choices, Extractor, PredictionError, read_prediction, score
from emer.scoring.scorecard import require_full_set

LABELS_ONLY = {"metrics": ("ew", "sets", "hitrate"), "baselines": False, "n_boot": 20}
S2_LABELS = "AffectGPT-2025/OV-MER/output/results-ovmerd/Chat-UniVi/" + (
    "output-reason-7b-nosubtitle-addsub-eng-openset.npz"
)


@pytest.fixture(scope="module")
def gold(data_dir) -> pd.DataFrame:
    return load_gold_ov_labels(data_dir)


@pytest.fixture(scope="module")
def released(data_dir) -> pd.DataFrame:
    return load_system_outputs(data_dir)


def _csv(path: Path, frame: pd.DataFrame, sep: str = ",") -> Path:
    frame.to_csv(path, index=False, sep=sep)
    return path


def _gold_labels_csv(tmp_path: Path, gold: pd.DataFrame, name: str = "perfect.csv") -> Path:
    return _csv(tmp_path / name, pd.DataFrame({"name": gold["sample"], "openset": gold["raw"]}))


# --- formats -----------------------------------------------------------------------------------------------
def test_every_format_reads_the_same_predictions(tmp_path, gold, released):
    part = released[(released["system"] == "Otter") & (released["setting"] == "S0")]
    labels = [str(x) for x in part["labels"]]
    csv = _csv(tmp_path / "a.csv", pd.DataFrame({"name": part["sample"], "openset": labels}))
    tsv = _csv(tmp_path / "a.tsv", pd.DataFrame({"sample": part["sample"], "labels": labels}), sep="\t")
    jsonl = tmp_path / "a.jsonl"
    jsonl.write_text(
        "".join(
            json.dumps({"name": s, "description": d, "labels": list(v)}) + "\n"
            for s, d, v in zip(part["sample"], part["description"], part["labels"], strict=True)
        )
    )
    npz = tmp_path / "a.npz"
    np.savez(npz, filenames=np.array(part["sample"]), fileitems=np.array(labels, dtype=object))
    reasons = tmp_path / "b.npz"
    np.savez(reasons, name2reason=dict(zip(part["sample"], part["description"], strict=True)))
    frames = [read_prediction(p).frame for p in (csv, tsv, jsonl, npz)]
    for frame in frames:
        assert frame["labels"].tolist() == part["labels"].tolist()
    assert read_prediction(jsonl).has_descriptions and read_prediction(jsonl).has_labels
    described = read_prediction(reasons)
    assert described.format == "npz" and not described.has_labels
    assert described.frame["description"].tolist() == part["description"].tolist()
    untyped = tmp_path / "noext"
    untyped.write_bytes(jsonl.read_bytes())
    assert read_prediction(untyped).format == "jsonl"


# --- agreement with the notebooks --------------------------------------------------------------------------
def test_released_labels_score_exactly_as_notebooks_02_and_06(data_dir, gold, released):
    card = score([f"data:{S2_LABELS}"], "ovmerd", data_dir=data_dir, metrics=("ew", "hitrate"), n_boot=20)
    groupings = wheel_groupings(data_dir)
    table = strategy_table(released, gold, groupings).set_index(["system", "setting"])
    hits = system_hit_rates(
        released,
        onehot_gold(load_mer2023_labels(data_dir), gold["sample"].tolist()),
        {m: groupings[m] for m in HIT_RATE_METRICS},
    )
    hits = hits[hits["metric"] == "mean"].set_index(["system", "setting"])["hit_rate"]
    submitted = card.submitted[0]
    baselines = {r.name: r for r in card.systems if r.kind == "baseline"}
    assert len(baselines) == 30
    for column in [*table.columns]:
        assert submitted.value(column) == table.loc[("Chat-UniVi", "S2"), column], column
    for (system, setting), row in table.iterrows():
        result = baselines[f"{system} {setting}"]
        assert [result.value(c) for c in table.columns] == row.tolist()
        assert result.value("hit rate") == 100 * hits[(system, setting)]


def test_released_chinese_labels_are_refused_or_kept_as_the_authors_did(data_dir, gold, released):
    path = "data:AffectGPT-2025/OV-MER/output/results-ovmerd/Qwen-Audio/output-reason-7b-subtitle-eng-openset.npz"  # noqa: E501
    with pytest.raises(
        PredictionError, match="sample sample_00000256: label '悔恨' is Chinese.*--chinese keep"
    ):
        score([path], data_dir=data_dir, **LABELS_ONLY)
    kept = score([path], data_dir=data_dir, chinese="keep", **LABELS_ONLY).submitted[0]
    table = strategy_table(released, gold, wheel_groupings(data_dir)).set_index(["system", "setting"])
    assert kept.value("M-avg") == table.loc[("Qwen-Audio", "S1"), "M-avg"]
    assert "悔恨 (1)" in kept.dropped["M1"]["top"] or kept.dropped["M1"]["n"] > 0


def test_mer2023_npz_gives_the_authors_hit_rate(tmp_path, data_dir):
    labels = load_mer2023_labels(data_dir)
    test1 = labels[labels["split"] == "test1"]
    rng = np.random.default_rng(0)
    words = ["happy", "angry", "sad", "worried", "surprised", "calm", "nervous", "joyful"]
    items = [str(list(rng.choice(words, size=rng.integers(0, 4), replace=False))) for _ in range(len(test1))]
    path = tmp_path / "mer2023-test1-openset.npz"
    np.savez(path, filenames=np.array(test1["sample"]), fileitems=np.array(items, dtype=object))
    card = score([str(path)], "mer2023-test1", data_dir=data_dir, n_boot=20)
    groupings = wheel_groupings(data_dir)
    prediction = read_prediction(path).frame
    reference = hit_rate_table(
        dict(zip(test1["sample"], test1["label"], strict=True)),
        dict(zip(prediction["sample"], prediction["labels"], strict=True)),
        {m: groupings[m] for m in HIT_RATE_METRICS},
    )
    mean = reference[reference["metric"] == "mean"]["hit_rate"].iloc[0]
    assert card.submitted[0].value("hit rate") == 100 * mean
    assert card.options["families"] == ["hitrate"]


def test_a_system_naming_every_class_is_flagged_beside_its_hit_rate(tmp_path, data_dir):
    """Naming every class hits every sample: the hit rate is near perfect, but the classes per sample (and
    labels per sample) beside it show why, and the system is flagged in the scorecard, its JSON, the
    leaderboard and the notes. A system naming one class per sample is not flagged."""
    test1 = load_mer2023_labels(data_dir)
    test1 = test1[test1["split"] == "test1"]
    every = "[happy, angry, sad, worried, surprised, fearful, disgusted, neutral]"
    frame = pd.DataFrame({"name": test1["sample"], "openset": every})
    flood = _csv(tmp_path / "flood.csv", frame)
    honest = _csv(
        tmp_path / "honest.csv",
        frame.assign(openset="[" + test1["label"].str.replace("surprise", "surprised") + "]"),
    )
    out = tmp_path / "run"
    card = score([str(flood), str(honest)], "mer2023-test1", data_dir=data_dir, n_boot=0, out_dir=out)
    systems = {r.name: r for r in card.submitted}
    assert systems["flood"].value("hit rate") > 95 and systems["flood"].value("classes per sample") > 5
    assert systems["flood"].value("labels per sample") == 8
    assert systems["flood"].flags == ["label-flooding"] and systems["honest"].flags == []
    assert systems["honest"].value("classes per sample") <= 1
    assert any(n.startswith("Label flooding: flood (") and "label-space precision" in n for n in card.notes)
    saved = json.loads((out / "scorecard.json").read_text())
    assert {s["system"]: s["flags"] for s in saved["systems"] if s["kind"] == "submitted"} == {
        "flood": ["label-flooding"],
        "honest": [],
    }
    assert "classes per sample" in saved["systems"][0]["metrics"]
    board = pd.read_csv(out / "tables" / "leaderboard.csv").set_index("system")
    assert board.loc["flood", "flag"] == "label-flooding" and pd.isna(board.loc["honest", "flag"])
    assert "flag: label flooding" in card.summary()


# --- bad input ---------------------------------------------------------------------------------------------
def test_unknown_missing_and_duplicate_names(tmp_path, data_dir, gold):
    frame = pd.DataFrame({"name": gold["sample"], "openset": gold["raw"]})
    unknown = _csv(
        tmp_path / "unknown.csv",
        pd.concat([frame, pd.DataFrame({"name": ["clip_x"], "openset": ["[happy]"]})]),
    )
    with pytest.raises(PredictionError, match=r"1 sample name\(s\) are not in 'ovmerd'.*clip_x"):
        score([str(unknown)], data_dir=data_dir, **LABELS_ONLY)
    short = _csv(tmp_path / "short.csv", frame.iloc[:300])
    with pytest.raises(PredictionError, match="no prediction for 32 of the 332.*--allow-missing"):
        score([str(short)], data_dir=data_dir, **LABELS_ONLY)
    card = score([str(short)], data_dir=data_dir, allow_missing=True, **LABELS_ONLY)
    assert card.submitted[0].n_missing == 32
    assert card.to_json()["systems"][0]["n_missing_scored_empty"] == 32
    twice = _csv(tmp_path / "twice.csv", pd.concat([frame, frame.iloc[:2]]))
    with pytest.raises(PredictionError, match="appear more than once"):
        score([str(twice)], data_dir=data_dir, **LABELS_ONLY)


def test_empty_file_wrong_columns_and_another_dataset(tmp_path, data_dir, gold):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(PredictionError, match="empty"):
        read_prediction(empty)
    header_only = tmp_path / "header.csv"
    header_only.write_text("name,openset\n")
    with pytest.raises(PredictionError, match="no rows"):
        read_prediction(header_only)
    wrong = _csv(tmp_path / "wrong.csv", pd.DataFrame({"video": ["a"], "emotion": ["[happy]"]}))
    with pytest.raises(PredictionError, match=r"columns found \['video', 'emotion'\].*openset or labels"):
        read_prediction(wrong)
    test2 = load_mer2023_labels(data_dir)
    test2 = test2[test2["split"] == "test2"]
    other = _csv(tmp_path / "other.csv", pd.DataFrame({"name": test2["sample"], "openset": "[happy]"}))
    with pytest.raises(PredictionError, match="samples of 'mer2023-test2': use --dataset mer2023-test2"):
        score([str(other)], "ovmerd", data_dir=data_dir, **LABELS_ONLY)


def test_unparsable_rows_are_named_and_the_rest_scored(tmp_path, data_dir, gold):
    frame = pd.DataFrame({"name": gold["sample"], "openset": gold["raw"]})
    frame.loc[5, "openset"] = "['happy', 'sad'"
    path = _csv(tmp_path / "broken.csv", frame)
    card = score([str(path)], data_dir=data_dir, **LABELS_ONLY)
    result = card.submitted[0]
    assert result.n_unparsed == 1
    assert any("row 7" in w and "cannot parse" in w for w in result.warnings)
    assert result.labels[gold["sample"][5]] == []
    assert result.value("M-avg") < 100 and result.value("M-avg") > 95


@pytest.mark.parametrize("marker", ["NaN", "inf", "-Infinity", "null"])
def test_missing_value_markers_in_label_cells_are_warned_not_labels(tmp_path, gold, marker):
    """A CSV label cell 'NaN' or 'inf' is a missing value written as text: no label 'nan', a warning."""
    frame = pd.DataFrame({"name": gold["sample"][:3], "openset": [marker, "[happy, nan]", "[sad]"]})
    prediction = read_prediction(_csv(tmp_path / "markers.csv", frame))
    assert prediction.frame["labels"].tolist() == [None, ["happy"], ["sad"]]
    assert any("row 2" in w and "missing-value marker" in w for w in prediction.warnings)
    assert any("row 3" in w and "'nan'" in w and "dropped" in w for w in prediction.warnings)


def test_jsonl_nan_labels_are_warned_like_infinity(tmp_path, gold):
    lines = [
        f'{{"name": "{gold["sample"][0]}", "labels": NaN}}',
        f'{{"name": "{gold["sample"][1]}", "labels": Infinity}}',
        f'{{"name": "{gold["sample"][2]}", "labels": null}}',
    ]
    path = tmp_path / "nan.jsonl"
    path.write_text("\n".join(lines) + "\n")
    prediction = read_prediction(path)
    assert prediction.frame["labels"].tolist() == [None, None, []]
    assert [w.split(": ")[0] for w in prediction.warnings] == [
        f"{path}, line 1 ({gold['sample'][0]})",
        f"{path}, line 2 ({gold['sample'][1]})",
    ]


def test_labels_per_sample_and_cell_size_are_capped_before_parsing(tmp_path, gold, monkeypatch):
    """332 rows flooding every emotion word: refused at the first row, naming it, in well under a second."""
    from emer.scoring import inputs

    flood = "[" + ", ".join(f"emotion{i}" for i in range(1000)) + "]"
    path = _csv(tmp_path / "flood.csv", pd.DataFrame({"name": gold["sample"], "openset": flood}))
    with pytest.raises(
        PredictionError, match=rf"row 2 \({gold['sample'][0]}\): 1,000 labels, over the limit"
    ):
        read_prediction(path)
    huge = "[" + ", ".join(f"emotion{i}" for i in range(25_000)) + "]"
    path = _csv(tmp_path / "huge.csv", pd.DataFrame({"name": gold["sample"][:3], "openset": huge}))
    with pytest.raises(PredictionError, match=r"row 2 .*openset holds 3[0-9,]+ characters, over the limit"):
        read_prediction(path)
    long_line = tmp_path / "long.jsonl"
    long_line.write_text(json.dumps({"name": gold["sample"][0], "description": "x" * 200_000}) + "\n")
    with pytest.raises(PredictionError, match="line 1: the line holds 200,0"):
        read_prediction(long_line)
    monkeypatch.setattr(inputs, "MAX_FILE_BYTES", 1000)
    with pytest.raises(PredictionError, match="over the limit of 0 MiB for a predictions file"):
        read_prediction(path)


def test_chinese_labels_are_translated_or_refused(tmp_path, data_dir, gold):
    frame = pd.DataFrame({"name": gold["sample"], "openset": gold["raw"]})
    frame.loc[0, "openset"] = "['高兴']"
    card = score([str(_csv(tmp_path / "zh.csv", frame))], data_dir=data_dir, **LABELS_ONLY)
    assert card.submitted[0].labels[gold["sample"][0]] == ["happy"]
    frame.loc[0, "openset"] = "['怅然若失']"
    with pytest.raises(PredictionError, match="怅然若失.*Chinese"):
        score([str(_csv(tmp_path / "zh2.csv", frame))], data_dir=data_dir, **LABELS_ONLY)


def test_cli_reports_bad_input_in_one_line(tmp_path, data_dir, capsys):
    wrong = _csv(tmp_path / "wrong.csv", pd.DataFrame({"video": ["a"], "emotion": ["[happy]"]}))
    assert main(["score", str(wrong), "--data-dir", str(data_dir), "--metrics", "ew"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("emer: error:") and "wrong.csv" in err and "\n" not in err


# --- paired tests, choices, checkpoints, signature ---------------------------------------------------------
def test_paired_tests_identical_and_dominating_systems(tmp_path, data_dir, gold):
    perfect = _gold_labels_csv(tmp_path, gold)
    twin = _gold_labels_csv(tmp_path, gold, "twin.csv")
    nothing = _csv(tmp_path / "nothing.csv", pd.DataFrame({"name": gold["sample"], "openset": "[]"}))
    card = score(
        [str(perfect), str(twin), str(nothing)],
        data_dir=data_dir,
        metrics=("ew",),
        baselines=False,
        n_boot=200,
    )
    pairs = card.paired[card.paired["family"] == "perfect vs others"].set_index(["system_a", "system_b"])
    same = pairs.loc[("perfect", "twin")]
    assert same["delta"] == 0 and same["p_bootstrap"] == 1 and same["p_randomization"] == 1
    assert not same["significant"]
    best = pairs.loc[("perfect", "nothing")]
    assert best["delta"] == 100 and best["p_randomization"] == 1 / (best["n_permutations"] + 1)
    assert best["significant"]
    board = card.leaderboard.set_index("system")
    assert board.loc["perfect", "value"] == 100 and board.loc["twin", "tied_with_best"]
    assert not board.loc["nothing", "tied_with_best"]


def test_choices_change_what_they_say(tmp_path, data_dir, gold, released):
    part = released[(released["system"] == "SALMONN") & (released["setting"] == "S2")]
    frame = pd.DataFrame(
        {"name": part["sample"], "openset": [str(x + ["zzz-not-an-emotion"]) for x in part["labels"]]}
    )
    path = _csv(tmp_path / "salmonn.csv", frame)
    default = score([str(path)], data_dir=data_dir, **LABELS_ONLY).submitted[0]
    wrong = score([str(path)], data_dir=data_dir, choices=Choices(unmapped="wrong"), **LABELS_ONLY).submitted[
        0
    ]
    zero = score([str(path)], data_dir=data_dir, choices=Choices(empty_gold="zero"), **LABELS_ONLY).submitted[
        0
    ]
    mean_f = score(
        [str(path)], data_dir=data_dir, choices=Choices(average="mean-of-f"), **LABELS_ONLY
    ).submitted[0]
    assert wrong.value("M1") < default.value("M1")  # the extra label now costs precision
    assert zero.metrics["W5-L1"].n_scored == 332 > default.metrics["W5-L1"].n_scored
    scorer = EWScorer(dict(zip(gold["sample"], gold["labels"], strict=True)), wheel_groupings(data_dir))
    reference = ew_table(
        scorer.system_scores(dict(zip(part["sample"], part["labels"], strict=True)), "mean-of-f")
    )
    assert mean_f.value("M-avg") == pytest.approx(reference["M-avg"].iloc[0], abs=1e-12)
    assert default.dropped["M1"]["n"] >= 332 and "zzz-not-an-emotion (332)" in default.dropped["M1"]["top"]


def test_checkpoint_folder_gives_last_mean_and_best(tmp_path, data_dir, gold, released):
    folder = tmp_path / "mymodel"
    folder.mkdir()
    for epoch, setting in ((2, "S2"), (10, "S0"), (1, "S1")):
        part = released[(released["system"] == "Otter") & (released["setting"] == setting)]
        _csv(
            folder / f"epoch{epoch}.csv",
            pd.DataFrame({"name": part["sample"], "openset": part["labels_raw"]}),
        )
    card = score([str(folder)], data_dir=data_dir, checkpoints=True, **LABELS_ONLY)
    table = card.checkpoints
    assert table["checkpoint"].tolist()[:3] == ["epoch1", "epoch2", "epoch10"]
    assert table["checkpoint"].iloc[3] == "last (epoch10)"
    assert table["checkpoint"].iloc[5].startswith("best by M-avg (epoch2; chosen on test labels)")
    assert card.leaderboard["system"].tolist() == ["mymodel@epoch10"]
    assert any("best of seven epochs" in note for note in card.notes)


def test_signature_is_stable_and_pins_the_choices(tmp_path, data_dir, gold):
    path = str(_gold_labels_csv(tmp_path, gold))
    a = score([path], data_dir=data_dir, **LABELS_ONLY).signature
    b = score([path], data_dir=data_dir, **LABELS_ONLY).signature
    c = score([path], data_dir=data_dir, revision="MER2026", **LABELS_ONLY).signature
    assert a == b and a != c
    assert a.startswith("emer-score:") and "dataset:ovmerd@" in a and "rev:MER2025" in a and "boot:20" in a


def test_scorecard_files(tmp_path, data_dir, gold):
    out = tmp_path / "card"
    card = score([str(_gold_labels_csv(tmp_path, gold))], data_dir=data_dir, out_dir=out, **LABELS_ONLY)
    written = json.loads((out / "scorecard.json").read_text())
    assert written["signature"] == card.signature == (out / "signature.txt").read_text().strip()
    entry = written["systems"][0]
    assert entry["metrics"]["M-avg"]["value"] == 100 and entry["metrics"]["M-avg"]["low"] == 100
    detail = pd.read_csv(out / "tables" / "per_sample.csv")
    assert {"gold_classes", "predicted_classes", "dropped"} <= set(detail.columns)
    assert (out / "figures" / "leaderboard.png").is_file() and (out / "tables" / "leaderboard.csv").is_file()


# --- extraction through a model server, and its replay -----------------------------------------------------
class _Extractor(ThreadingHTTPServer):
    """A loopback chat server that 'extracts' labels: happy when the description says smile, sad otherwise;
    with a positive temperature, an odd seed adds 'nervous' (a stand-in for sampling noise)."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.calls = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class _Handler(BaseHTTPRequestHandler):
    server: _Extractor

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.calls += 1
        text = request["messages"][-1]["content"]
        labels = ["happy"] if "smile" in text else ["sad"]
        if request.get("temperature", 0) > 0 and request.get("seed", 0) % 2:
            labels.append("nervous")
        body = json.dumps(
            {
                "id": "x",
                "object": "chat.completion",
                "created": 0,
                "model": request["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": str(labels)},
                        "finish_reason": "stop",
                    }
                ],
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_extraction_runs_are_recorded_and_replay_without_the_server(tmp_path, data_dir, gold):
    texts = ["She has a smile." if i % 2 else "He looks down." for i in range(len(gold))]
    path = _csv(tmp_path / "described.csv", pd.DataFrame({"name": gold["sample"], "description": texts}))
    server = _Extractor()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    options = {"metrics": ("ew",), "baselines": False, "n_boot": 20}
    field = {
        "backend": "openai",
        "model": "stub",
        "preset": "field",
        "runs": 2,
        "cache_dir": tmp_path / "cache",
    }
    try:
        live = score(
            [str(path)], data_dir=data_dir, extractor=Extractor(base_url=server.base_url, **field), **options
        )
    finally:
        server.shutdown()
        server.server_close()
    assert server.calls == 2 * 2  # two runs of the two distinct descriptions (identical calls sent once)
    result = live.submitted[0]
    assert result.label_source == "extracted" and result.extraction == {
        "ok": 2 * len(gold),
        "malformed": 0,
        "failed": 0,
    }
    entry = result.entry()["metrics"]["M-avg"]
    assert len(entry["runs"]) == 2 and entry["runs"][0] != entry["runs"][1] and entry["std"] > 0
    assert "preset:field(temperature=0.7,top_p=0.8,repetition_penalty=1.05,max_tokens=512)" in live.signature
    replayed = score(
        [str(path)],
        data_dir=data_dir,
        extractor=Extractor(base_url=server.base_url, cache_mode="replay", **field),
        **options,
    )
    assert replayed.submitted[0].runs == result.runs and replayed.signature == live.signature
    with pytest.raises(ValueError, match="deterministic"):
        Extractor(runs=3)


def test_ctrl_c_during_extraction_says_what_was_kept_and_resumes(
    tmp_path, data_dir, gold, capsys, monkeypatch
):
    """Ctrl-C in `emer score` with an LLM extractor: one line naming the recorded answers and how to resume;
    the rerun asks only the calls not recorded."""
    from emer.llm.runner import LLMRunner

    texts = [f"Clip {i}: she has a smile." for i in range(len(gold))]
    path = _csv(tmp_path / "described.csv", pd.DataFrame({"name": gold["sample"], "description": texts}))
    server = _Extractor()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    report = LLMRunner._report

    def interrupt(self, done: int, total: int) -> None:
        if done >= 40:
            raise KeyboardInterrupt
        report(self, done, total)

    out = tmp_path / "run"
    argv = ["score", str(path), "--data-dir", str(data_dir), "--metrics", "ew", "--no-baselines"]
    argv += ["--n-boot", "0", "--backend", "openai", "--model", "stub", "--base-url", server.base_url]
    argv += ["--out", str(out), "--concurrency", "2"]
    try:
        monkeypatch.setattr(LLMRunner, "_report", interrupt)
        assert main(argv) == 130
        err = capsys.readouterr().err.strip().splitlines()[-1]
        kept = int(err.split("no scorecard written; ")[1].split()[0])
        assert err.startswith("emer: interrupted") and str(out / "cache" / "llm-calls.sqlite") in err
        assert "run the same command again to resume" in err and 40 <= kept < len(gold)
        assert not (out / "scorecard.json").exists()
        monkeypatch.setattr(LLMRunner, "_report", report)
        before = server.calls
        assert main(argv) == 0
        assert server.calls - before == len(gold) - kept and (out / "scorecard.json").is_file()
    finally:
        server.shutdown()
        server.server_close()


def test_matching_metrics_of_a_description_set_equal_the_metric_module(tmp_path, data_dir):
    from emer.data import load_emer_v1, load_v1_baseline_outputs
    from emer.metrics.matching import matching_scores

    system = load_v1_baseline_outputs(data_dir)
    system = system[system["system"] == "Valley"]
    path = _csv(
        tmp_path / "valley.csv",
        pd.DataFrame({"name": system["sample"], "description": system["description"]}),
    )
    card = score(
        [str(path)],
        "emer-v1",
        data_dir=data_dir,
        language="zh",
        metrics=("matching",),
        n_boot=20,
        baselines=False,
    )
    gold = load_emer_v1(data_dir)
    gold = gold[gold["language"] == "zh"]
    reference = matching_scores(
        system.assign(setting="v1"),
        dict(zip(gold["sample"], gold["description"].str.strip(), strict=True)),
        "zh",
    )
    result = card.submitted[0]
    for column in ("bleu_1", "bleu_4", "meteor", "rouge_l", "cider"):
        assert result.value(column) == pytest.approx(reference[column].mean(), abs=1e-12), column
    assert "similarity" not in result.metrics  # an English model: no Chinese similarity
    assert "lang:zh" in card.signature and card.rank_by == "bleu_4" and result.label_source == ""


def test_the_runner_knows_every_dataset():
    from emer.data.datasets import dataset_names
    from emer.nbrun import CHOICES

    assert CHOICES["dataset"] == dataset_names()


def test_an_unknown_rank_by_is_refused_before_any_work(tmp_path, data_dir, gold):
    with pytest.raises(ValueError, match="--rank-by 'bleu_9' is not a score computed here; choose from M1"):
        score([str(_gold_labels_csv(tmp_path, gold))], data_dir=data_dir, rank_by="bleu_9", **LABELS_ONLY)


def test_a_subset_is_scored_with_baselines_and_tests_on_the_same_samples(tmp_path, data_dir, gold):
    part = gold.iloc[::10]  # 34 of the 332 samples
    path = _csv(tmp_path / "part.csv", pd.DataFrame({"name": part["sample"], "openset": part["raw"]}))
    with pytest.raises(PredictionError, match="pass --subset given to score only the samples given"):
        score(str(path), data_dir=data_dir, metrics=("ew",), n_boot=20)
    card = score(
        str(path), data_dir=data_dir, metrics=("ew",), n_boot=20, subset="given", out_dir=tmp_path / "o"
    )
    assert card.coverage == (34, 332) and card.coverage_text == "34 of 332"
    baseline = next(r for r in card.systems if r.kind == "baseline")
    assert len(baseline.metrics["M-avg"].x) == 34  # the released baselines on the same samples
    assert set(card.paired["system_a"]) and (card.scores()["coverage"] == "34 of 332").all()
    assert (card.leaderboard["coverage"] == "34 of 332").all() and "subset:given(34/332)@" in card.signature
    assert card.submitted[0].value("M-avg") == pytest.approx(100.0)  # the gold itself
    assert "scored 34 of 332 samples of ovmerd (--subset given)" in card.summary()
    with pytest.raises(ValueError, match="cover 34 of the 332 samples .* computed on all 332"):
        require_full_set(card.coverage, "the published table")
