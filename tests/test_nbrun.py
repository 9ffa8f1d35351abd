"""The papermill runner: parameter merging, unknown keys, atomic writes, and a real execution."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest

from emer import cli, nbrun
from emer.nbrun import (
    NotebookError,
    ParamsError,
    check_param,
    declared_parameters,
    merge_params,
    notebook_paths,
    record_outputs,
    run_notebook,
    select_notebooks,
)

NOTEBOOK = """# %% tags=["parameters"]
profile = "full"
seed = 1
limit = 0
data_dir = None
out_dir = "outputs"
greeting = "hello"

# %%
from pathlib import Path
Path(out_dir, "greeting.txt").write_text(f"{greeting} {limit} {profile}")
"""


def _project(tmp_path: Path, base: str = "limit: 0\n", own: str = "", smoke: str = "limit: 3\n") -> Path:
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "params").mkdir()
    (tmp_path / "notebooks" / "00_say_hello.py").write_text(NOTEBOOK)
    (tmp_path / "params" / "base.yaml").write_text(base)
    (tmp_path / "params" / "00_say_hello.yaml").write_text(own)
    (tmp_path / "params" / "smoke.yaml").write_text(smoke + "top_labels: 5\n")
    return tmp_path


def test_declared_parameters(tmp_path: Path) -> None:
    root = _project(tmp_path)
    notebook = jupytext.read(root / "notebooks" / "00_say_hello.py")
    assert declared_parameters(notebook)["greeting"] == "hello"


def test_merge_order_and_smoke_profile(tmp_path: Path) -> None:
    root = _project(tmp_path, own="greeting: hi\n")
    declared = {"profile": "full", "limit": 0, "greeting": "hello"}
    assert merge_params("00_say_hello", declared, "full", root=root) == {
        "limit": 0,
        "greeting": "hi",
        "profile": "full",
    }
    smoke = merge_params("00_say_hello", declared, "smoke", {"greeting": "hey"}, root=root)
    assert smoke == {"limit": 3, "greeting": "hey", "profile": "smoke"}  # top_labels ignored: not declared


def test_unknown_keys_are_refused(tmp_path: Path) -> None:
    root = _project(tmp_path, own="greting: typo\n")
    with pytest.raises(ParamsError, match="greting"):
        merge_params("00_say_hello", {"greeting": "x", "limit": 0}, root=root)
    (tmp_path / "b").mkdir()
    root2 = _project(tmp_path / "b")
    with pytest.raises(ParamsError, match="override 'colour'"):
        merge_params("00_say_hello", {"greeting": "x", "limit": 0}, overrides={"colour": 1}, root=root2)
    with pytest.raises(ParamsError, match="profile must be"):
        merge_params("00_say_hello", {"limit": 0}, "fast", root=root2)


def test_malformed_yaml_names_the_file(tmp_path: Path) -> None:
    root = _project(tmp_path, own="greeting: [unclosed\n")
    with pytest.raises(ParamsError, match="00_say_hello.yaml"):
        merge_params("00_say_hello", {"greeting": "x", "limit": 0}, root=root)


def test_run_notebook_executes_and_writes(tmp_path: Path) -> None:
    root = _project(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    executed = run_notebook(root / "notebooks" / "00_say_hello.py", out, "smoke", root=root)
    assert executed == out / "notebooks" / "00_say_hello.ipynb"
    assert (out / "greeting.txt").read_text() == "hello 3 smoke"
    assert [p.name for p in (out / "notebooks").iterdir()] == ["00_say_hello.ipynb"]  # no temporary left


def test_failed_notebook_leaves_no_output_and_a_one_line_error(tmp_path: Path) -> None:
    root = _project(tmp_path)
    failing = NOTEBOOK + "\n# %%\nraise RuntimeError('boom\\nsecond line')\n"
    (root / "notebooks" / "00_say_hello.py").write_text(failing)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(NotebookError) as info:
        run_notebook(root / "notebooks" / "00_say_hello.py", out, root=root)
    message = str(info.value)
    failed = out / "notebooks" / "00_say_hello.failed.ipynb"
    assert "\n" not in message
    assert "notebooks/00_say_hello.py failed in cell [4]: RuntimeError: boom second line" in message
    assert str(failed) in message and "boom" in failed.read_text()
    assert not (out / "notebooks" / "00_say_hello.ipynb").exists()


def test_project_notebooks_are_ordered() -> None:
    stems = [p.stem for p in notebook_paths()]
    assert stems == sorted(stems) and stems[0].startswith("00_")


@pytest.mark.parametrize(
    ("key", "value", "default", "expected"),
    [
        ("limit", -5, 0, "limit: expected a value >= 0, got -5"),
        ("limit", "abc", 0, "limit: expected an integer (like the default 0), got 'abc'"),
        ("limit", True, 0, "limit: expected an integer"),
        ("limit", 2.5, 0, "limit: expected an integer"),
        ("n_boot", 0, 1000, "n_boot: expected a value >= 1"),
        ("timeout_s", 0, 120.0, "timeout_s: expected a value > 0"),
        ("embedding_threshold", 1.5, 0.7, "expected a value >= 0 and <= 1"),
        ("data_dir", 3, None, "data_dir: expected a string (path or name) or null"),
        ("backend", "opneai", "offline", "backend: expected one of offline, openai, transformers"),
        ("languages", ["en", 3], ["en", "zh"], "languages: every item must be a string, got 3"),
        ("languages", "en", ["en", "zh"], "languages: expected a list"),
        ("flag", 1, False, "flag: expected true or false"),
    ],
)
def test_param_types_and_ranges_are_checked(key: str, value: object, default: object, expected: str) -> None:
    with pytest.raises(ParamsError) as info:
        check_param(key, value, default, "params/x.yaml")
    message = str(info.value)
    assert message.startswith("params/x.yaml: ") and expected in message and "\n" not in message


def test_good_params_pass_and_ints_widen_to_floats() -> None:
    assert check_param("timeout_s", 30, 120.0, "x") == 30.0 and isinstance(
        check_param("timeout_s", 30, 1.0, "x"), float
    )
    assert check_param("data_dir", "/data", None, "x") == "/data"
    assert check_param("data_dir", None, None, "x") is None
    assert check_param("limit", 5, 0, "x") == 5
    assert check_param("languages", ("en",), ["en"], "x") == ["en"]


def test_merge_names_the_file_of_a_bad_value(tmp_path: Path) -> None:
    root = _project(tmp_path, base="limit: -5\n")
    with pytest.raises(ParamsError, match=r"base.yaml: limit: expected a value >= 0, got -5"):
        merge_params("00_say_hello", {"limit": 0}, root=root)
    (tmp_path / "b").mkdir()
    root = _project(tmp_path / "b", smoke='limit: "abc"\n')
    with pytest.raises(ParamsError, match=r"smoke.yaml: limit: expected an integer"):
        merge_params("00_say_hello", {"limit": 0}, "smoke", root=root)
    with pytest.raises(ParamsError, match=r"override: limit: expected an integer"):
        merge_params("00_say_hello", {"limit": 0}, overrides={"limit": "7"}, root=root)


def test_relative_paths_are_taken_from_the_root(tmp_path: Path) -> None:
    root = _project(tmp_path, base="data_dir: data\nout_dir: outputs\n")
    declared = {"data_dir": None, "out_dir": "outputs", "cache_dir": "outputs/cache", "limit": 0}
    params = merge_params("00_say_hello", declared, overrides={"cache_dir": "/abs/cache"}, root=root)
    assert params["data_dir"] == str(root / "data") and params["out_dir"] == str(root / "outputs")
    assert params["cache_dir"] == "/abs/cache"


def test_only_that_matches_nothing_fails(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(ParamsError, match="--only 99 matched no notebook; the notebooks are: 00_"):
        select_notebooks(["00", "99"])
    assert [p.stem[:2] for p in select_notebooks(["00", "07"])] == ["00", "07"]
    assert cli.main(["paper", "--only", "99", "--out-dir", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert error.startswith("emer: error: --only 99 matched no notebook") and error.count("\n") == 1


def test_missing_data_dir_is_refused_before_any_notebook_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("EMER_DATA_DIR", str(tmp_path / "nonexistent"))
    monkeypatch.setattr(nbrun, "run_notebook", lambda *a, **k: pytest.fail("a notebook was started"))
    assert cli.main(["paper", "--only", "00", "--out-dir", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert error.startswith(
        f"emer: error: data directory {tmp_path / 'nonexistent'} (from EMER_DATA_DIR) does not"
    )


CHECKED = """
# %%
# NBVAL_CHECK_OUTPUT
import os
print(os.getcwd() == os.environ.get("EMER_TEST_ROOT"), greeting, limit)
"""


def test_prepare_only_injects_without_running(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "notebooks" / "00_say_hello.py").write_text(NOTEBOOK + CHECKED)
    out, references = tmp_path / "out", tmp_path / "references"
    with pytest.raises(NotebookError, match="no recorded outputs .* `make smoke-outputs`"):
        run_notebook(root / "notebooks" / "00_say_hello.py", out, "smoke", root=root, prepare_only=True)

    executed = run_notebook(root / "notebooks" / "00_say_hello.py", out, "smoke", root=root)
    recorded = record_outputs(executed, references)
    assert json.loads(recorded.read_text())["cells"][0]["outputs"][0]["text"] == "False hello 3\n"
    (out / "greeting.txt").unlink()

    prepared = run_notebook(
        root / "notebooks" / "00_say_hello.py",
        out,
        "smoke",
        root=root,
        prepare_only=True,
        reference_dir=references,
    )
    assert not (out / "greeting.txt").exists()  # nothing ran
    notebook = nbformat.read(prepared, as_version=4)
    assert f"os.chdir({str(root)!r})" in notebook.cells[0].source
    injected = [c for c in notebook.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert "limit = 3" in injected[0].source and "profile = " in injected[0].source
    checked = [c for c in notebook.cells if "NBVAL_CHECK_OUTPUT" in c.source]
    assert checked[0].outputs[0]["text"] == "False hello 3\n"
    assert all(not c.get("outputs") for c in notebook.cells if c is not checked[0])

    (root / "notebooks" / "00_say_hello.py").write_text(NOTEBOOK + CHECKED.replace("limit)", "limit, 1)"))
    with pytest.raises(NotebookError, match="changed since the recording"):
        run_notebook(
            root / "notebooks" / "00_say_hello.py",
            out,
            "smoke",
            root=root,
            prepare_only=True,
            reference_dir=references,
        )


def test_nbval_checks_the_recorded_outputs_of_a_prepared_notebook(tmp_path: Path) -> None:
    """End to end: nbval executes the prepared notebook once, from the root, and compares the checked cell."""
    root = _project(tmp_path)
    (root / "notebooks" / "00_say_hello.py").write_text(NOTEBOOK + CHECKED)
    out, references = tmp_path / "out", tmp_path / "references"
    env = {**os.environ, "EMER_TEST_ROOT": str(root)}
    os.environ["EMER_TEST_ROOT"] = str(root)
    try:
        executed = run_notebook(root / "notebooks" / "00_say_hello.py", out, "smoke", root=root)
    finally:
        del os.environ["EMER_TEST_ROOT"]
    record_outputs(executed, references)
    assert "True hello 3" in (references / "00_say_hello.json").read_text()  # papermill ran from the root
    run_notebook(
        root / "notebooks" / "00_say_hello.py",
        out,
        "smoke",
        root=root,
        prepare_only=True,
        reference_dir=references,
    )
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "--nbval-lax",
        "--nbval-kernel-name",
        "emer",
        "-p",
        "no:cacheprovider",
    ]
    command.append(str(out / "notebooks" / "00_say_hello.ipynb"))
    passed = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True)
    assert passed.returncode == 0, passed.stdout[-2000:]
    assert (out / "greeting.txt").read_text() == "hello 3 smoke"  # executed by nbval

    record = json.loads((references / "00_say_hello.json").read_text())
    record["cells"][0]["outputs"][0]["text"] = "True hello 4\n"
    (references / "00_say_hello.json").write_text(json.dumps(record))
    run_notebook(
        root / "notebooks" / "00_say_hello.py",
        out,
        "smoke",
        root=root,
        prepare_only=True,
        reference_dir=references,
    )
    failed = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True)
    assert failed.returncode != 0 and "hello 4" in failed.stdout


def test_notebook_02_passes_the_openai_params_to_the_runner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run notebook 02 up to its make_runner call with the openai params; the runner must receive them."""
    path = next(p for p in notebook_paths() if p.stem.startswith("02_"))
    notebook = jupytext.read(path)
    declared = declared_parameters(notebook)
    overrides = {"backend": "openai", "model": "my-model", "base_url": "http://127.0.0.1:9/v1"}
    params = merge_params(path.stem, declared, "full", {**overrides, "llm_cache_dir": str(tmp_path)})
    calls = []

    class Reached(Exception):
        pass

    def recording_make_runner(*args, **kwargs):
        from emer.llm import make_runner

        calls.append((args, kwargs))
        runner = make_runner(*args, **kwargs)  # builds the backend; contacts nothing
        calls.append(runner)
        raise Reached

    namespace: dict = {}
    code = [c.source for c in notebook.cells if c.cell_type == "code"]
    exec(code[0], namespace)  # the parameters cell
    namespace.update(params)  # what papermill injects
    exec(code[1], namespace)  # imports
    namespace["make_runner"] = recording_make_runner
    runner_cell = next(source for source in code if "make_runner(" in source)
    with pytest.raises(Reached):
        exec(runner_cell, namespace)
    (args, kwargs), runner = calls
    assert (args[0] if args else kwargs["backend"]) == "openai"
    assert kwargs["model"] == "my-model" and kwargs["base_url"] == "http://127.0.0.1:9/v1"
    assert runner.backend.model == "my-model" and runner.backend.base_url == "http://127.0.0.1:9/v1"
    runner.cache.close()
    yaml_keys = (nbrun.ROOT / "params" / f"{path.stem}.yaml").read_text()
    assert "\nmodel:" in yaml_keys and "\nbase_url:" in yaml_keys
