"""MERBench's transcripts and every split's labels (emer.data.loaders.load_transcripts, emer.data.corpora)."""

from __future__ import annotations

from pathlib import Path

import pytest

from emer.data import DataError
from emer.data.corpora import CORPORA, get_corpus, load_corpus, sentiment_of
from emer.data.datasets import load_dataset
from emer.data.loaders import TRANSCRIPTS, load_transcripts

#: (train, val, test) sizes of MERBench's label files (data README §5 and §7; IEMOCAP: sessions 1-4 / 5).
SIZES = {
    "mer2023": (3373, 0, 411),
    "meld": (9989, 1109, 2610),
    "iemocap": (4290, 0, 1241),
    "cmumosi": (1284, 229, 686),
    "sims": (1368, 456, 457),
    "simsv2": (2722, 647, 1034),
}


def test_transcripts_of_every_corpus(data_dir: Path) -> None:
    sizes = {name: len(load_transcripts(name, data_dir)) for name in TRANSCRIPTS}
    assert sizes == {
        "mer2023": 5030,
        "meld": 13708,
        "iemocap": 10085,  # two rows repeated verbatim are kept once
        "cmumosi": 2199,
        "sims": 2281,
        "simsv2": 4403,
    }
    meld = load_transcripts("meld", data_dir)
    assert list(meld.columns) == ["sample", "zh", "en"] and meld["sample"].is_monotonic_increasing
    assert (meld["en"] == meld["en"].str.strip()).all()
    with pytest.raises(ValueError, match="no MERBench transcripts for 'cmumosei'"):
        load_transcripts("cmumosei", data_dir)


def test_a_name_with_two_subtitles_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from emer.data import loaders

    table = tmp_path / "t.csv"
    table.write_text("name,chinese,english\na,你好,hello\na,再见,bye\n", encoding="utf-8")
    monkeypatch.setattr(loaders, "data_path", lambda path, data_dir=None: table)
    with pytest.raises(DataError, match="1 names have two different subtitles, first a"):
        load_transcripts("meld")


@pytest.mark.parametrize("name", list(CORPORA))
def test_every_split_of_every_corpus(name: str, data_dir: Path) -> None:
    frame = load_corpus(name, data_dir)
    corpus = get_corpus(name)
    counts = frame["split"].value_counts()
    assert tuple(int(counts.get(s, 0)) for s in ("train", "val", "test")) == SIZES[name]
    assert not frame["sample"].duplicated().any()
    assert set(frame["label"]) <= set(corpus.classes)
    # the test split is exactly the dataset emer score scores
    scored = load_dataset(corpus.dataset, data_dir, baselines=False)
    test = frame[frame["split"] == "test"].set_index("sample")
    assert sorted(test.index) == sorted(scored.samples)
    if corpus.kind == "sentiment":
        assert test["value"].to_dict() == scored.valence
        assert (test["label"] == test["value"].map(sentiment_of)).all()
    else:
        assert test["label"].to_dict() == scored.onehot and frame["value"].isna().all()


def test_sentiment_words_follow_the_sign() -> None:
    assert [sentiment_of(v) for v in (-0.2, 0.0, 1.4)] == ["negative", "neutral", "positive"]
    with pytest.raises(ValueError, match="unknown corpus"):
        get_corpus("cmumosei")
