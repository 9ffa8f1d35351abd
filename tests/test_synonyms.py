"""Synonym groupings without an LLM: emotion wheel, WordNet (Debian files copied for NLTK), embeddings."""

from __future__ import annotations

from pathlib import Path

import pytest

from emer.labels.synonyms import (
    WordNetMissing,
    build_grouping,
    cluster_labels,
    embed_labels,
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
