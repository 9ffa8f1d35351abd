"""Tidy tables of the public EMER data. Each loader documents the columns it returns.

Conventions: ``sample`` is the MER2023 video id; ``language`` is ``en`` or ``zh``; system outputs
have one row per (system, setting, sample). Label lists are parsed with
:func:`emer.data.label_lists.parse_label_list` (or the legacy parser where asked for).
"""

from __future__ import annotations

import ast
import os
from collections.abc import Callable

import numpy as np
import pandas as pd

from emer.data.label_lists import parse_label_list, parse_label_list_legacy
from emer.data.registry import registry
from emer.data.safe_npz import load_npz
from emer.data.split import split_description
from emer.data.store import DataError, data_path

DataDir = str | os.PathLike | None

EMER_V1 = {"en": "AffectGPT/EMER/dataset-v1/gt-eng.csv", "zh": "AffectGPT/EMER/dataset-v1/gt-chi.csv"}
EMER_V2 = "AffectGPT/EMER/dataset-v2/final-EMER-reason.csv"
OV_STORE = "MERTools/MER2024/ov_store"
MER2023 = "MERTools/MERBench/dataset/mer2023-dataset-process"
OVMER_OUTPUTS = "AffectGPT-2025/OV-MER/output/results-ovmerd"

#: The one place where the released setting names meet the study's S0/S1/S2.
SETTINGS = {"S0": "nosubtitle", "S1": "subtitle", "S2": "nosubtitle-addsub"}
MLLMS = (
    "Chat-UniVi",
    "LLaMA-VID",
    "Otter",
    "Qwen-Audio",
    "SALMONN",
    "Video-ChatGPT",
    "Video-LLaVA",
    "VideoChat",
    "VideoChat2",
    "mPLUG-Owl",
)
#: EMER-v1 Chinese baselines: released file stem -> system name.
V1_BASELINES = {
    "pandagpt": "PandaGPT",
    "valley": "Valley",
    "videochat(emb)": "VideoChat-Embed",
    "videochat(text)": "VideoChat-Text",
    "videochatgpt": "Video-ChatGPT",
    "videollama": "Video-LLaMA",
}
V1_LABELS_ZH = {"生气": "angry", "高兴": "happy", "担忧": "worried", "悲伤": "sad", "惊讶": "surprise"}
LABEL_PARSERS: dict[str, Callable[[str], list[str]]] = {
    "clean": parse_label_list,
    "legacy": parse_label_list_legacy,
}


def _read_csv(path: str, data_dir: DataDir, columns: list[str]) -> pd.DataFrame:
    local = data_path(path, data_dir)
    frame = pd.read_csv(local, dtype=str, keep_default_na=False)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"{local}: expected columns {columns}, missing {missing}")
    return frame


def _parser(parse: str) -> Callable[[str], list[str]]:
    try:
        return LABEL_PARSERS[parse]
    except KeyError:
        raise ValueError(f"parse must be one of {sorted(LABEL_PARSERS)}, not {parse!r}") from None


def load_emer_v1(data_dir: DataDir = None) -> pd.DataFrame:
    """EMER-v1 gold set (100 samples × en/zh).

    Columns: sample, language, mer2023_label (English word), subtitle, description.
    """
    frames = []
    for language, path in EMER_V1.items():
        raw = _read_csv(path, data_dir, ["names", "emotions", "subtitles", "reasons"])
        labels = raw["emotions"].map(lambda x: V1_LABELS_ZH.get(x, x))
        frames.append(
            pd.DataFrame(
                {
                    "sample": raw["names"],
                    "language": language,
                    "mer2023_label": labels,
                    "subtitle": raw["subtitles"],
                    "description": raw["reasons"],
                }
            )
        )
    return pd.concat(frames, ignore_index=True).sort_values(["language", "sample"], ignore_index=True)


