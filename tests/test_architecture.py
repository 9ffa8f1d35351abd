"""The shape of the house: no import circle between any two modules, and the names that moved still import.

The layers themselves are checked by import-linter (``lint-imports`` in ``make test``; contracts in
pyproject.toml). Its ``acyclic_siblings`` contract compares the modules of one package with each other;
the test here also sees a circle through a package's ``__init__`` (a module importing its own package).
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _ignored_imports() -> set[tuple[str, str]]:
    """The imports the contracts ignore (the deprecated aliases), with ``.*`` expanded."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    expressions = {e for c in config["contracts"] for e in c.get("ignore_imports", [])}
    return {tuple(part.strip() for part in e.split("->")) for e in expressions}


def _graph_without_ignored() -> dict[str, set[str]]:
    graph = grimp.build_graph("emer", cache_dir=None)
    edges = {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    for importer, imported in _ignored_imports():
        for target in list(edges.get(importer, ())):
            if target == imported or (imported.endswith(".*") and target.startswith(imported[:-1])):
                edges[importer].discard(target)
    return edges


def _circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    circles.append(sorted(component))
    return circles


def test_the_circle_finder_finds_circles() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert _circles(edges) == [["a", "b", "c"]]


def test_no_module_imports_in_a_circle() -> None:
    circles = _circles(_graph_without_ignored())
    assert not circles, f"modules that import each other (directly or through others): {circles}"


@pytest.mark.parametrize(
    ("module", "names"),
    [
        ("emer.labels.parse", ["normalise_label", "parse_label_list", "parse_label_list_legacy"]),
        ("emer.labels", ["parse_label_list", "normalise_label"]),
        ("emer.metrics.checks", ["LabelInputError", "label_list", "label_lists", "known_samples"]),
        ("emer.clues.lexical", ["subtitle_language", "read_lexical", "lexical_clue"]),
        ("emer.analysis.datasets", ["text_length", "description_lengths"]),
        ("emer.analysis.leaderboard", ["leaderboard_figure", "SUBMITTED_COLOUR", "LEADERBOARD_COLUMNS"]),
        ("emer.llm.backends", ["Request", "Answer", "GenerationSettings", "BackendError", "make_backend"]),
        ("emer.scoring.core", ["signature", "score", "ScoreOptions", "Scoring"]),
        ("emer", ["__version__", "score"]),
        ("emer.cli", ["main", "build_parser"]),
        ("emer.metrics.matching", ["matching_scores", "MeteorProcess", "tokenize_english", "NgramCounts"]),
        ("emer.metrics.significance", ["paired_comparisons", "holm", "bootstrap_intervals", "Statistic"]),
        ("emer.clues.model_pipeline", ["run_model_explain", "ModelPipeline", "load_clip_media", "dry_run"]),
    ],
)
def test_names_that_moved_keep_their_import_path(module: str, names: list[str]) -> None:
    imported = importlib.import_module(module)
    assert [n for n in names if not hasattr(imported, n)] == []


@pytest.mark.parametrize(
    ("module", "names"),
    [
        ("emer.clues.commands", ["add_clue_commands"]),
        ("emer.clues.model_commands", ["add_model_options", "run_model_command"]),
    ],
)
def test_deprecated_command_modules_warn_and_still_work(module: str, names: list[str]) -> None:
    sys.modules.pop(module, None)
    with pytest.warns(DeprecationWarning, match="emer.cli"):
        imported = importlib.import_module(module)
    assert all(callable(getattr(imported, n)) for n in names)


def test_python_m_emer_llm_is_an_alias_of_record_calls(capsys: pytest.CaptureFixture[str]) -> None:
    from emer.llm.__main__ import main

    with pytest.warns(DeprecationWarning, match="emer record-calls"), pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0 and "usage: emer record-calls" in capsys.readouterr().out


def test_python_m_emer_runs_the_command_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "emer", "--help"], capture_output=True, text=True, check=False, cwd=ROOT
    )
    assert done.returncode == 0
    assert all(c in done.stdout for c in ("score", "explain", "record-calls", "compare-tables"))
