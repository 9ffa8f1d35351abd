"""Run the study's notebooks with papermill.

Parameters are merged from ``params/base.yaml``, ``params/<stem>.yaml`` and, for the smoke profile,
``params/smoke.yaml`` (keys it names that a notebook does not take are ignored), then explicit
overrides. A key that the notebook's ``parameters`` cell does not declare is refused. Executed
notebooks are written atomically to ``<out_dir>/notebooks/<stem>.ipynb``.
"""

from __future__ import annotations

import ast
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
PROFILES = ("full", "smoke")
#: Jupyter kernel installed into the project venv by `make env` (ipykernel install --sys-prefix --name emer).
KERNEL = "emer"


class ParamsError(ValueError):
    """Unknown or malformed notebook parameters."""


def notebook_paths(root: Path = ROOT) -> list[Path]:
    """The study's notebooks, in execution order (``notebooks/NN_*.py``)."""
    return sorted((root / "notebooks").glob("[0-9][0-9]_*.py"))


def _read_yaml(path: Path) -> dict:
    if not path.is_file():
        return {}
    try:
        value = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ParamsError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(value, dict):
        raise ParamsError(f"{path}: expected a mapping of key: value")
    return value


def declared_parameters(notebook) -> dict[str, object]:
    """Names and literal defaults of the notebook's cell tagged ``parameters``."""
    for cell in notebook.cells:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            declared = {}
            for node in ast.parse(cell.source).body:
                if not (isinstance(node, ast.Assign) and len(node.targets) == 1):
                    raise ParamsError("the parameters cell may hold only `name = literal` lines")
                declared[node.targets[0].id] = ast.literal_eval(node.value)
            return declared
    raise ParamsError("the notebook has no cell tagged 'parameters'")


def merge_params(
    stem: str,
    declared: Mapping[str, object],
    profile: str = "full",
    overrides: Mapping[str, object] | None = None,
    root: Path = ROOT,
) -> dict[str, object]:
    """Merged parameters for a notebook; unknown keys raise :class:`ParamsError`."""
    if profile not in PROFILES:
        raise ParamsError(f"profile must be one of {PROFILES}, not {profile!r}")
    params: dict[str, object] = {}
    for path in (root / "params" / "base.yaml", root / "params" / f"{stem}.yaml"):
        values = _read_yaml(path)
        unknown = sorted(set(values) - set(declared))
        if unknown:
            raise ParamsError(f"{path}: keys {unknown} are not parameters of notebooks/{stem}.py")
        params.update(values)
    if profile == "smoke":
        smoke = _read_yaml(root / "params" / "smoke.yaml")
        params.update({k: v for k, v in smoke.items() if k in declared})
    for key, value in (overrides or {}).items():
        if key not in declared:
            raise ParamsError(f"override {key!r} is not a parameter of notebooks/{stem}.py")
        params[key] = value
    params["profile"] = profile
    return params


def run_notebook(
    path: Path,
    out_dir: Path,
    profile: str = "full",
    overrides: Mapping[str, object] | None = None,
    root: Path = ROOT,
) -> Path:
    """Execute one jupytext notebook; return the executed ``.ipynb`` path."""
    import jupytext
    import papermill

    notebook = jupytext.read(path)
    declared = declared_parameters(notebook)
    params = merge_params(path.stem, declared, profile, {"out_dir": str(out_dir), **(overrides or {})}, root)
    target = out_dir / "notebooks" / f"{path.stem}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / f"{path.stem}.ipynb"
        jupytext.write(notebook, source, fmt="ipynb")
        partial = Path(tmp) / "executed.ipynb"
        papermill.execute_notebook(
            str(source),
            str(partial),
            parameters=params,
            kernel_name=KERNEL,
            language="python",
            cwd=str(root),
            progress_bar=False,
            log_output=False,
        )
        # Write beside the target, then rename: a failed run never leaves a half-written notebook.
        with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as staged:
            staged.write(partial.read_bytes())
        os.replace(staged.name, target)
    return target


def run_all(
    out_dir: Path, profile: str = "full", only: list[str] | None = None, root: Path = ROOT
) -> list[Path]:
    """Execute every notebook (or those whose stem starts with one of ``only``) in order."""
    done = []
    for path in notebook_paths(root):
        if only and not any(path.stem.startswith(prefix) for prefix in only):
            continue
        print(f"[emer] running {path.name} ({profile})", flush=True)
        done.append(run_notebook(path, out_dir, profile, root=root))
    return done
