"""House rules for notebooks: thin jupytext sources whose parameters match their params files."""

from __future__ import annotations

import ast
from pathlib import Path

import jupytext
import pytest
import yaml

from emer.nbrun import declared_parameters, merge_params, notebook_paths

ROOT = Path(__file__).resolve().parents[1]
BASE_KEYS = {"profile", "seed", "limit", "data_dir", "out_dir"}
NOTEBOOKS = notebook_paths()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_thin(path: Path) -> None:
    """No def, class or loop in a notebook: the logic lives in src/emer, where it is tested."""
    tree = ast.parse(
        jupytext.read(path).cells
        and "\n".join(c.source for c in jupytext.read(path).cells if c.cell_type == "code")
    )
    banned = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.For, ast.While, ast.AsyncFor)
    found = [type(node).__name__ for node in ast.walk(tree) if isinstance(node, banned)]
    assert not found, f"{path.name}: move {found} into src/emer"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_parameters_cover_base_and_params_files(path: Path) -> None:
    declared = declared_parameters(jupytext.read(path))
    assert set(declared) >= BASE_KEYS
    merge_params(path.stem, declared, "full")  # raises on unknown keys
    merge_params(path.stem, declared, "smoke")


def test_every_params_file_belongs_to_a_notebook() -> None:
    stems = {p.stem for p in NOTEBOOKS}
    for path in (ROOT / "params").glob("*.yaml"):
        assert path.stem in stems | {"base", "smoke"}, f"{path.name} has no notebook"
        yaml.safe_load(path.read_text())


def test_no_ipynb_next_to_the_sources() -> None:
    assert not list((ROOT / "notebooks").glob("*.ipynb"))
