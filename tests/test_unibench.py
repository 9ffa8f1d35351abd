"""MER-UniBench: the sentiment rules, the table from the field's layout and from ours, the checkpoint
selections, parity with the published figures on the released outputs, and what is refused."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import f1_score

from emer.cli import main
from emer.data.datasets import load_dataset
from emer.data.loaders import AFFECTGPT_OUTPUTS, load_affectgpt_outputs
from emer.labels.wheel import wheel_groupings
from emer.metrics.hitrate import HIT_RATE_METRICS
from emer.metrics.sentiment import accuracy, sentiment_components, waf
from emer.scoring import Extractor, PredictionError, score
from emer.scoring.unibench import COLUMNS, discover, score_unibench

FAST = {"n_boot": 0}


@pytest.fixture(scope="module")
def released_root(data_dir: Path) -> Path:
    return data_dir / AFFECTGPT_OUTPUTS


# --- sentiment rules ------------------------------------------------------------------------------------
def test_zero_gold_is_dropped_and_neutral_is_non_positive() -> None:
    gold = {"a": 1.2, "b": -0.4, "c": 0.0, "d": -2.0, "e": 0.6}
    predicted = {"a": "positive", "b": "neutral", "c": "positive", "d": None, "e": "negative"}
    x, table = sentiment_components(gold, predicted)
    assert table.set_index("sample").loc["c", "scored"] == False  # noqa: E712 (gold 0: not scored)
    sums = x.sum(axis=0)
    truth, guess = np.array([1, 0, 0, 1]), np.array([1, 0, 0, 0])  # a, b, d, e: positive vs non-positive
    assert waf("field")(sums) == pytest.approx(100 * f1_score(truth, guess, average="weighted"))
    assert accuracy("field")(sums) == pytest.approx(75.0)  # neutral (b) and unreadable (d) count as negative
    assert accuracy("strict")(sums) == pytest.approx(25.0)  # ... and as wrong under the strict rule
    strict = f1_score(["p", "n", "n", "p"], ["p", "0", "0", "n"], labels=["p", "n"], average="weighted")
    assert waf("strict")(sums) == pytest.approx(100 * strict)


def test_a_sentiment_outside_the_three_is_refused() -> None:
    with pytest.raises(ValueError, match="sample a: predicted sentiment 'mixed' is not one of"):
        sentiment_components({"a": 1.0}, {"a": "mixed"})
    with pytest.raises(KeyError, match="1 gold sample.s. have no predicted sentiment"):
        sentiment_components({"a": 1.0, "b": 2.0}, {"a": "positive"})


def test_a_users_sentiment_column_must_be_one_of_the_three(data_dir: Path, tmp_path: Path) -> None:
    names = load_dataset("sims", data_dir, baselines=False).samples
    frame = pd.DataFrame({"name": names, "sentiment": ["Positive"] * len(names)})
    frame.loc[4, "sentiment"] = "happy"
    frame.to_csv(tmp_path / "p.csv", index=False)
    with pytest.raises(
        PredictionError, match=rf"p.csv, row 6 \({names[4]}\): sentiment 'happy' is not one of"
    ):
        score(str(tmp_path / "p.csv"), "sims", data_dir=data_dir, **FAST)
    frame.loc[4, "sentiment"] = " NEGATIVE "  # case and spaces do not matter
    frame.to_csv(tmp_path / "p.csv", index=False)
    card = score(str(tmp_path / "p.csv"), "sims", data_dir=data_dir, baselines=False, **FAST)
    assert card.submitted[0].sentiment_source == "given" and "sentiment WAF" in card.submitted[0].metrics


def test_sentiments_are_refused_where_labels_are_scored(data_dir: Path, tmp_path: Path) -> None:
    names = load_dataset("meld", data_dir, baselines=False).samples
    pd.DataFrame({"name": names, "sentiment": "positive"}).to_csv(tmp_path / "s.csv", index=False)
    with pytest.raises(
        PredictionError, match="gives sentiments .* only, but 'meld' scores OV labels .hitrate."
    ):
        score(str(tmp_path / "s.csv"), "meld", data_dir=data_dir, **FAST)


def test_labels_are_mapped_to_a_sentiment_and_descriptions_extracted_first(data_dir: Path, tmp_path: Path):
    names = load_dataset("cmumosi", data_dir, baselines=False).samples
    pd.DataFrame({"name": names, "openset": "[joyful, excited]"}).to_csv(tmp_path / "l.csv", index=False)
    pd.DataFrame({"name": names, "description": "She is furious and bitter."}).to_csv(
        tmp_path / "d.csv", index=False
    )
    card = score([str(tmp_path / "l.csv"), str(tmp_path / "d.csv")], "cmumosi", data_dir=data_dir, **FAST)
    by_name = {r.name: r for r in card.submitted}
    assert by_name["l"].sentiment_source == "mapped" and by_name["l"].label_source == "given"
    assert by_name["d"].label_source == "extracted" and by_name["d"].sentiment_source == "mapped"
    signs = [v > 0 for v in load_dataset("cmumosi", data_dir, baselines=False).valence.values() if v != 0]
    assert by_name["l"].value("sentiment accuracy") == pytest.approx(100 * np.mean(signs))  # all positive
    assert by_name["d"].value("sentiment accuracy") == pytest.approx(100 * (1 - np.mean(signs)))


# --- parity with the published figures ------------------------------------------------------------------
def _field_labels(text: str) -> list[str]:
    """The field's reading of a label-list string: brackets off, split on quotes and commas."""
    inner = text[1:] if text.startswith("[") else text
    inner = inner[:-1] if inner.endswith("]") else inner
    return [p.strip().lower() for p in re.split("['\",]", inner) if p.strip()]


