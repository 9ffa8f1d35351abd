"""Tables and figures are written with deterministic bytes."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from emer.reference import load_published  # noqa: E402
from emer.report import compare_tables, save_figure, save_table  # noqa: E402


def _table() -> pd.DataFrame:
    return pd.DataFrame({"system": ["a", "b"], "score": [1 / 3, float("nan")], "n": [3, 4]})


def test_save_table_is_byte_stable(tmp_path: Path) -> None:
    for folder in ("x", "y"):
        save_table(
            _table(), "t", tmp_path / folder, notebook="nb", params={"seed": 1, "out_dir": str(tmp_path)}
        )
    assert compare_tables(tmp_path / "x" / "tables", tmp_path / "y" / "tables") == []
    csv = (tmp_path / "x" / "tables" / "t.csv").read_text()
    assert ",0.3333333333," in csv  # 10 significant digits in the CSV
    markdown = (tmp_path / "x" / "tables" / "t.md").read_text()
    assert "0.3333" in markdown and "0.33333" not in markdown
    provenance = json.loads((tmp_path / "x" / "tables" / "t.provenance.json").read_text())
    assert provenance["params"] == {"seed": 1} and provenance["notebook"] == "nb"


def test_csv_floats_hide_last_bit_differences(tmp_path: Path) -> None:
    # Another CPU's libm/BLAS moves a float64 by a few ulps; the CSV bytes must not show it.
    value = 0.1 + 0.2  # 0.30000000000000004
    for folder, shift in (("x", 0), ("y", 3)):
        moved = np.nextafter(value, 1.0) if shift else value
        for _ in range(shift - 1):
            moved = np.nextafter(moved, 1.0)
        table = pd.DataFrame(
            {"r": [moved, -moved / 7, 1e-12 * moved, 2.0, float("nan")], "n": [1, 2, 3, 4, 5]}
        )
        save_table(table, "t", tmp_path / folder)
    assert compare_tables(tmp_path / "x" / "tables", tmp_path / "y" / "tables") == []
    csv = (tmp_path / "x" / "tables" / "t.csv").read_text()
    assert csv == "r,n\n0.3,1\n-0.04285714286,2\n3e-13,3\n2.0,4\n,5\n"


def test_compare_tables_reports_differences(tmp_path: Path) -> None:
    save_table(_table(), "t", tmp_path / "x")
    changed = _table().assign(n=[3, 5])
    save_table(changed, "t", tmp_path / "y")
    save_table(changed, "extra", tmp_path / "y")
    assert compare_tables(tmp_path / "x" / "tables", tmp_path / "y" / "tables") == [
        "extra.csv",
        "extra.md",
        "extra.provenance.json",
        "t.csv",
        "t.md",
    ]


def test_save_figure_is_byte_stable(tmp_path: Path) -> None:
    paths = []
    for name in ("one", "two"):
        fig, ax = plt.subplots()
        ax.plot([0, 1], [1, 0])
        paths.append(save_figure(fig, name, tmp_path))
        plt.close(fig)
    assert paths[0].read_bytes() == paths[1].read_bytes()


def test_published_reference_table() -> None:
    r2 = load_published("R2")
    models = r2.query("unit == 'percent'")["system"].unique()
    assert len(models) == 12
    assert r2.query("system == 'Qwen-Audio' and metric == 'M-avg'")["value"].item() == 31.84
    assert load_published("R1")["value"].tolist() == [
        0.581777108433735,
        0.4977911646586345,
        0.5397841365461847,
    ]
    assert (load_published()["source"] != "").all()


def test_relative_out_dir_is_taken_from_the_repository_root(tmp_path: Path, monkeypatch) -> None:
    """Run interactively, a notebook has cwd notebooks/: a relative out_dir must still mean <root>/outputs."""
    import emer.report as report

    root = tmp_path / "repo"
    (root / "notebooks").mkdir(parents=True)
    monkeypatch.setattr(report, "ROOT", root)
    monkeypatch.chdir(root / "notebooks")
    csv = save_table(_table(), "t", "outputs", notebook="nb")
    figure, _ = plt.subplots()
    png = save_figure(figure, "f", "outputs")
    plt.close(figure)
    assert csv == root / "outputs" / "tables" / "t.csv" and csv.is_file()
    assert png == root / "outputs" / "figures" / "f.png" and png.is_file()
    assert not (root / "notebooks" / "outputs").exists()
    assert report.project_path(tmp_path / "abs") == tmp_path / "abs"
