"""Run the study's notebooks with papermill.

Parameters are merged from ``params/base.yaml``, ``params/<stem>.yaml`` and, for the smoke profile,
``params/smoke.yaml`` (keys it names that a notebook does not take are ignored), then explicit
overrides. A key that the notebook's ``parameters`` cell does not declare is refused, and so is a
value whose type differs from the declared default's (:func:`check_param`; ranges in :data:`RANGES`,
choices in :data:`CHOICES`), with a one-line error naming the file and the key. Executed notebooks are
written atomically to ``<out_dir>/notebooks/<stem>.ipynb``; a failed one to ``<stem>.failed.ipynb``.
``prepare_only`` writes the parameterised notebook without running it, for nbval (see ``make test``).
"""

from __future__ import annotations

import ast
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import yaml

from emer.data.datasets import dataset_names
from emer.files import check_folder, write_atomic

ROOT = Path(__file__).resolve().parents[2]
PROFILES = ("full", "smoke")
#: Jupyter kernel installed into the project venv by `make env` (ipykernel install --sys-prefix --name emer).
KERNEL = "emer"


class ParamsError(ValueError):
    """Unknown or malformed notebook parameters."""


class NotebookError(RuntimeError):
    """A notebook raised while it ran; the message names the cell's exception and the notebook to open."""


#: Allowed values of the parameters that name a choice (the params files' comments list them too).
CHOICES = {
    "profile": PROFILES,
    "backend": ("offline", "openai", "transformers"),
    "cache_mode": ("read-write", "replay", "off"),
    "grouping": ("identity", "wheel", "wordnet", "embedding"),
    "revision": ("MER2025", "MER2026"),
    "extractor": ("selector", "lexicon"),
    "dataset": dataset_names(),
}
#: Ranges of numeric parameters: (lowest allowed, highest allowed or None, whether the lowest is allowed).
RANGES = {
    "seed": (0, None, True),
    "limit": (0, None, True),
    "top_labels": (1, None, True),
    "n_boot": (1, None, True),
    "frames": (1, None, True),
    "frame_rate": (0, None, True),
    "demo_rate": (1, None, True),
    "temperature": (0, None, True),
    "max_tokens": (1, None, True),
    "timeout_s": (0, None, False),
    "retries": (0, None, True),
    "concurrency": (1, None, True),
    "batch_size": (1, None, True),
    "meteor_workers": (1, None, True),
    "embedding_threshold": (0, 1, True),
}
#: Parameters holding a path; relative ones are resolved against the repository root before a run.
PATH_SUFFIXES = ("_dir",)
PATH_KEYS = {"manifest"}


def notebook_paths(root: Path = ROOT) -> list[Path]:
    """The study's notebooks, in execution order (``notebooks/NN_*.py``)."""
    return sorted((root / "notebooks").glob("[0-9][0-9]_*.py"))


def select_notebooks(only: list[str] | None = None, root: Path = ROOT) -> list[Path]:
    """Notebooks whose stem starts with one of ``only`` (all if None); an empty list, a blank prefix or a
    prefix matching no notebook is refused."""
    paths = notebook_paths(root)
    if only is None:
        return paths
    if not only or any(not prefix.strip() for prefix in only):
        raise ParamsError(
            f"--only {' '.join(map(repr, only))}: name the notebooks to run by their number or stem prefix, "
            "e.g. --only 00 07 (leave --only out to run them all)"
        )
    unmatched = [prefix for prefix in only if not any(p.stem.startswith(prefix) for p in paths)]
    if unmatched:
        names = ", ".join(p.stem for p in paths)
        raise ParamsError(f"--only {' '.join(unmatched)} matched no notebook; the notebooks are: {names}")
    return [p for p in paths if any(p.stem.startswith(prefix) for prefix in only)]


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


def _type_name(default: object) -> str:
    if default is None:
        return "a string (path or name) or null"
    if isinstance(default, bool):
        return "true or false"
    if isinstance(default, int):
        return "an integer"
    if isinstance(default, float):
        return "a number"
    return {str: "a string", list: "a list", tuple: "a list", dict: "a mapping"}.get(
        type(default), type(default).__name__
    )


def _has_type(value: object, default: object) -> bool:
    if default is None:
        return value is None or isinstance(value, str)
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int | float):
        is_number = isinstance(value, int | float) and not isinstance(value, bool)
        return is_number and (isinstance(default, float) or isinstance(value, int))
    if isinstance(default, list | tuple):
        return isinstance(value, list | tuple)
    return isinstance(value, type(default))


