"""The real lmms-eval command line (.venv-lmms, `make env-lmms`) on the emer tasks: generated clips named
after OV-MERD and MER2023 test1 samples, lmms-eval's OpenAI-compatible model pointed at the loopback
server, which answers with known descriptions. Checked: the requests carried the study's prompt, the
frames (and the subtitle under S1); the scores in lmms-eval's results equal ``emer score`` on the
predictions file the run wrote; a missing video stops the run before any request, with one message."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from lmms_clips import write_config
from loopback_server import LoopbackServer

from emer.data import data_path, load_mer2023_transcripts
from emer.data.datasets import load_dataset
from emer.llm.clip_prompts import describe_clip_text
from emer.lmms_tasks import include_path
from emer.lmms_tasks.catalog import get_task
from emer.lmms_tasks.documents import TRANSCRIPTS
from emer.scoring import score

ROOT = Path(__file__).resolve().parents[1]
LMMS_EVAL = ROOT / ".venv-lmms" / "bin" / "lmms-eval"
TASKS = ("emer_ovmerd_s0", "emer_ovmerd_s1", "emer_unibench_mer2023", "emer_unibench_cmumosi")
#: What each MER-UniBench task reports as its headline, and the families emer score computes for it.
HEADLINES = {"mer2023-test1": ("hit rate", ("hitrate",)), "cmumosi": ("sentiment WAF", ("sentiment",))}
SCORING = {"baselines": False, "n_boot": 100}

pytestmark = pytest.mark.skipif(
    not LMMS_EVAL.exists(), reason="lmms-eval's environment is missing: make env-lmms (make test builds it)"
)


@pytest.fixture(scope="module")
def server():
    chat = LoopbackServer(max_images=64).start()
    yield chat
    chat.stop()


@pytest.fixture(scope="module")
def names(data_dir) -> dict[str, list[str]]:
    return {
        "ovmerd": load_dataset("ovmerd", data_dir, baselines=False).samples[:3],
        "mer2023-test1": load_dataset("mer2023-test1", data_dir, baselines=False).samples[:2],
        "cmumosi": load_dataset("cmumosi", data_dir, baselines=False).samples[:2],
    }


def _lmms_eval(config: Path, server: LoopbackServer, tasks: str, root: Path, data_dir: Path):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("EMER_LMMS_")},
        "EMER_LMMS_CONFIG": str(config),
        "EMER_DATA_DIR": str(data_dir),
        "HF_HOME": str(root / "hf"),
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "OPENAI_API_KEY": "loopback",
    }
    command = [
        str(LMMS_EVAL), "eval", "--model", "openai",
        "--model_args", f"model=normal,base_url={server.base_url},max_retries=1,timeout=30",
        "--tasks", tasks, "--include_path", str(include_path()),
        "--output_path", str(root / "lmms"), "--log_samples", "--verbosity", "WARNING",
    ]  # fmt: skip
    return subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=500)


@pytest.fixture(scope="module")
def run(tmp_path_factory, server, names, data_dir):
    root = tmp_path_factory.mktemp("lmms")
    config = write_config(root, names, scoring=SCORING)
    server.seen.clear()
    done = _lmms_eval(config, server, ",".join(TASKS), root, data_dir)
    found = sorted((root / "lmms").glob("**/*_results.json"))
    assert len(found) == 1, f"no results from lmms-eval (status {done.returncode}):\n{done.stdout[-4000:]}"
    return root, json.loads(found[0].read_text(encoding="utf-8")), list(server.seen)


def test_requests_carry_the_prompt_frames_and_subtitle(run, names, data_dir) -> None:
    _, _, seen = run
    english = dict(zip(*load_mer2023_transcripts(data_dir)[["sample", "en"]].T.values, strict=True))
    mosi = pd.read_csv(data_path(TRANSCRIPTS["cmumosi"], data_dir), dtype=str, keep_default_na=False)
    english |= dict(zip(mosi["name"], mosi["english"].str.strip(), strict=True))
    s1 = names["ovmerd"] + names["mer2023-test1"] + names["cmumosi"]
    expected = [describe_clip_text(8, False, None, "en")] * 3 + [
        describe_clip_text(8, False, english[n], "en") for n in s1
    ]
    # the system text, then the user prompt (the server joins the text parts of all messages)
    assert sorted(r["text"] for r in seen) == sorted("\n".join(pair) for pair in expected)
    for request in seen:
        assert request["roles"] == ["system", "user"]
        images = [p for p in request["parts"] if p["type"] == "image_url"]
        assert len(images) == 8 and {(p["width"], p["height"]) for p in images} == {(320, 240)}
        brightness = [p["brightness"] for p in images]
        assert brightness == sorted(brightness)  # in time order: the generated clips brighten


def test_results_equal_emer_score_on_the_written_predictions(run, data_dir) -> None:
    root, results, _ = run
    for task in TASKS:
        spec, reported = get_task(task), results["results"][task]
        predictions = Path(reported["predictions,none"])
        assert predictions.is_relative_to(root / "out")
        rows = [json.loads(line) for line in predictions.read_text(encoding="utf-8").splitlines()]
        said = ", and what she says is cheerful" if spec.strategy == "S1" else ""
        expected = f"The woman looks calm at first and smiles widely by the end across 8 frames{said}. "
        expected += "She seems happy."
        assert [r["description"] for r in rows] == [expected] * len(rows) and rows
        headline, families = HEADLINES.get(spec.dataset, ("M-avg", ("ew", "sets", "hitrate")))
        card = score(
            str(predictions), spec.dataset, data_dir=data_dir, metrics=families, subset="given", **SCORING
        )
        result = card.submitted[0]
        assert reported["signature,none"] == card.signature
        if spec.unibench:
            assert reported["score_name,none"] == headline
            assert reported["unibench_score,none"] == result.value(headline)
        else:
            assert reported["m_avg,none"] == result.value("M-avg") > 0
            for name in ("M1", "M2", "W1-L1", "W5-L2"):
                assert reported[f"{name.lower().replace('-', '_')},none"] == result.value(name)
    logged = sorted((root / "lmms").glob("**/*_samples_emer_ovmerd_s0.jsonl"))
    sample = json.loads(logged[0].read_text(encoding="utf-8").splitlines()[0])
    assert "She seems happy." in json.dumps(sample)  # per-sample results keep the description


def test_a_missing_video_stops_the_run_before_any_request(tmp_path, server, names, data_dir) -> None:
    config = write_config(tmp_path, {"ovmerd": names["ovmerd"][:2]})
    (tmp_path / "ovmerd.txt").write_text("\n".join(names["ovmerd"]) + "\n", encoding="utf-8")
    before = server.count
    done = _lmms_eval(config, server, "emer_ovmerd_s0", tmp_path, data_dir)
    assert done.returncode == 2
    output = done.stdout + done.stderr
    assert "OV-MERD (EMER-v2): 1 of 3 videos cannot be used" in output
    assert f"1 missing, first: {names['ovmerd'][2]}" in output
    assert server.count == before and not list((tmp_path / "lmms").glob("**/*_results.json"))
