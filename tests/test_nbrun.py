"""The papermill runner: parameter merging, unknown keys, atomic writes, and a real execution."""

from __future__ import annotations

from pathlib import Path

import jupytext
import pytest

from emer.nbrun import ParamsError, declared_parameters, merge_params, notebook_paths, run_notebook

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


def test_failed_notebook_leaves_no_output(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "notebooks" / "00_say_hello.py").write_text(NOTEBOOK + "\n# %%\nraise RuntimeError('boom')\n")
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(Exception, match="boom"):
        run_notebook(root / "notebooks" / "00_say_hello.py", out, root=root)
    assert not (out / "notebooks" / "00_say_hello.ipynb").exists()


def test_project_notebooks_are_ordered() -> None:
    stems = [p.stem for p in notebook_paths()]
    assert stems == sorted(stems) and stems[0].startswith("00_")