def check_param(key: str, value: object, default: object, where: str) -> object:
    """``value`` if it has the declared default's type and lies in the key's range (ints widen to floats)."""
    if not _has_type(value, default):
        raise ParamsError(
            f"{where}: {key}: expected {_type_name(default)} (like the default {default!r}), got {value!r}"
        )
    if isinstance(default, list | tuple) and default and isinstance(value, list | tuple):
        kinds = {type(item) for item in default}
        if len(kinds) == 1:
            sample = default[0]
            wrong = [item for item in value if not _has_type(item, sample)]
            if wrong:
                raise ParamsError(
                    f"{where}: {key}: every item must be {_type_name(sample)}, got {wrong[0]!r}"
                )
        value = list(value)
    if key in CHOICES and value not in CHOICES[key]:
        raise ParamsError(f"{where}: {key}: expected one of {', '.join(CHOICES[key])}, got {value!r}")
    if key in RANGES and isinstance(value, int | float):
        low, high, low_allowed = RANGES[key]
        if value < low or (value == low and not low_allowed) or (high is not None and value > high):
            bound = f">= {low}" if low_allowed else f"> {low}"
            bound += f" and <= {high}" if high is not None else ""
            raise ParamsError(f"{where}: {key}: expected a value {bound}, got {value!r}")
    if isinstance(default, float) and isinstance(value, int):
        value = float(value)
    return value


def _is_path_key(key: str) -> bool:
    return key in PATH_KEYS or key.endswith(PATH_SUFFIXES)


def merge_params(
    stem: str,
    declared: Mapping[str, object],
    profile: str = "full",
    overrides: Mapping[str, object] | None = None,
    root: Path = ROOT,
) -> dict[str, object]:
    """Merged, type- and range-checked parameters for a notebook; unknown keys raise :class:`ParamsError`.

    Relative paths (keys ending in ``_dir``, and ``manifest``) are made absolute against ``root``, so a
    run does not depend on the kernel's working directory.
    """
    if profile not in PROFILES:
        raise ParamsError(f"profile must be one of {PROFILES}, not {profile!r}")
    params: dict[str, object] = {}
    sources: list[tuple[str, dict]] = []
    for path in (root / "params" / "base.yaml", root / "params" / f"{stem}.yaml"):
        values = _read_yaml(path)
        unknown = sorted(set(values) - set(declared))
        if unknown:
            raise ParamsError(f"{path}: keys {unknown} are not parameters of notebooks/{stem}.py")
        sources.append((str(path), values))
    if profile == "smoke":
        smoke_path = root / "params" / "smoke.yaml"
        smoke = _read_yaml(smoke_path)
        sources.append((str(smoke_path), {k: v for k, v in smoke.items() if k in declared}))
    for key in overrides or {}:
        if key not in declared:
            raise ParamsError(f"override {key!r} is not a parameter of notebooks/{stem}.py")
    sources.append(("override", dict(overrides or {})))
    for where, values in sources:
        for key, value in values.items():
            if key == "profile":
                continue  # set by the runner below
            params[key] = check_param(key, value, declared[key], where)
    for key, value in params.items():
        if _is_path_key(key) and isinstance(value, str | os.PathLike) and str(value):
            params[key] = str(resolve_path(value, root))
    params["profile"] = profile
    return params


def resolve_path(path: str | os.PathLike, root: Path = ROOT) -> Path:
    """``path`` itself when absolute (``~`` expanded), else ``root / path``."""
    path = Path(path).expanduser()
    return path if path.is_absolute() else root / path


def check_data_dir(params: Mapping[str, object], stem: str) -> None:
    """Refuse to start a notebook whose data directory does not exist (before any cell runs)."""
    from emer.data.store import ENV_DATA_DIR, FETCH_HINT, DataError, data_root

    root, user_given = data_root(params.get("data_dir"))
    if root.is_dir():
        return
    if params.get("data_dir"):
        origin = f"the data_dir param of notebooks/{stem}.py"
    elif user_given:
        origin = f"{ENV_DATA_DIR}"
    else:
        origin = "the download cache"
    raise DataError(f"data directory {root} (from {origin}) does not exist. {FETCH_HINT}")


