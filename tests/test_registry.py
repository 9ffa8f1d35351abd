"""The data registry, fetching into a cache, and checksum/missing-file errors."""

from __future__ import annotations

import csv
import os
import shutil
import time
from pathlib import Path

import pytest

import emer.data.store as store
from emer.data.registry import lookup, registry
from emer.data.store import ChecksumError, DataError, data_path, fetch

GOLD = "MERTools/MER2024/ov_store/check-openset.csv"
SYNONYM = "MERTools/MER2024/ov_store/openset-synonym/sample_00000000.npy"


def test_registry_lists_every_manifest_file(data_dir: Path) -> None:
    with open(data_dir / "MANIFEST.tsv", newline="", encoding="utf-8") as f:
        manifest = {row["path"]: row for row in csv.DictReader(f, delimiter="\t")}
    assert len(registry()) == len(manifest) == 484
    for path, entry in registry().items():
        assert entry.sha256 == manifest[path]["sha256"]
        assert entry.commit == manifest[path]["commit"]
        assert len(entry.commit) == 40


def test_urls_are_pinned_to_a_commit() -> None:
    entry = lookup("AffectGPT-2025/OV-MER/output/results-ovmerd/Otter/output-reason-7b-nosubtitle-eng.npz")
    urls = entry.urls()
    assert urls[0].startswith("https://raw.githubusercontent.com/zeroQiaoba/AffectGPT/bf68d98")
    assert "3FEmotionResearch/AffectGPT" in urls[1]
    assert all(
        url.endswith("OV-MER/output/results-ovmerd/Otter/output-reason-7b-nosubtitle-eng.npz") for url in urls
    )


def test_archive_members_point_into_their_zip() -> None:
    entry = lookup(SYNONYM)
    assert entry.download_path == "MER2024/ov_store/openset-synonym.zip"
    assert entry.archive_member == "openset-synonym/sample_00000000.npy"
    assert entry.archive_local_path == "MERTools/MER2024/ov_store/openset-synonym.zip"


def test_unknown_file_is_refused() -> None:
    with pytest.raises(KeyError, match="not a registered data file"):
        lookup("MERTools/secret.csv")


def test_user_data_dir_is_verified(data_dir: Path) -> None:
    assert data_path(GOLD, data_dir) == (data_dir / GOLD).resolve()
    assert len(fetch([GOLD, SYNONYM], data_dir=data_dir)) == 2


def test_missing_file_names_the_setting_and_the_command(tmp_path: Path) -> None:
    with pytest.raises(DataError) as info:
        data_path(GOLD, tmp_path)
    assert "EMER_DATA_DIR" in str(info.value) and "emer fetch" in str(info.value)


def test_checksum_mismatch_names_file_and_both_hashes(tmp_path: Path, data_dir: Path) -> None:
    target = tmp_path / GOLD
    target.parent.mkdir(parents=True)
    target.write_bytes((data_dir / GOLD).read_bytes() + b"\n")
    with pytest.raises(ChecksumError) as info:
        data_path(GOLD, tmp_path)
    message = str(info.value)
    assert GOLD in message and lookup(GOLD).sha256 in message
    assert store.sha256_of(target) in message


def test_fetch_into_cache_extracts_archives_and_verifies(
    tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The download itself is replaced by a copy from the local data (tests never use the network)."""
    downloads: list[str] = []

    def fake_download(entry, target: Path) -> None:
        downloads.append(entry.download_path)
        source = data_dir / (entry.archive_local_path if entry.archive else entry.path)
        shutil.copyfile(source, target)

    monkeypatch.delenv("EMER_DATA_DIR", raising=False)
    monkeypatch.setenv("EMER_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(store, "_download", fake_download)
    paths = fetch([GOLD, SYNONYM, "MERTools/MER2024/ov_store/openset-synonym/sample_00000007.npy"])
    assert [p.read_bytes() for p in paths] == [
        (data_dir / p.relative_to(tmp_path / "data")).read_bytes() for p in paths
    ]
    assert downloads == ["MER2024/ov_store/check-openset.csv", "MER2024/ov_store/openset-synonym.zip"]
    fetch([GOLD])  # already there and valid: nothing downloaded again
    assert len(downloads) == 2


def test_fetch_replaces_a_corrupt_cached_file(
    tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EMER_DATA_DIR", raising=False)
    monkeypatch.setenv("EMER_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(
        store, "_download", lambda entry, target: shutil.copyfile(data_dir / entry.path, target)
    )
    corrupt = tmp_path / "data" / GOLD
    corrupt.parent.mkdir(parents=True)
    corrupt.write_text("garbage")
    (path,) = fetch([GOLD])
    assert path.read_bytes() == (data_dir / GOLD).read_bytes()


def test_failed_download_reports_every_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pooch

    def refuse(url, **kwargs):
        raise ConnectionError("network is off")

    monkeypatch.setattr(pooch, "retrieve", refuse)
    entry = lookup("AffectGPT-2025/OV-MER/output/results-ovmerd/Otter/output-reason-7b-nosubtitle-eng.npz")
    with pytest.raises(DataError) as info:
        store._download(entry, tmp_path / "x.npz")
    assert all(url in str(info.value) for url in entry.urls())


def _edit_in_place_keeping_size_and_mtime(path: Path) -> None:
    before = path.stat()
    data = bytearray(path.read_bytes())
    data[10] = ord("X") if data[10] != ord("X") else ord("Y")
    with open(path, "r+b") as handle:  # same inode, same size
        handle.write(bytes(data))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)


@pytest.mark.parametrize("racy_ns", [store.RACY_NS, 0], ids=["fresh-file", "memoised"])
def test_an_edit_in_place_with_size_and_mtime_restored_is_caught(
    tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch, racy_ns: int
) -> None:
    """The memo of verified files is keyed by the ctime too (which an edit cannot set back); a file changed
    within RACY_NS of its hash is not memoised at all."""
    monkeypatch.setattr(store, "RACY_NS", racy_ns)
    target = tmp_path / GOLD
    target.parent.mkdir(parents=True)
    shutil.copyfile(data_dir / GOLD, target)
    time.sleep(0.05)  # past the file-time tick of the copy
    assert data_path(GOLD, tmp_path) == target
    time.sleep(0.05)
    _edit_in_place_keeping_size_and_mtime(target)
    with pytest.raises(ChecksumError, match="sha256 mismatch"):
        data_path(GOLD, tmp_path)