def load_emer_v2(data_dir: DataDir = None) -> pd.DataFrame:
    """EMER-v2 gold descriptions (332 samples × en/zh), as released.

    Columns: sample, language, description.
    """
    raw = _read_csv(EMER_V2, data_dir, ["name", "chinese", "english"])
    long = raw.melt(
        id_vars="name", value_vars=["english", "chinese"], var_name="language", value_name="description"
    )
    long["language"] = long["language"].map({"english": "en", "chinese": "zh"})
    long = long.rename(columns={"name": "sample"})
    return long.sort_values(["language", "sample"], ignore_index=True)


def load_emer_v2_parts(data_dir: DataDir = None) -> pd.DataFrame:
    """EMER-v2 descriptions split into modality parts (see :mod:`emer.data.split`).

    Columns: sample, language, video, audio, text, status (clean/relaxed/failed), note.
    """
    rows = []
    for row in load_emer_v2(data_dir).itertuples(index=False):
        split = split_description(row.description, row.language)
        rows.append(
            {
                "sample": row.sample,
                "language": row.language,
                "video": split.video,
                "audio": split.audio,
                "text": split.text,
                "status": split.status,
                "note": split.note,
            }
        )
    return pd.DataFrame(rows)


def load_gold_ov_labels(data_dir: DataDir = None, parse: str = "clean") -> pd.DataFrame:
    """Gold open-vocabulary labels of the 332 EMER-v2 samples (``check-openset.csv``).

    Columns: sample, labels (list of str), raw (the released string).
    """
    return _load_openset(f"{OV_STORE}/check-openset.csv", data_dir, parse)


def load_mer2024_prediction(data_dir: DataDir = None, parse: str = "clean") -> pd.DataFrame:
    """The MER2024 example prediction (``predict-openset.csv``). Columns as :func:`load_gold_ov_labels`."""
    return _load_openset(f"{OV_STORE}/predict-openset.csv", data_dir, parse)


def _load_openset(path: str, data_dir: DataDir, parse: str) -> pd.DataFrame:
    parser = _parser(parse)
    raw = _read_csv(path, data_dir, ["name", "openset"])
    return pd.DataFrame(
        {"sample": raw["name"], "labels": raw["openset"].map(parser), "raw": raw["openset"]}
    ).sort_values("sample", ignore_index=True)


def load_recorded_groups(samples: list[str], data_dir: DataDir = None) -> dict[str, list[list[str]]]:
    """The GPT-3.5 synonym groups recorded for the MER2024 example, per sample (list of lists)."""
    groups = {}
    for sample in samples:
        local = data_path(f"{OV_STORE}/openset-synonym/{sample}.npy", data_dir)
        text = str(np.load(local, allow_pickle=False))
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError) as exc:
            raise DataError(f"{local}: not a list-of-lists literal ({exc})") from None
        groups[sample] = [[str(x) for x in group] for group in value]
    return groups