def run_notebook(
    path: Path,
    out_dir: Path,
    profile: str = "full",
    overrides: Mapping[str, object] | None = None,
    root: Path = ROOT,
    *,
    prepare_only: bool = False,
    reference_dir: Path | None = None,
) -> Path:
    """Execute one jupytext notebook; return the executed ``.ipynb`` path.

    With ``prepare_only`` the parameters are injected but nothing runs (papermill's prepare-only mode):
    the notebook gets a first cell that moves to ``root`` (so it runs from the repository root wherever
    nbval starts its kernel) and, from ``reference_dir/<stem>.json``, the recorded outputs of its
    ``NBVAL_CHECK_OUTPUT`` cells, which nbval then compares with what it computes.
    A failed run leaves ``<stem>.failed.ipynb`` (with the traceback) and raises :class:`NotebookError`.
    """
    import jupytext
    import papermill
    from jupyter_client.kernelspec import NoSuchKernel

    notebook = jupytext.read(path)
    declared = declared_parameters(notebook)
    params = merge_params(path.stem, declared, profile, {"out_dir": str(out_dir), **(overrides or {})}, root)
    check_data_dir(params, path.stem)
    target = out_dir / "notebooks" / f"{path.stem}.ipynb"
    failed = target.with_name(f"{path.stem}.failed.ipynb")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / f"{path.stem}.ipynb"
        jupytext.write(notebook, source, fmt="ipynb")
        partial = Path(tmp) / "executed.ipynb"
        try:
            papermill.execute_notebook(
                str(source),
                str(partial),
                parameters=params,
                prepare_only=prepare_only,
                kernel_name=KERNEL,
                language="python",
                cwd=str(root),
                progress_bar=False,
                log_output=False,
            )
        except papermill.PapermillExecutionError as exc:
            if partial.is_file():
                write_atomic(failed, partial.read_bytes())
            message = " ".join(line.strip() for line in str(exc.evalue).splitlines() if line.strip())
            raise NotebookError(
                f"notebooks/{path.name} failed in cell [{exc.exec_count}]: {exc.ename}: {message} "
                f"(open {failed} for the cell and its traceback)"
            ) from None
        except NoSuchKernel:
            raise NotebookError(
                f"the Jupyter kernel {KERNEL!r} is not installed: run `make env` "
                f"(it runs `python -m ipykernel install --sys-prefix --name {KERNEL}`)"
            ) from None
        if prepare_only:
            _prepare_for_nbval(partial, path.stem, root, reference_dir)
        write_atomic(target, partial.read_bytes())
    failed.unlink(missing_ok=True)
    return target


CHECK_MARK = "# NBVAL_CHECK_OUTPUT"


def _checked_cells(notebook) -> list:
    return [c for c in notebook.cells if c.cell_type == "code" and c.source.lstrip().startswith(CHECK_MARK)]


def _prepare_for_nbval(prepared: Path, stem: str, root: Path, reference_dir: Path | None) -> None:
    import nbformat

    notebook = nbformat.read(prepared, as_version=4)
    chdir = nbformat.v4.new_code_cell(
        f"import os\n\nos.chdir({str(root)!r})  # run from the repository root, as under papermill",
        metadata={"tags": ["emer-chdir"]},
    )
    notebook.cells.insert(0, chdir)
    checked = _checked_cells(notebook)
    if checked:
        reference = (reference_dir or root / "tests" / "notebook_outputs") / f"{stem}.json"
        hint = "run `make smoke-outputs` to record them from a full smoke run, and review the diff"
        if not reference.is_file():
            raise NotebookError(
                f"{reference}: no recorded outputs for the checked cells of notebooks/{stem}.py; {hint}"
            )
        recorded = json.loads(reference.read_text(encoding="utf-8"))["cells"]
        if [r["source"] for r in recorded] != [c.source for c in checked]:
            raise NotebookError(
                f"{reference}: the checked cells of notebooks/{stem}.py changed since the recording; {hint}"
            )
        for cell, record in zip(checked, recorded, strict=True):
            cell.outputs = [nbformat.from_dict(output) for output in record["outputs"]]
            cell.execution_count = record["execution_count"]  # nbval refuses outputs of an unrun cell
    nbformat.write(notebook, prepared)


def record_outputs(executed: Path, reference_dir: Path) -> Path:
    """Save the outputs of an executed notebook's ``NBVAL_CHECK_OUTPUT`` cells as ``<stem>.json``."""
    import nbformat

    notebook = nbformat.read(executed, as_version=4)
    cells = []
    for cell in _checked_cells(notebook):
        outputs = []
        for output in cell.outputs:
            output = dict(output)
            if "execution_count" in output:
                output["execution_count"] = None
            outputs.append(output)
        cells.append({"source": cell.source, "execution_count": cell.execution_count, "outputs": outputs})
    stem = executed.stem
    document = {"notebook": f"notebooks/{stem}.py", "profile": "smoke", "cells": cells}
    target = reference_dir / f"{stem}.json"
    write_atomic(target, (json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode())
    return target


def run_all(
    out_dir: Path,
    profile: str = "full",
    only: list[str] | None = None,
    root: Path = ROOT,
    *,
    prepare_only: bool = False,
    record_dir: Path | None = None,
) -> list[Path]:
    """Execute every notebook (or those whose stem starts with one of ``only``) in order.

    Every selected notebook's parameters and data directory are checked before the first one starts.
    ``prepare_only`` injects parameters without running (see :func:`run_notebook`); ``record_dir`` saves
    the outputs of the checked cells of each executed notebook there (see :func:`record_outputs`).
    """
    import jupytext

    paths = select_notebooks(only, root)
    check_folder(out_dir, "the output folder (--out-dir)")
    for path in paths:
        declared = declared_parameters(jupytext.read(path))
        check_data_dir(merge_params(path.stem, declared, profile, {"out_dir": str(out_dir)}, root), path.stem)
    done = []
    for path in paths:
        verb = "preparing" if prepare_only else "running"
        print(f"[emer] {verb} {path.name} ({profile})", flush=True)
        executed = run_notebook(path, out_dir, profile, root=root, prepare_only=prepare_only)
        if record_dir is not None:
            record_outputs(executed, record_dir)
        done.append(executed)
    return done
