"""Synonym groupings without an LLM: emotion wheel, WordNet (Debian files copied for NLTK), embeddings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from emer.labels.synonyms import (
    WordNetMissing,
    build_grouping,
    cluster_labels,
    embed_labels,
    embedding_relation,
    wordnet_data_dir,
)


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One derived-resource folder for the module, so WordNet is copied and read once."""
    return tmp_path_factory.mktemp("derived")


WORDS = ["angry", "anger", "mad", "cheerful", "happy", "happiness", "sad", "sadness", "worried", "worry"]


def test_cluster_linkages() -> None:
    near = {frozenset(p) for p in [("a", "b"), ("b", "c")]}

    def same(x: str, y: str) -> bool:
        return frozenset((x, y)) in near

    assert cluster_labels(["c", "b", "a", "d"], same) == [["a", "b", "c"], ["d"]]
    assert cluster_labels(["c", "b", "a", "d"], same, linkage="complete") == [["a", "b"], ["c"], ["d"]]


def test_wheel_grouping(data_dir: Path) -> None:
    grouping = build_grouping("wheel", WORDS, data_dir)
    assert grouping.head("anger") == grouping.head("angry")
    assert grouping.head("happy") == grouping.head("happiness") != grouping.head("sad")
    assert grouping.head("unlisted-word") == "unlisted-word"
    assert grouping.canonical(["Angry", "anger"]) == frozenset({grouping.head("angry")})


def test_wordnet_grouping(data_dir: Path, cache_dir: Path) -> None:
    grouping = build_grouping("wordnet", [*WORDS, "glad"], data_dir, cache_dir=cache_dir)
    assert grouping.head("anger") == grouping.head("angry")  # derivationally related forms
    assert grouping.head("sad") == grouping.head("sadness")
    assert grouping.head("happy") != grouping.head("sad")
    lexnames = cache_dir / "nltk_data" / "corpora" / "wordnet" / "lexnames"
    assert lexnames.read_text().startswith("00\tadj.all\t3")


def test_wordnet_missing_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(WordNetMissing, match="apt-get install wordnet-base wordnet-sense-index"):
        wordnet_data_dir(tmp_path, source=tmp_path / "no-wordnet")


def test_embedding_grouping_keeps_antonyms_apart(data_dir: Path, cache_dir: Path) -> None:
    vectors = embed_labels(["angry", "cheerful", "furious"])
    assert vectors.shape == (3, 384)
    similarity = vectors @ vectors.T
    assert similarity[0, 1] > 0.35  # the model alone finds angry and cheerful fairly close
    loose = build_grouping("embedding", ["angry", "cheerful"], data_dir, cache_dir, threshold=0.3)
    assert loose.head("angry") != loose.head("cheerful")  # the wheel-family guard keeps them apart
    grouping = build_grouping("embedding", WORDS, data_dir, cache_dir, threshold=0.7)
    assert grouping.head("worry") == grouping.head("worried")


def test_embedding_threshold_is_decided_on_the_float64_cosine() -> None:
    """A pair within float32 noise of the threshold is decided on float64 embeddings: a threshold 2e-6
    above the cosine keeps the pair apart, 2e-6 below joins it (a float32 cosine rounded to 4 decimals
    would decide both the same way, on a rounding boundary that CPU noise can cross)."""
    exact = embed_labels(["worried", "anxious"], precision="float64")
    cosine = float(exact[0] @ exact[1])
    assert abs(round(cosine, 4) - cosine) > 2e-6  # the old rounding moves this cosine past a 2e-6 margin
    assert embedding_relation(["worried", "anxious"], cosine + 2e-6)("worried", "anxious") is False
    assert embedding_relation(["worried", "anxious"], cosine - 2e-6)("worried", "anxious") is True
    assert embed_labels(["worried"]).dtype == np.float32 and exact.dtype == np.float64
