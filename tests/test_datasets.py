"""The dataset registry: every dataset's reader on the public files and on small synthetic files in the
official formats, the user's labels (--labels) and what is refused, with the message a user sees."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emer.cli import main
from emer.data.datasets import (
    UNIBENCH_ORDER,
    GoldError,
    dataset_of_names,
    get_spec,
    load_dataset,
    overview,
    specs,
    unibench_specs,
)
from emer.data.datasets.base import DatasetSpec, Gold
from emer.scoring import PredictionError, score


def _npz(path: Path, **corpora: dict) -> Path:
    """A MERBench-style label file: each key a pickled dict name -> {'emo': ..., 'val': ...}."""
    arrays = {}
    for key, corpus in corpora.items():
        array = np.empty((), dtype=object)
        array[()] = corpus
        arrays[key] = array
    np.savez_compressed(path, **arrays)
    return path


def _csv(path: Path, frame: pd.DataFrame) -> Path:
    frame.to_csv(path, index=False)
    return path


# --- the registry ---------------------------------------------------------------------------------------
def test_mer_unibench_is_nine_datasets_in_the_field_order() -> None:
    assert [s.unibench for s in unibench_specs()] == list(UNIBENCH_ORDER)
    assert list(specs())[:9] == [s.name for s in unibench_specs()]
    assert {"ovmerd", "emer-v1", "mer2023-train", "mer2023-test2"} <= set(specs())


def test_a_dataset_is_one_module_with_a_spec(tmp_path: Path) -> None:
    spec = get_spec("meld")
    assert isinstance(spec, DatasetSpec) and spec.families == ("hitrate",) and spec.public
    assert spec.published == ("R5", "MELD") and spec.n_samples == 2610
    with pytest.raises(ValueError, match="unknown dataset 'mosi'; choose one of mer2023-test1"):
        get_spec("mosi")
    with pytest.raises(ValueError, match="gold must be one of"):
        DatasetSpec("x", "x", "test", 1, "continuous", (), lambda d, p: Gold([]), "nowhere")


def test_public_gold_has_the_published_sizes(data_dir: Path) -> None:
    for spec in specs().values():
        if spec.public:
            assert len(load_dataset(spec.name, data_dir, baselines=False).samples) == spec.n_samples


def test_meld_and_iemocap_read_their_class_indices(data_dir: Path) -> None:
    meld = load_dataset("meld", data_dir, baselines=False)
    assert set(meld.onehot.values()) == set(get_spec("meld").classes)
    assert sum(v == "neutral" for v in meld.onehot.values()) == 1256  # never scored by the hit rate
    iemocap = load_dataset("iemocap", data_dir, baselines=False)
    assert all(s.startswith("Ses05") for s in iemocap.samples)
    assert set(iemocap.onehot.values()) == {"happy", "sad", "neutral", "anger"}


def test_sentiment_gold_is_continuous_in_range(data_dir: Path) -> None:
    for name, bound in (("cmumosi", 3), ("cmumosei", 3), ("sims", 1), ("simsv2", 1)):
        values = np.array(list(load_dataset(name, data_dir, baselines=False).valence.values()))
        assert np.all(np.abs(values) <= bound) and (values == 0).any() and (values > 0).any()


def test_melds_own_csv_agrees_with_merbench_on_all_samples(data_dir: Path) -> None:
    own = data_dir / "MELD/data/MELD/test_sent_emo.csv"
    from_csv = load_dataset("meld", data_dir, baselines=False, labels=own)
    assert from_csv.onehot == load_dataset("meld", data_dir, baselines=False).onehot
    assert from_csv.user_sha256 and from_csv.sha256 != load_dataset("meld", data_dir, baselines=False).sha256


def test_overview_says_where_labels_come_from_and_if_they_are_here(data_dir: Path, tmp_path: Path) -> None:
    rows = {r["dataset"]: r for r in overview(data_dir)}
    assert rows["meld"]["labels"] == "present" and rows["mer2024"]["labels"].startswith("user-supplied")
    assert rows["cmumosi"]["MER-UniBench"] == "CMU-MOSI"
    assert {r["labels"] for r in overview(tmp_path)} == {"missing (emer fetch)", "user-supplied (--labels)"}


def test_emer_datasets_lists_them(data_dir: Path, capsys) -> None:
    assert main(["datasets", "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert "ovmerd-plus" in out and "never redistributed" in out and "user-supplied" in out


# --- the user's labels in the official formats ----------------------------------------------------------
def test_mer2024_needs_the_users_labels_in_merbench_or_csv_form(data_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(GoldError, match="MER2024's test labels are not public: pass your copy with --labels"):
        load_dataset("mer2024", data_dir)
    names = [f"sample_{i:08d}" for i in range(1169)]
    classes = ["happy", "sad", "angry", "worried", "surprise", "neutral"]
    corpus = {n: {"emo": classes[i % 6]} for i, n in enumerate(names)}
    from_npz = load_dataset(
        "mer2024", data_dir, labels=_npz(tmp_path / "label-6way.npz", test1_corpus=corpus)
    )
    table = pd.DataFrame({"name": names, "discrete": [classes[i % 6] for i in range(1169)]})
    from_csv = load_dataset("mer2024", data_dir, labels=_csv(tmp_path / "label-disdim.csv", table))
    assert from_npz.onehot == from_csv.onehot and len(from_npz.samples) == 1169
    short = _csv(tmp_path / "short.csv", table.head(1000))
    with pytest.raises(
        GoldError, match="short.csv: 1000 samples, but MER2024's MER-UniBench test set has 1169"
    ):
        load_dataset("mer2024", data_dir, labels=short)


def test_class_indices_and_words_and_what_is_refused(data_dir: Path, tmp_path: Path) -> None:
    names = [f"test_dia{i}_utt0" for i in range(2610)]
    corpus = {n: {"emo": i % 7, "val": -10} for i, n in enumerate(names)}
    meld = load_dataset("meld", data_dir, labels=_npz(tmp_path / "label.npz", test_corpus=corpus))
    assert meld.onehot["test_dia1_utt0"] == "joy"  # index order anger, joy, sadness, ...
    bad = _csv(tmp_path / "bad.csv", pd.DataFrame({"name": names, "label": ["happy"] * 2610}))
    with pytest.raises(GoldError, match=r"bad.csv, row 2 \(test_dia0_utt0\): label 'happy' is not one of"):
        load_dataset("meld", data_dir, labels=bad)
    wrong = _csv(tmp_path / "wrong.csv", pd.DataFrame({"id": names, "x": 1}))
    with pytest.raises(GoldError, match=r"wrong.csv: columns found \['id', 'x'\]; the gold of MELD needs"):
        load_dataset("meld", data_dir, labels=wrong)
    npz = _npz(tmp_path / "other.npz", train_corpus=corpus)
    with pytest.raises(GoldError, match="no 'test_corpus' in this file"):
        load_dataset("meld", data_dir, labels=npz)
    repeated = _csv(tmp_path / "twice.csv", pd.DataFrame({"name": ["a", "a"], "label": ["joy", "joy"]}))
    with pytest.raises(GoldError, match="1 name.s. appear more than once"):
        load_dataset("meld", data_dir, labels=repeated)
    with pytest.raises(GoldError, match="no such labels file"):
        load_dataset("meld", data_dir, labels=tmp_path / "absent.csv")


def test_iemocap_keeps_session_5_of_the_whole_corpus(data_dir: Path, tmp_path: Path) -> None:
    corpus = {f"Ses0{s}F_impro01_F{i:03d}": {"emo": i % 4} for s in range(1, 6) for i in range(1241)}
    dataset = load_dataset("iemocap", data_dir, labels=_npz(tmp_path / "label_4way.npz", whole_corpus=corpus))
    assert len(dataset.samples) == 1241 and all(s.startswith("Ses05") for s in dataset.samples)
    foreign = _npz(tmp_path / "x.npz", whole_corpus={"video_0001": {"emo": 0}})
    with pytest.raises(GoldError, match="1 names are not IEMOCAP utterance names"):
        load_dataset("iemocap", data_dir, labels=foreign)


def test_sentiment_labels_in_range_or_refused(data_dir: Path, tmp_path: Path) -> None:
    names = [f"clip_{i}" for i in range(457)]
    values = np.linspace(-1, 1, 457)
    corpus = {n: {"emo": 0, "val": float(v)} for n, v in zip(names, values, strict=True)}
    sims = load_dataset("sims", data_dir, labels=_npz(tmp_path / "label.npz", test_corpus=corpus))
    assert sims.valence["clip_0"] == -1.0 and len(sims.valence) == 457
    table = pd.DataFrame({"name": names, "value": values.astype(object)})
    assert load_dataset("sims", data_dir, labels=_csv(tmp_path / "v.csv", table)).valence == sims.valence
    table.loc[3, "value"] = 2.5
    with pytest.raises(
        GoldError, match=r"v2.csv, row 5 \(clip_3\): sentiment value '2.5' is outside \[-1, 1\]"
    ):
        load_dataset("sims", data_dir, labels=_csv(tmp_path / "v2.csv", table))
    table.loc[3, "value"] = "high"
    with pytest.raises(GoldError, match="sentiment value 'high' is not a number"):
        load_dataset("sims", data_dir, labels=_csv(tmp_path / "v3.csv", table))


def test_ovmerd_plus_reads_openset_csv(data_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(GoldError, match="OV-MERD\\+'s gold OV labels are not public"):
        load_dataset("ovmerd-plus", data_dir)
    names = [f"sample_{i:08d}" for i in range(532)]
    table = pd.DataFrame({"name": names, "openset": ["['happy', 'relaxed']"] * 532})
    dataset = load_dataset("ovmerd-plus", data_dir, labels=_csv(tmp_path / "ov.csv", table))
    assert dataset.ov_gold[names[0]] == ["happy", "relaxed"]
    table.loc[0, "openset"] = "[]"
    with pytest.raises(GoldError, match=r"row 2 \(sample_00000000\): no gold label"):
        load_dataset("ovmerd-plus", data_dir, labels=_csv(tmp_path / "ov2.csv", table))


# --- names of another dataset ---------------------------------------------------------------------------
def test_names_of_another_dataset_are_named(data_dir: Path, tmp_path: Path) -> None:
    meld = load_dataset("meld", data_dir, baselines=False).samples[:5]
    assert dataset_of_names(set(meld), data_dir)[0] == ("meld", 5)
    file = _csv(tmp_path / "p.csv", pd.DataFrame({"name": meld, "openset": "[happy]"}))
    with pytest.raises(PredictionError, match="5 of its 5 names are samples of 'meld': use --dataset meld"):
        score(str(file), "iemocap", data_dir=data_dir, allow_missing=True, n_boot=0)


def test_iemocap_names_outside_session_5_are_explained(data_dir: Path, tmp_path: Path) -> None:
    file = _csv(
        tmp_path / "p.csv",
        pd.DataFrame({"name": ["Ses01F_impro01_F000", "Ses05F_impro01_F000"], "openset": "[sad]"}),
    )
    with pytest.raises(
        PredictionError, match="1 of them are from sessions 1-4 .* scores IEMOCAP's session 5"
    ):
        score(str(file), "iemocap", data_dir=data_dir, allow_missing=True, n_boot=0)


def test_mer2023_and_the_sentiment_datasets_take_the_users_copy(data_dir: Path, tmp_path: Path) -> None:
    test1 = load_dataset("mer2023-test1", data_dir, baselines=False)
    table = pd.DataFrame({"name": test1.samples, "discrete": [test1.onehot[s] for s in test1.samples]})
    mine = load_dataset("mer2023-test1", data_dir, labels=_csv(tmp_path / "test1-label.csv", table))
    assert mine.onehot == test1.onehot and mine.user_sha256 and mine.files == []
    for name in ("cmumosi", "cmumosei", "simsv2"):
        public = load_dataset(name, data_dir, baselines=False)
        corpus = {s: {"emo": 0, "val": v} for s, v in public.valence.items()}
        copy = load_dataset(name, data_dir, labels=_npz(tmp_path / f"{name}.npz", test_corpus=corpus))
        assert copy.valence == public.valence, name


def test_melds_own_csv_format_on_a_synthetic_copy(data_dir: Path, tmp_path: Path) -> None:
    rows = [
        {"Sr No.": i, "Utterance": "Oh.", "Speaker": "Joey", "Emotion": "joy" if i % 2 else "fear",
         "Sentiment": "positive", "Dialogue_ID": i // 10, "Utterance_ID": i % 10, "Season": 1, "Episode": 1}
        for i in range(2610)
    ]  # fmt: skip
    dataset = load_dataset("meld", data_dir, labels=_csv(tmp_path / "test_sent_emo.csv", pd.DataFrame(rows)))
    assert dataset.onehot["test_dia0_utt1"] == "joy" and dataset.onehot["test_dia260_utt9"] == "joy"
    rows[3]["Emotion"] = "happy"
    with pytest.raises(GoldError, match=r"row 5 \(test_dia0_utt3\): label 'happy' is not one of the classes"):
        load_dataset("meld", data_dir, labels=_csv(tmp_path / "bad_sent_emo.csv", pd.DataFrame(rows)))