def test_released_outputs_give_the_published_figures(data_dir: Path, released_root: Path) -> None:
    result = score_unibench(
        [f"AffectGPT={released_root}"], data_dir=data_dir, beside=False, chinese="keep", **FAST
    )
    best = result.table[(result.table["selection"] == "best-on-test")].set_index(["dataset", "metric"])
    assert round(best.loc[("MELD", "hit rate"), "value"], 2) == 55.65
    assert round(best.loc[("CMU-MOSI", "sentiment WAF"), "value"], 2) == 81.30
    assert round(best.loc[("CH-SIMS", "sentiment WAF"), "value"], 2) == 88.49
    assert best.loc[("CMU-MOSI", "sentiment WAF"), "checkpoint"] == "checkpoint_000040_loss_0.569"
    assert list(result.table.columns) == COLUMNS


def test_every_checkpoint_equals_a_plain_recount(data_dir: Path, released_root: Path) -> None:
    """Hit rates by explicit loops over the field's parsing, WAF by scikit-learn: equal to 1e-9."""
    result = score_unibench([f"A={released_root}"], data_dir=data_dir, beside=False, chinese="keep", **FAST)
    ours = result.checkpoints.set_index(["dataset", "checkpoint", "metric"])["value"]
    groupings = wheel_groupings(data_dir)
    meld = load_dataset("meld", data_dir, baselines=False).onehot
    outputs = load_affectgpt_outputs("meld", data_dir)
    for checkpoint, part in outputs.groupby("checkpoint"):
        labels = dict(zip(part["sample"], part["labels_raw"], strict=True))
        rates = []
        for metric in HIT_RATE_METRICS:
            grouping = groupings[metric]
            hits = []
            for sample, gold in meld.items():
                gold_class = grouping.map_label(gold)
                if gold_class is None:
                    continue
                predicted = {grouping.map_label(x) for x in _field_labels(labels[sample])}
                hits.append(gold_class in predicted)
            rates.append(np.mean(hits))
        assert ours[("MELD", checkpoint, "hit rate")] == pytest.approx(100 * np.mean(rates), abs=1e-9)
    for dataset, column in (("cmumosi", "CMU-MOSI"), ("sims", "CH-SIMS")):
        valence = load_dataset(dataset, data_dir, baselines=False).valence
        for checkpoint, part in load_affectgpt_outputs(dataset, data_dir).groupby("checkpoint"):
            said = dict(zip(part["sample"], part["sentiment"], strict=True))
            kept = [s for s in valence if valence[s] != 0]
            truth = [valence[s] > 0 for s in kept]
            guess = [said[s] == "positive" for s in kept]
            expected = 100 * f1_score(truth, guess, average="weighted")
            assert ours[(column, checkpoint, "sentiment WAF")] == pytest.approx(expected, abs=1e-9)


# --- layouts and selections -----------------------------------------------------------------------------
def _our_layout(root: Path, data_dir: Path) -> Path:
    """meld.csv (one file) and cmumosi/ (three checkpoints) of a system named after ``root``."""
    root.mkdir()
    meld = load_dataset("meld", data_dir, baselines=False)
    rng = np.random.default_rng(0)
    words = ["angry", "joyful", "sad", "disgusted", "scared", "surprised", "calm"]
    pd.DataFrame({"name": meld.samples, "openset": [f"[{rng.choice(words)}]" for _ in meld.samples]}).to_csv(
        root / "meld.csv", index=False
    )
    mosi = load_dataset("cmumosi", data_dir, baselines=False)
    (root / "cmumosi").mkdir()
    for epoch, flip in ((2, 0.3), (10, 0.1), (20, 0.5)):
        right = ["positive" if v > 0 else "negative" for v in mosi.valence.values()]
        said = [r if rng.random() > flip else "neutral" for r in right]
        pd.DataFrame({"name": list(mosi.valence), "sentiment": said}).to_csv(
            root / "cmumosi" / f"epoch{epoch}.csv", index=False
        )
    return root


