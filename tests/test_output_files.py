"""Where emer writes: output paths that are files are one-line errors, every file gets the mode the umask
gives, atomic writes leave nothing behind, and the paper / compare-tables commands refuse what they cannot
do instead of doing something else."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pandas as pd
import pytest

from emer.cli import main
from emer.data import load_gold_ov_labels
from emer.files import OutputPathError, atomic_file, check_folder, write_atomic
from emer.report import compare_tables


@pytest.fixture
def umask_027():
    old = os.umask(0o027)
    yield 0o640
    os.umask(old)


def _modes(folder: Path) -> dict[str, int]:
    return {
        str(p.relative_to(folder)): stat.S_IMODE(p.stat().st_mode) for p in folder.rglob("*") if p.is_file()
    }


def _labels_csv(tmp_path: Path, data_dir: Path) -> Path:
    gold = load_gold_ov_labels(data_dir)
    path = tmp_path / "mine.csv"
    pd.DataFrame({"name": gold["sample"], "openset": gold["raw"]}).to_csv(path, index=False)
    return path


def test_every_scorecard_file_gets_the_umask_mode(tmp_path: Path, data_dir: Path, umask_027: int) -> None:
    """scorecard.json was 0644 (open) while the tables were 0600 (tempfile): now all follow the umask."""
    out = tmp_path / "run"
    argv = ["score", str(_labels_csv(tmp_path, data_dir)), "--data-dir", str(data_dir), "--out", str(out)]
    assert main([*argv, "--metrics", "ew", "--no-baselines", "--n-boot", "0"]) == 0
    modes = _modes(out)
    assert {"scorecard.json", "tables/scores.csv", "tables/leaderboard.md", "figures/leaderboard.png"} <= set(
        modes
    )
    assert set(modes.values()) == {umask_027}, modes


def test_atomic_writes_follow_the_umask_and_leave_nothing_on_failure(tmp_path: Path, umask_027: int) -> None:
    target = write_atomic(tmp_path / "a" / "table.csv", b"x,y\n")
    assert stat.S_IMODE(target.stat().st_mode) == umask_027 and target.read_bytes() == b"x,y\n"
    with pytest.raises(RuntimeError), atomic_file(target) as handle:
        handle.write(b"half")
        raise RuntimeError("interrupted")
    assert target.read_bytes() == b"x,y\n" and sorted(p.name for p in target.parent.iterdir()) == [
        "table.csv"
    ]


def test_output_folder_that_is_a_file_is_refused(tmp_path: Path) -> None:
    taken = tmp_path / "taken"
    taken.write_text("keep me")
    with pytest.raises(OutputPathError, match="--out is a file, not a folder"):
        check_folder(taken, "--out")
    with pytest.raises(OutputPathError, match="lies under .*taken, which is a file"):
        check_folder(taken / "deeper" / "still", "--out")
    assert check_folder(tmp_path / "new" / "folder") == tmp_path / "new" / "folder"
    assert not (tmp_path / "new").exists() and taken.read_text() == "keep me"


@pytest.mark.parametrize("dataset", ["ovmerd", "mer-unibench"])
def test_score_out_that_is_a_file_fails_before_any_work(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture, dataset: str
) -> None:
    taken = tmp_path / "taken"
    taken.write_text("keep me")
    predictions = _labels_csv(tmp_path, data_dir)
    argv = ["score", str(predictions), "--dataset", dataset, "--data-dir", str(data_dir), "--out", str(taken)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert (
        err == f"emer: error: {taken}: --out is a file, not a folder; give a folder path (it is created "
        "if missing) or move the file away\n"
    )
    assert main([*argv[:-1], str(tmp_path / "run"), "--cache-dir", str(taken)]) == 2
    assert "--cache-dir is a file" in capsys.readouterr().err and taken.read_text() == "keep me"


def test_paper_out_dir_that_is_a_file_and_only_without_a_value(tmp_path: Path, capsys) -> None:
    taken = tmp_path / "taken"
    taken.write_text("keep me")
    assert main(["paper", "--only", "00", "--out-dir", str(taken)]) == 2
    assert capsys.readouterr().err.startswith(f"emer: error: {taken}: --out-dir is a file")
    with pytest.raises(
        SystemExit
    ) as info:  # `--only` with nothing after it: a usage error, not every notebook
        main(["paper", "--only", "--out-dir", str(tmp_path / "out")])
    assert info.value.code == 2 and "--only: expected at least one argument" in capsys.readouterr().err
    assert main(["paper", "--only", "", "--out-dir", str(tmp_path / "out")]) == 2
    assert "name the notebooks to run" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_compare_tables_with_a_missing_folder_says_so(tmp_path: Path, capsys) -> None:
    (tmp_path / "tables").mkdir()
    assert main(["compare-tables", str(tmp_path / "MISSING"), str(tmp_path / "tables")]) == 2
    err = capsys.readouterr().err
    assert (
        err == f"emer: error: {tmp_path / 'MISSING'}: folder not found; give two tables folders, e.g. "
        ".check/tables outputs/tables\n"
    )
    with pytest.raises(FileNotFoundError, match="not a folder"):
        compare_tables(tmp_path / "tables", Path(__file__))
    assert main(["compare-tables", str(tmp_path / "tables"), str(tmp_path / "tables")]) == 0
