"""MELD (test): 2,610 utterances of the Friends series, seven classes; MER-UniBench scores the hit rate."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pandas as pd

from emer.data.datasets import readers
from emer.data.datasets._affectgpt import affectgpt_baseline
from emer.data.datasets.base import DataDir, DatasetSpec, Gold, GoldError, file_sha256
from emer.data.store import data_path

LABELS = "MERTools/MERBench/dataset/meld-process/label.npz"
MELD_CSV = "MELD/data/MELD/test_sent_emo.csv"
#: MERBench's class order (the index stored in label.npz).
CLASSES = ("anger", "joy", "sadness", "neutral", "disgust", "fear", "surprise")
N_SAMPLES = 2610


def read_meld_csv(path: Path) -> dict[str, str]:
    """name -> emotion from MELD's test_sent_emo.csv (named ``test_dia{Dialogue_ID}_utt{Utterance_ID}``)."""
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise GoldError(f"{path}: not a well-formed UTF-8 CSV ({exc})") from None
    needed = ["Dialogue_ID", "Utterance_ID", "Emotion"]
    if any(c not in raw for c in needed):
        raise GoldError(
            f"{path}: MELD's test_sent_emo.csv has the columns {needed}; found {list(raw.columns)}"
        )
    ids = zip(raw["Dialogue_ID"], raw["Utterance_ID"], strict=True)
    names = [f"test_dia{d.strip()}_utt{u.strip()}" for d, u in ids]
    readers.check_names(names, path)
    return {
        n: readers.class_of(e, CLASSES, path, f"row {i} ({n})")
        for i, (n, e) in enumerate(zip(names, raw["Emotion"], strict=True), start=2)
    }


def read_gold(data_dir: DataDir, labels: Path | None) -> Gold:
    if labels is None:
        onehot = readers.onehot_labels(data_path(LABELS, data_dir), "test_corpus", CLASSES, "MELD")
        return Gold(sorted(onehot), onehot=onehot, files=[LABELS])
    head = labels.read_bytes()[:1000].decode("utf-8", errors="ignore")
    if labels.suffix.lower() == ".csv" and "Utterance_ID" in head:
        onehot = read_meld_csv(labels)
    else:
        onehot = readers.onehot_labels(labels, "test_corpus", CLASSES, "MELD")
    readers.expect_size(onehot, N_SAMPLES, labels, "MELD's test split")
    return Gold(sorted(onehot), onehot=onehot, user_file=str(labels), user_sha256=file_sha256(labels))


DATASETS = (
    DatasetSpec(
        name="meld",
        title="MELD",
        split="test",
        n_samples=N_SAMPLES,
        gold="onehot",
        families=("hitrate",),
        reader=read_gold,
        source="MERTools MERBench meld-process/label.npz (agrees with MELD's test_sent_emo.csv on all 2,610)",
        files=(LABELS,),
        label_formats="MERBench label.npz (test_corpus), MELD's test_sent_emo.csv, or a name,label CSV",
        classes=CLASSES,
        unibench="MELD",
        field_names=("meld",),
        baselines=partial(affectgpt_baseline, "meld"),
        published=("R5", "MELD"),
        notes="MELD is GPL-3.0 (declare-lab/MELD), built from the Friends series; neutral (1,256 samples) "
        "maps to no wheel class and is skipped",
    ),
)
