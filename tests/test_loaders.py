"""Tidy loaders on the real public data, including the known artifacts."""

from __future__ import annotations

from pathlib import Path

import pytest

from emer.data import (
    SETTINGS,
    load_emer_v1,
    load_emer_v2,
    load_emer_v2_parts,
    load_gold_ov_labels,
    load_mer2023_labels,
    load_mer2023_transcripts,
    load_mer2024_prediction,
    load_recorded_groups,
    load_system_outputs,
    load_v1_baseline_outputs,
)
from emer.data.split import split_description


@pytest.fixture(scope="module")
def parts(data_dir: Path):
    return load_emer_v2_parts(data_dir)


def test_emer_v1(data_dir: Path) -> None:
    v1 = load_emer_v1(data_dir)
    assert list(v1.columns) == ["sample", "language", "mer2023_label", "subtitle", "description"]
    assert v1.groupby("language").size().to_dict() == {"en": 100, "zh": 100}
    # Chinese labels are mapped to the English MER2023 words and agree with the English file.
    by_lang = v1.pivot(index="sample", columns="language", values="mer2023_label")
    assert (by_lang["en"] == by_lang["zh"]).all()
    assert v1.query("language == 'en'")["mer2023_label"].value_counts().to_dict() == {
        "angry": 36,
        "happy": 32,
        "worried": 17,
        "sad": 11,
        "surprise": 4,
    }


def test_emer_v2(data_dir: Path) -> None:
    v2 = load_emer_v2(data_dir)
    assert v2.groupby("language").size().to_dict() == {"en": 332, "zh": 332}
    assert v2["description"].str.len().min() > 0


def test_split_counts(parts) -> None:
    counts = parts.groupby(["language", "status"]).size().to_dict()
    assert counts == {("en", "clean"): 315, ("en", "relaxed"): 17, ("zh", "clean"): 331, ("zh", "relaxed"): 1}
    assert (parts[["video", "audio", "text"]] != "").all().all()
    assert parts.query("language == 'en'")["video"].str.startswith("In the video").all()
    assert parts.query("language == 'zh'")["text"].str.startswith("在文本中").all()


def test_split_artifacts(parts) -> None:
    en = parts.query("language == 'en'").set_index("sample")
    assert en["note"].str.contains("stray 'Input:' removed").sum() == 88
    assert en["note"].str.contains("Output:").sum() == 5
    assert not en["video"].str.contains("Input:|Output:").any()
    assert en.loc["sample_00000176", "status"] == "relaxed"  # "; in the audio ...; in the text ..."
    zh = parts.query("language == 'zh'").set_index("sample")
    assert zh.loc["sample_00000461", "status"] == "relaxed"  # the extra '；'


def test_split_handles_the_second_copy() -> None:
    text = (
        "Input: In the video, A. In the audio, B. In the text, C. "
        "Output: In the video, A2. In the audio, B2. In the text, C2."
    )
    split = split_description(text, "en")
    assert (split.video, split.audio, split.text) == (
        "In the video, A2.",
        "In the audio, B2.",
        "In the text, C2.",
    )
    empty_output = split_description("Input: In the video, A. In the audio, B. In the text, C. Output:", "en")
    assert empty_output.text == "In the text, C."


def test_split_variant_and_failure() -> None:
    variant = split_description("In the video, A. In the audio, B. The subtitle in the text says, C.", "en")
    assert variant.status == "relaxed" and variant.text.startswith("The subtitle in the text")
    failed = split_description("A description without markers.", "en")
    assert failed.status == "failed" and failed.video == ""
    with pytest.raises(ValueError, match="unknown language"):
        split_description("x", "fr")


def test_gold_and_example_labels(data_dir: Path) -> None:
    gold = load_gold_ov_labels(data_dir)
    assert len(gold) == 332 and gold["labels"].map(len).between(1, 9).all()
    example = load_mer2024_prediction(data_dir)
    assert (example["labels"].map(len) == 0).sum() == 5
    legacy = load_mer2024_prediction(data_dir, parse="legacy").set_index("sample")
    assert legacy.loc["sample_00001774", "labels"] == ["don", "t believe", "doubt"]
    clean = example.set_index("sample")
    assert clean.loc["sample_00001774", "labels"] == ["don't believe", "doubt"]
    with pytest.raises(ValueError, match="parse must be one of"):
        load_gold_ov_labels(data_dir, parse="gpt")


def test_recorded_groups(data_dir: Path) -> None:
    groups = load_recorded_groups(["sample_00001774"], data_dir)
    assert groups["sample_00001774"][0][0] == "t believe"


def test_system_outputs_shape(data_dir: Path) -> None:
    outputs = load_system_outputs(data_dir)
    assert list(outputs.columns) == [
        "system",
        "setting",
        "sample",
        "language",
        "description",
        "labels",
        "labels_raw",
    ]
    assert len(outputs) == 10 * 3 * 332
    assert set(outputs["setting"]) == set(SETTINGS)
    assert not outputs.duplicated(["system", "setting", "sample"]).any()
    gold = set(load_gold_ov_labels(data_dir)["sample"])
    assert set(outputs["sample"]) == gold


def test_v1_baselines(data_dir: Path) -> None:
    baselines = load_v1_baseline_outputs(data_dir)
    assert baselines.groupby("system").size().to_dict() == dict.fromkeys(
        ["PandaGPT", "Valley", "Video-ChatGPT", "Video-LLaMA", "VideoChat-Embed", "VideoChat-Text"], 100
    )
    assert set(baselines["sample"]) == set(load_emer_v1(data_dir)["sample"])


def test_mer2023(data_dir: Path) -> None:
    labels = load_mer2023_labels(data_dir)
    assert labels.groupby("split").size().to_dict() == {
        "test1": 411,
        "test2": 412,
        "test3": 834,
        "train": 3373,
    }
    assert labels.query("split == 'test3'")["valence"].isna().all()
    v2 = set(load_emer_v2(data_dir)["sample"])
    assert labels[labels["sample"].isin(v2)]["label"].value_counts().to_dict() == {
        "angry": 115,
        "happy": 92,
        "worried": 59,
        "sad": 43,
        "surprise": 23,
    }
    transcripts = load_mer2023_transcripts(data_dir)
    assert len(transcripts) == 5030 and (transcripts["en"] == "").sum() == 217
