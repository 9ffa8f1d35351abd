"""The modality ablation helpers, the extraction comparison and our S2, on a few real samples, offline."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from emer.analysis.ablation import (
    COMBINATIONS,
    ablation_extractors,
    describe_extractors,
    extraction_comparison,
    modality_texts,
    our_s2_outputs,
    run_ablation,
    score_sets,
)
from emer.analysis.subset import take_samples
from emer.data import load_emer_v2_parts, load_gold_ov_labels, load_system_outputs
from emer.labels.grouping import IdentityGrouping
from emer.labels.wheel import wheel_groupings
from emer.llm import make_runner


@pytest.fixture(scope="module")
def parts(data_dir: Path) -> pd.DataFrame:
    return take_samples(load_emer_v2_parts(data_dir), 4)


@pytest.fixture(scope="module")
def gold(data_dir: Path) -> dict[str, list[str]]:
    table = take_samples(load_gold_ov_labels(data_dir), 4)
    return dict(zip(table["sample"], table["labels"], strict=True))


def test_modality_texts(parts: pd.DataFrame) -> None:
    multi = modality_texts(parts, "V+A+T")
    row = parts[(parts["language"] == "en")].sort_values("sample").iloc[0]
    assert multi["text"][0] == f"{row.video.strip()} {row.audio.strip()} {row.text.strip()}"
    zh = modality_texts(parts, "A+T", "zh")
    assert zh["text"][0].startswith("在音频中") and "在文本中" in zh["text"][0] and len(zh) == 4
    with pytest.raises(ValueError, match="use V, A, T"):
        modality_texts(parts, "V+X")


def test_ablation_offline_and_a_missing_cached_backend(
    parts: pd.DataFrame, gold: dict, data_dir: Path, tmp_path: Path
) -> None:
    main = {"backend": "offline", "cache_dir": tmp_path, "cache_mode": "read-write", "data_dir": data_dir}
    cached = [
        {
            "name": "unrecorded",
            "backend": "transformers",
            "model": "smollm2",
            "limit": 2,
            "languages": ["en"],
        },
        {"name": "no file", "backend": "transformers", "model": "smollm2", "cache_dir": tmp_path / "none"},
    ]
    extractors = ablation_extractors({**main, "languages": ["en", "zh"]}, cached)
    labels = run_ablation(extractors, parts, COMBINATIONS)
    assert len(labels) == 2 * 7 * 4 and set(labels["extractor"]) == {"offline selector"}
    named = ablation_extractors({**main, "extractor": "lexicon"})
    assert [e.name for e in named] == ["offline lexicon"] and "lexicon-1/" in named[0].runner.label
    notes = describe_extractors(extractors).set_index("extractor")["notes"]
    assert notes["unrecorded"].startswith("unrecorded en V: 2 of 2 calls not recorded, left out")
    assert "no LLM call cache" in notes["no file"]
    table = score_sets(labels, gold, IdentityGrouping(), wheel_groupings(data_dir))
    assert table["combination"].tolist()[:7] == list(COMBINATIONS)  # V, A, T, ... order
    assert (table["n_samples"] == 4).all() and table["ew_m_avg"].between(0, 100).all()
    comparison = extraction_comparison(labels, gold, extractors, IdentityGrouping(), None)
    assert comparison["extractor"].iloc[-1].startswith("published: EMER (Multi)")
    assert comparison["avg"].iloc[-1] == pytest.approx(79.31)
    # deterministic: the same inputs give the same bytes
    again = score_sets(run_ablation(extractors, parts, COMBINATIONS), gold, IdentityGrouping(), None)
    assert again.to_csv() == score_sets(labels, gold, IdentityGrouping(), None).to_csv()


def test_our_s2_has_the_shape_of_the_released_outputs(data_dir: Path, tmp_path: Path) -> None:
    runner = make_runner("offline", cache_dir=tmp_path, data_dir=data_dir)
    ours = our_s2_outputs(runner, runner, data_dir, systems=["Chat-UniVi"], limit=3)
    released = load_system_outputs(data_dir)
    assert list(ours.columns) == list(released.columns)
    assert set(ours["setting"]) == {"S2-ours"} and len(ours) == 3
    s0 = released[(released["system"] == "Chat-UniVi") & (released["setting"] == "S0")].sort_values("sample")
    assert all(
        m.startswith(d.strip()) for m, d in zip(ours["description"], s0["description"].head(3), strict=True)
    )
    assert ours.attrs["status"]["merge_ok"].tolist() == [3]
