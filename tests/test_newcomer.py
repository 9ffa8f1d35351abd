"""The newcomer's path: JupyterLab opens the .py notebooks as notebooks and saves them unchanged;
the licence and the citation file are there and agree with pyproject."""

from __future__ import annotations

import json
import re
import shutil
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
OVERRIDES = ROOT / "jupyter" / "lab" / "settings" / "overrides.d" / "emer-jupytext.json"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))


def test_lab_default_viewer_for_python_is_the_jupytext_notebook(tmp_path: Path) -> None:
    from jupyterlab.commands import get_app_dir
    from jupyterlab_server.settings_utils import _get_overrides

    # `make env` installs the file where this venv's JupyterLab reads its settings overrides from.
    makefile = (ROOT / "Makefile").read_text()
    installed = "$(VENV)/share/jupyter/lab/settings/overrides.d/"
    assert f"{OVERRIDES.relative_to(ROOT)} \\\n\t  {installed}" in makefile
    assert Path(get_app_dir()) == Path(sys.prefix) / "share" / "jupyter" / "lab"
    settings = tmp_path / "settings"
    (settings / "overrides.d").mkdir(parents=True)
    shutil.copy(OVERRIDES, settings / "overrides.d" / OVERRIDES.name)
    overrides, error = _get_overrides(str(settings))
    assert not error
    viewers = overrides["@jupyterlab/docmanager-extension:plugin"]["defaultViewers"]
    assert viewers == {"python": "Jupytext Notebook"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_saving_from_lab_leaves_the_notebook_byte_identical(tmp_path: Path, path: Path) -> None:
    """Open and save through jupytext's contents manager (what Lab does), with the project's config."""
    from jupyter_server.services.contents.filemanager import FileContentsManager
    from jupytext.sync_contentsmanager import build_sync_jupytext_contents_manager_class

    (tmp_path / "notebooks").mkdir()
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")  # [tool.jupytext] formats
    copy = tmp_path / "notebooks" / path.name
    shutil.copy(path, copy)
    manager = build_sync_jupytext_contents_manager_class(FileContentsManager)(root_dir=str(tmp_path))
    model = manager.get(f"notebooks/{path.name}")
    assert model["type"] == "notebook"
    manager.save(model, f"notebooks/{path.name}")
    assert copy.read_bytes() == path.read_bytes()
    assert sorted(p.name for p in (tmp_path / "notebooks").iterdir()) == [path.name]  # no paired .ipynb


def test_license_matches_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    licence = project["license"]
    licence = licence if isinstance(licence, str) else licence.get("text", "")
    assert licence == "MIT"
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License\n") and "Copyright (c) 2026 the emer developers" in text
    assert "WITHOUT WARRANTY OF ANY KIND" in text


def test_citation_file_is_valid_cff() -> None:
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["cff-version"] == "1.2.0"
    for key in ("message", "title", "authors", "type", "license"):
        assert cff[key], key
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert cff["license"] == "MIT" and str(cff["version"]) == project["version"]
    assert all(author.get("name") or author.get("family-names") for author in cff["authors"])
    arxiv = {}
    for reference in cff["references"]:
        for key in ("type", "title", "authors", "year"):
            assert reference[key], (reference.get("title"), key)
        ids = [i["value"] for i in reference.get("identifiers", []) if i["type"] == "other"]
        ids += [i["value"] for i in reference.get("identifiers", []) if i["type"] == "doi"]
        found = [m.group(1) for v in ids if (m := re.search(r"(\d{4}\.\d{5})", v))]
        arxiv[found[0]] = reference["title"]
    assert arxiv == {
        "2306.15401": "Explainable Multimodal Emotion Recognition",
        "2410.01495": "OV-MER: Towards Open-Vocabulary Multimodal Emotion Recognition",
        "2501.16566": "AffectGPT: A New Dataset, Model, and Benchmark for Emotion Understanding with "
        "Multimodal Large Language Models",
    }
    json.dumps(cff, default=str)  # plain data only