def load_system_outputs(data_dir: DataDir = None, parse: str = "clean") -> pd.DataFrame:
    """Released OV-MER outputs: 10 MLLMs × S0/S1/S2 × 332 samples, English.

    Columns: system, setting, sample, language, description, labels (list), labels_raw.
    """
    parser = _parser(parse)
    frames = []
    for system in MLLMS:
        for setting, released in SETTINGS.items():
            stem = f"{OVMER_OUTPUTS}/{system}/output-reason-7b-{released}-eng"
            reasons = _npz_dict(f"{stem}.npz", "name2reason", data_dir)
            labels = _npz_items(f"{stem}-openset.npz", data_dir)
            if set(labels) != set(reasons):
                raise DataError(f"{stem}: description and label files name different samples")
            samples = sorted(reasons)
            frames.append(
                pd.DataFrame(
                    {
                        "system": system,
                        "setting": setting,
                        "sample": samples,
                        "language": "en",
                        "description": [str(reasons[s]) for s in samples],
                        "labels": [parser(labels[s]) for s in samples],
                        "labels_raw": [str(labels[s]) for s in samples],
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def load_v1_baseline_outputs(data_dir: DataDir = None) -> pd.DataFrame:
    """EMER-v1 Chinese baseline descriptions: 6 systems × 100 samples.

    Columns: system, setting ("v1", the paper's single EMER-v1 setting), sample, language, description.
    """
    frames = []
    for stem, system in V1_BASELINES.items():
        raw = _read_csv(f"AffectGPT/baseline_results/{stem}.csv", data_dir, ["names", "chi_reasons"])
        frames.append(
            pd.DataFrame(
                {
                    "system": system,
                    "setting": "v1",
                    "sample": raw["names"],
                    "language": "zh",
                    "description": raw["chi_reasons"],
                }
            ).sort_values("sample")
        )
    return pd.concat(frames, ignore_index=True)


def _npz_dict(path: str, key: str, data_dir: DataDir) -> dict:
    local = data_path(path, data_dir)
    value = load_npz(local).get(key)
    if not isinstance(value, dict):
        raise DataError(f"{local}: key {key!r} does not hold a dict")
    return value


def load_mer2023_labels(data_dir: DataDir = None) -> pd.DataFrame:
    """MER2023 discrete labels and valence (all splits).

    Columns: sample, split (train/test1/test2/test3), label, valence (NaN where the release has the
    -10 placeholder).
    """
    rows = []
    for key, corpus in sorted(load_npz(data_path(f"{MER2023}/label-6way.npz", data_dir)).items()):
        for sample, value in sorted(corpus.items()):
            valence = float(value["val"])
            rows.append(
                {
                    "sample": sample,
                    "split": key.removesuffix("_corpus"),
                    "label": value["emo"],
                    "valence": float("nan") if valence == -10 else valence,
                }
            )
    return pd.DataFrame(rows)


def load_mer2023_transcripts(data_dir: DataDir = None) -> pd.DataFrame:
    """Polished MER2023 subtitles. Columns: sample, zh, en (empty string where none)."""
    return load_transcripts("mer2023", data_dir)


#: MERBench's polished subtitles (``name, chinese, english``), per corpus (CMU-MOSEI's is not in the copy).
MERBENCH = "MERTools/MERBench/dataset"
TRANSCRIPTS = {
    "mer2023": f"{MER2023}/transcription-engchi-polish.csv",
    "meld": f"{MERBENCH}/meld-process/transcription-engchi-polish.csv",
    "iemocap": f"{MERBENCH}/iemocap-process/transcription-engchi-polish.csv",
    "cmumosi": f"{MERBENCH}/cmumosi-process/transcription-engchi-polish.csv",
    "sims": f"{MERBENCH}/sims-process/transcription-engchi-polish.csv",
    "simsv2": f"{MERBENCH}/simsv2-process/transcription-engchi-polish.csv",
}


def load_transcripts(corpus: str, data_dir: DataDir = None) -> pd.DataFrame:
    """MERBench's polished subtitles of ``corpus`` (a key of :data:`TRANSCRIPTS`), one row per sample.

    Columns: sample, zh, en (stripped; empty string where none), sorted by sample. A row repeated verbatim
    (IEMOCAP has two) is kept once; a name given two different subtitles is an error.
    """
    if corpus not in TRANSCRIPTS:
        raise ValueError(f"no MERBench transcripts for {corpus!r}; choose one of {', '.join(TRANSCRIPTS)}")
    path = TRANSCRIPTS[corpus]
    raw = _read_csv(path, data_dir, ["name", "chinese", "english"])
    columns = {"sample": "name", "zh": "chinese", "en": "english"}
    frame = pd.DataFrame(
        {ours: raw[theirs].str.strip() for ours, theirs in columns.items()}
    ).drop_duplicates()
    repeated = frame.loc[frame["sample"].duplicated(), "sample"].tolist()
    if repeated:
        raise DataError(f"{path}: {len(repeated)} names have two different subtitles, first {repeated[0]}")
    return frame.sort_values("sample", ignore_index=True)


#: AffectGPT (audio + video + text) outputs on three MER-UniBench datasets, as released (7 checkpoints each).
AFFECTGPT_OUTPUTS = "AffectGPT-2025/AffectGPT/output"
AFFECTGPT_RUN = "emercoarse_highlevelfilter4_outputhybird_bestsetup_bestfusion_lz_20250110100"
AFFECTGPT_DATASETS = ("meld", "cmumosi", "sims")


def affectgpt_checkpoints(dataset: str) -> list[str]:
    """Stems of the released AffectGPT checkpoints of ``dataset`` (``checkpoint_000030_loss_0.602`` ...)."""
    if dataset not in AFFECTGPT_DATASETS:
        raise ValueError(f"AffectGPT outputs are released for {AFFECTGPT_DATASETS}, not {dataset!r}")
    folder = f"{AFFECTGPT_OUTPUTS}/results-{dataset}/{AFFECTGPT_RUN}/"
    stems = {
        p.removeprefix(folder).removesuffix(".npz")
        for p in registry()
        if p.startswith(folder) and "-" not in p.removeprefix(folder)
    }
    return sorted(stems)


def load_affectgpt_outputs(dataset: str, data_dir: DataDir = None, parse: str = "clean") -> pd.DataFrame:
    """AffectGPT's released outputs on ``dataset`` (meld, cmumosi or sims), every checkpoint.

    Columns: checkpoint, sample, description, labels (list; the field's Qwen2.5 extraction), labels_raw,
    sentiment (the field's Qwen2.5 answer from those labels; "" where the dataset has none).
    """
    parser = _parser(parse)
    folder = f"{AFFECTGPT_OUTPUTS}/results-{dataset}/{AFFECTGPT_RUN}"
    frames = []
    for stem in affectgpt_checkpoints(dataset):
        reasons = _npz_dict(f"{folder}/{stem}.npz", "name2reason", data_dir)
        labels = _npz_items(f"{folder}/{stem}-openset.npz", data_dir)
        sentiment_path = f"{folder}/{stem}-openset-sentiment.npz"
        sentiments = _npz_items(sentiment_path, data_dir) if sentiment_path in registry() else {}
        if set(labels) != set(reasons) or (sentiments and set(sentiments) != set(reasons)):
            raise DataError(f"{folder}/{stem}: description, label and sentiment files name different samples")
        samples = sorted(reasons)
        frames.append(
            pd.DataFrame(
                {
                    "checkpoint": stem,
                    "sample": samples,
                    "description": [str(reasons[s]) for s in samples],
                    "labels": [parser(labels[s]) for s in samples],
                    "labels_raw": [str(labels[s]) for s in samples],
                    "sentiment": [str(sentiments.get(s, "")) for s in samples],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _npz_items(path: str, data_dir: DataDir) -> dict[str, object]:
    """name -> item of a released ``filenames`` + ``fileitems`` file."""
    local = data_path(path, data_dir)
    content = load_npz(local)
    try:
        names, items = content["filenames"].tolist(), content["fileitems"].tolist()
    except (KeyError, AttributeError):
        raise DataError(f"{local}: expected the keys 'filenames' and 'fileitems'") from None
    if len(names) != len(items):
        raise DataError(f"{local}: {len(names)} filenames but {len(items)} fileitems")
    return {str(n): i for n, i in zip(names, items, strict=True)}


def load_released_sentiments(dataset: str, data_dir: DataDir = None) -> pd.DataFrame:
    """AffectGPT's released OV-label answers and LLM sentiment answers on ``dataset`` (cmumosi, sims),
    as written. Columns dataset, system, checkpoint, sample, labels_raw, sentiment_raw."""
    outputs = load_affectgpt_outputs(dataset, data_dir)
    if (outputs["sentiment"] == "").all():
        raise ValueError(f"no released sentiment outputs for {dataset!r} (released for cmumosi and sims)")
    frame = outputs.rename(columns={"sentiment": "sentiment_raw"}).assign(
        dataset=dataset, system=AFFECTGPT_RUN
    )
    columns = ["dataset", "system", "checkpoint", "sample", "labels_raw", "sentiment_raw"]
    return frame[columns].sort_values(["checkpoint", "sample"], ignore_index=True)