def test_our_layout_and_the_selections(data_dir: Path, tmp_path: Path) -> None:
    root = _our_layout(tmp_path / "mine", data_dir)
    result = score_unibench([str(root)], data_dir=data_dir, select="epoch10", n_boot=200)
    table = result.table.set_index(["dataset", "metric", "selection"])
    curve = result.checkpoints[result.checkpoints["metric"] == "sentiment WAF"]["value"].to_numpy()
    assert list(result.checkpoints[result.checkpoints["dataset"] == "CMU-MOSI"]["checkpoint"].unique()) == [
        "epoch2",
        "epoch10",
        "epoch20",
    ]  # natural order: epoch2 before epoch10
    assert table.loc[("CMU-MOSI", "sentiment WAF", "best-on-test"), "value"] == pytest.approx(curve.max())
    assert table.loc[("CMU-MOSI", "sentiment WAF", "best-on-test"), "checkpoint"] == "epoch10"
    assert table.loc[("CMU-MOSI", "sentiment WAF", "last"), "value"] == pytest.approx(curve[-1])
    assert table.loc[("CMU-MOSI", "sentiment WAF", "mean"), "value"] == pytest.approx(curve.mean())
    assert table.loc[("CMU-MOSI", "sentiment WAF", "fixed"), "checkpoint"] == "epoch10"
    for selection in ("best-on-test", "last", "mean"):
        row = table.loc[("CMU-MOSI", "sentiment WAF", selection)]
        assert row["ci_low"] < row["value"] < row["ci_high"]
    mean = result.table[(result.table["dataset"] == "mean") & (result.table["selection"] == "last")].iloc[0]
    assert mean["metric"] == "mean (2 of 9)"
    assert mean["value"] == pytest.approx((table.loc[("MELD", "hit rate", "last"), "value"] + curve[-1]) / 2)
    wide = result.wide("best-on-test")
    assert list(wide.columns) == ["system", "selection", "MELD", "CMU-MOSI", "mean (2 of 9)"]


def test_the_table_files_are_byte_stable(data_dir: Path, tmp_path: Path) -> None:
    root = _our_layout(tmp_path / "mine", data_dir)
    first = score_unibench([str(root)], data_dir=data_dir, n_boot=50, out_dir=tmp_path / "a")
    score_unibench([str(root)], data_dir=data_dir, n_boot=50, out_dir=tmp_path / "b")
    for name in ("unibench.csv", "unibench_table.md", "unibench_checkpoints.csv"):
        assert (tmp_path / "a/tables" / name).read_bytes() == (tmp_path / "b/tables" / name).read_bytes()
    assert first.signature.startswith("emer-unibench:") and "datasets:meld@" in first.signature


def test_what_is_left_out_is_said(data_dir: Path, tmp_path: Path) -> None:
    root = _our_layout(tmp_path / "mine", data_dir)
    pd.DataFrame({"name": ["sample_00000001"], "openset": ["[happy]"]}).to_csv(
        root / "mer2024.csv", index=False
    )
    (root / "notes.txt").write_text("not a prediction")
    pd.DataFrame({"name": ["x"], "openset": ["[happy]"]}).to_csv(root / "extra.csv", index=False)
    found, notes = discover([str(root)])
    assert {f.dataset for f in found} == {"meld", "cmumosi", "mer2024"}
    assert any("extra.csv: not named after a MER-UniBench dataset" in n for n in notes)
    result = score_unibench([str(root)], data_dir=data_dir, **FAST)
    assert any(
        n.startswith("MER2024: predictions found but its gold is not public; pass --labels mer2024=")
        for n in result.notes
    )


def test_refusals(data_dir: Path, tmp_path: Path) -> None:
    root = _our_layout(tmp_path / "mine", data_dir)
    with pytest.raises(PredictionError, match="--select 'epoch' matches 3 checkpoints of CMU-MOSI"):
        score_unibench([str(root)], data_dir=data_dir, select="epoch", **FAST)
    (tmp_path / "empty").mkdir()
    with pytest.raises(
        PredictionError, match="no MER-UniBench predictions found; expected results-<dataset>"
    ):
        score_unibench([str(tmp_path / "empty")], data_dir=data_dir, **FAST)
    with pytest.raises(PredictionError, match="no such folder"):
        score_unibench([str(tmp_path / "absent")], data_dir=data_dir, **FAST)
    with pytest.raises(ValueError, match="unknown dataset 'mosi'"):
        score_unibench([str(root)], labels={"mosi": "x.csv"}, data_dir=data_dir, **FAST)


