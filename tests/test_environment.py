"""environment.yml (conda users) and pyproject.toml (pip) must name the same packages and pins."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _pyproject_pins() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = set(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        pins |= set(extra)
    return pins


def _environment_pins() -> set[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_lists = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(pip_lists) == 1, "environment.yml needs exactly one pip: section"
    return {line for line in pip_lists[0] if not line.startswith("-")}


def test_every_pin_is_exact() -> None:
    assert all("==" in pin for pin in _pyproject_pins())


def test_environment_matches_pyproject() -> None:
    assert _environment_pins() == _pyproject_pins()


def test_environment_python_matches() -> None:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "python=3.11" in env["dependencies"]
    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"].startswith(
        ">=3.11"
    )


def test_no_deps_requirements_are_pinned_and_separate() -> None:
    lines = (ROOT / "requirements-nodeps.txt").read_text().splitlines()
    pins = {line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()}
    assert pins and all("==" in pin for pin in pins)
    names = {pin.split("==")[0].lower() for pin in pins}
    assert not names & {pin.split("==")[0].lower() for pin in _pyproject_pins()}


def test_lmms_requirements_share_the_project_pins() -> None:
    """requirements-lmms.txt (.venv-lmms) pins every package exactly, leaves torchvision out, and gives the
    packages it shares with pyproject.toml the same pins, av excepted (lmms-eval requires av<16)."""
    lines = (ROOT / "requirements-lmms.txt").read_text().splitlines()
    pins = dict(
        line.split("#")[0].strip().lower().replace("_", "-").split("==")
        for line in lines
        if line.split("#")[0].strip()
    )
    assert pins["lmms-eval"] == "0.7.3" and pins["torch"] == "2.13.0" and "torchvision" not in pins
    project = dict(pin.lower().split("==") for pin in _pyproject_pins())
    shared = sorted(set(pins) & set(project) - {"av"})
    assert len(shared) >= 15
    assert {name: pins[name] for name in shared} == {name: project[name] for name in shared}


def test_no_openai_sdk_is_pinned_or_imported() -> None:
    """The openai backend speaks HTTP with the standard library; the SDK pin was unused and is gone."""
    assert not any(pin.lower().startswith("openai==") for pin in _pyproject_pins() | _environment_pins())
    sources = [
        p
        for folder in ("src", "notebooks", "tests", "benchmarks", "tools")
        for p in (ROOT / folder).rglob("*.py")
    ]
    imports = [
        p for p in sources if re.search(r"^\s*(?:import|from)\s+openai\b", p.read_text(), re.MULTILINE)
    ]
    assert imports == []