def test_the_command_prints_the_published_figures(data_dir: Path, released_root: Path, capsys) -> None:
    code = main(
        [
            "score",
            "--dataset",
            "mer-unibench",
            f"AffectGPT={released_root}",
            "--n-boot",
            "0",
            "--data-dir",
            str(data_dir),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    row = next(
        line for line in out.splitlines() if line.startswith("| AffectGPT ") and "best-on-test" in line
    )
    assert "55.65" in row and "81.30" in row and "88.49" in row
    assert any("(from descriptions)" in line for line in out.splitlines())
    assert "emer-unibench:" in out and "chinese:keep" in out


# --- the field's two LLM steps through a model server, cached ------------------------------------------
class _FieldSteps(ThreadingHTTPServer):
    """A loopback chat server doing both of the field's steps: labels from a description (happy when it
    says smile, sad otherwise), then a sentiment from a label list (positive when it holds happy)."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _FieldHandler)
        self.tasks: list[str] = []

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class _FieldHandler(BaseHTTPRequestHandler):
    server: _FieldSteps

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        text = request["messages"][-1]["content"]
        if "positive, negative or neutral" in text:
            self.server.tasks.append("sentiment")
            answer = "positive" if "happy" in text.split("Examples:")[-1].split("\n", 3)[-1] else "negative"
        else:
            self.server.tasks.append("labels")
            answer = "[happy]" if "smile" in text else "[sad]"
        choice = {"index": 0, "message": {"role": "assistant", "content": answer}, "finish_reason": "stop"}
        reply = {"id": "x", "object": "chat.completion", "created": 0, "model": request["model"]}
        body = json.dumps({**reply, "choices": [choice]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_the_fields_steps_run_through_a_server_and_replay(data_dir: Path, tmp_path: Path) -> None:
    valence = load_dataset("sims", data_dir, baselines=False).valence
    texts = ["She has a smile." if v > 0 else "He looks down." for v in valence.values()]
    pd.DataFrame({"name": list(valence), "description": texts}).to_csv(tmp_path / "d.csv", index=False)
    server = _FieldSteps()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    common = {"backend": "openai", "model": "stub", "preset": "field", "cache_dir": tmp_path / "cache"}
    try:
        card = score(
            str(tmp_path / "d.csv"), "sims", data_dir=data_dir, baselines=False, n_boot=0,
            extractor=Extractor(base_url=server.base_url, **common),
        )  # fmt: skip
    finally:
        server.shutdown()
        server.server_close()
    # one call per distinct prompt: identical descriptions share a cache key and are sent once
    assert server.tasks.count("labels") == server.tasks.count("sentiment") == len(set(texts)) == 2
    result = card.submitted[0]
    assert result.label_source == "extracted" and result.sentiment_source == "mapped"
    assert result.value("sentiment accuracy") == pytest.approx(100.0)  # the server's steps follow the gold
    assert "map:openai:stub|preset:field(" in card.signature and "|prompt:" in card.signature
    replayed = score(
        str(tmp_path / "d.csv"), "sims", data_dir=data_dir, baselines=False, n_boot=0,
        extractor=Extractor(base_url=server.base_url, cache_mode="replay", **common),
    )  # fmt: skip
    assert replayed.submitted[0].runs == result.runs and replayed.signature == card.signature


def test_a_subset_is_never_set_beside_the_published_row(data_dir: Path, tmp_path: Path) -> None:
    from emer.analysis.unibench import published_beside

    root = tmp_path / "part"
    root.mkdir()
    samples = load_dataset("meld", data_dir, baselines=False).samples[:100]
    pd.DataFrame({"name": samples, "openset": "[joyful]"}).to_csv(root / "meld.csv", index=False)
    with pytest.raises(PredictionError, match="--subset given"):
        score_unibench([str(root)], data_dir=data_dir, **FAST)
    result = score_unibench([str(root)], data_dir=data_dir, subset="given", **FAST)
    assert result.coverage == {"MELD": (100, 2610)} and any(
        "scored on 100 of 2,610" in n for n in result.notes
    )
    with pytest.raises(ValueError, match="cover 100 of the 2,610 samples"):
        published_beside(result, "part", "AffectGPT (A+V+T)")
