"""From paths on the command line to the systems to score, aligned to a dataset's samples."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from emer.data import data_path
from emer.data.datasets import Dataset, dataset_of_names
from emer.data.predictions import predictions_files
from emer.labels.lexicon import is_chinese
from emer.llm.tasks import english_labels
from emer.scoring.inputs import Prediction, PredictionError, read_prediction

SUFFIXES = (".csv", ".tsv", ".jsonl", ".ndjson", ".npz")
DATA_PREFIX = "data:"
#: The field's files of one checkpoint: ``X.npz`` (descriptions), ``X-openset.npz`` (OV labels its LLM
#: extracted), ``X-openset-sentiment.npz`` (the sentiment its LLM chose from those labels).
FIELD_STAGES = ("-openset-sentiment", "-openset", "-sentiment")
INPUTS = ("auto", "descriptions", "labels", "sentiments")


@dataclass
class Submission:
    """One submitted system: one prediction, or several checkpoints of it (the last is the system)."""

    name: str
    checkpoints: list[Prediction]
    missing: dict[str, int] = field(default_factory=dict)  # checkpoint -> samples scored as empty

    @property
    def last(self) -> Prediction:
        return self.checkpoints[-1]


def natural_key(text: str) -> list:
    """Sort key that puts ``epoch2`` before ``epoch10``."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", text)]


def _resolve(spec: str, data_dir: str | os.PathLike | None) -> tuple[str | None, Path]:
    """``[NAME=]PATH``; a PATH starting with ``data:`` is a file of the public data (registry path)."""
    name, sep, rest = spec.partition("=")
    if not sep or "/" in name or os.sep in name or not name:
        name, rest = None, spec
    if rest.startswith(DATA_PREFIX):
        return name, data_path(rest.removeprefix(DATA_PREFIX), data_dir)
    return name, Path(rest).expanduser()


def collect_submissions(
    specs: list[str],
    data_dir: str | os.PathLike | None = None,
    checkpoints: bool = False,
    wanted: tuple[str, ...] | None = None,
) -> list[Submission]:
    """The systems named by ``specs`` (files, folders of files, ``NAME=PATH``, ``data:PATH``).

    A folder holds one system per file, or, with ``checkpoints``, the checkpoints of one system (sorted
    naturally by file name: the last is the final checkpoint). ``wanted``: see :func:`read_folder`. The
    output folder of an ``emer explain`` run is read as it is: each of its predictions files
    (:mod:`emer.data.predictions`) is a system, ``<folder> <strategy>``.
    """
    if not specs:
        raise PredictionError("no predictions given; pass one or more files or folders")
    submissions: list[Submission] = []
    for spec in specs:
        name, path = _resolve(spec, data_dir)
        explained = predictions_files(path) if path.is_dir() else {}
        if explained:
            for strategy, file in explained.items():
                prediction = read_prediction(file, f"{name or path.name} {strategy}")
                submissions.append(Submission(prediction.system, [prediction]))
        elif path.is_dir():
            predictions = read_folder(path, wanted)
            if checkpoints:
                submissions.append(Submission(name or path.name, predictions))
            else:
                submissions += [Submission(p.system, [p]) for p in predictions]
        elif path.exists():
            prediction = read_prediction(path, name)
            submissions.append(Submission(prediction.system, [prediction]))
        else:
            raise PredictionError(f"{path}: no such file or folder")
    names = [s.name for s in submissions]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise PredictionError(
            f"several predictions are named {repeated[0]!r}; name them apart with NAME=PATH"
        )
    return submissions


def stage_groups(path: Path) -> dict[str, dict[str, Path]]:
    """The prediction files of a folder by checkpoint (sorted naturally), each with its stage: the
    field's ``X.npz`` -> descriptions, ``X-openset`` -> labels, ``X-openset-sentiment`` -> sentiments; a
    lone file is ``any``."""
    files = sorted(
        (p for p in path.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES),
        key=lambda p: natural_key(p.name),
    )
    if not files:
        raise PredictionError(f"{path}: no prediction files ({', '.join(SUFFIXES)}) in this folder")
    groups: dict[str, list[Path]] = {}
    for file in files:
        groups.setdefault(field_stem(file.stem), []).append(file)
    out: dict[str, dict[str, Path]] = {}
    for stem in sorted(groups, key=natural_key):
        if len(groups[stem]) == 1:
            out[stem] = {"any": groups[stem][0]}
            continue
        out[stem] = {_stage(f.stem, stem): f for f in groups[stem]}
    return out


def _stage(file_stem: str, stem: str) -> str:
    suffix = file_stem.removeprefix(stem)
    return {"": "descriptions", "-openset": "labels"}.get(suffix, "sentiments")


def read_folder(path: Path, wanted: tuple[str, ...] | None = None) -> list[Prediction]:
    """The predictions in a folder, one per checkpoint, sorted naturally by name; the field's stage files
    of one checkpoint (see :data:`FIELD_STAGES`) are read together as one prediction. With ``wanted``
    (stages in order of preference), only the first stage present of each checkpoint is read, or every
    stage when none of them is there."""
    out = []
    for stem, stages in stage_groups(path).items():
        chosen = next(([stages[s]] for s in wanted or () if s in stages), list(stages.values()))
        parts = [read_prediction(f, stem) for f in chosen]
        out.append(parts[0] if len(parts) == 1 else merge_stages(parts, stem))
    return out


def field_stem(stem: str) -> str:
    """The checkpoint a file belongs to: its stem without the field's stage suffix."""
    for suffix in FIELD_STAGES:
        if stem.endswith(suffix):
            return stem.removesuffix(suffix)
    return stem


def merge_stages(parts: list[Prediction], system: str) -> Prediction:
    """One prediction from the stage files of one checkpoint (descriptions, labels, sentiments)."""
    frame = parts[0].frame[["sample"]]
    names = set(frame["sample"])
    seen: dict[str, str] = {}
    for part in parts:
        if set(part.frame["sample"]) != names:
            raise PredictionError(
                f"{part.path} and {parts[0].path} are stages of one checkpoint but name different samples"
            )
        for column in part.frame.columns.drop("sample"):
            if column in seen:
                raise PredictionError(f"{part.path} and {seen[column]} both give {column!r} for {system}")
            seen[column] = part.path
            frame = frame.merge(part.frame[["sample", column]], on="sample", validate="one_to_one")
    first = min(parts, key=lambda p: len(Path(p.path).stem))
    warnings = [w for p in parts for w in p.warnings]
    return Prediction(system, first.path, first.format, frame, warnings)


def restrict(prediction: Prediction, inputs: str) -> None:
    """Keep the kinds of input ``inputs`` asks for (in place): ``auto`` keeps all; ``descriptions`` scores
    from the descriptions alone (labels extracted, sentiments mapped); ``labels`` drops given sentiments
    (they are mapped from the labels); ``sentiments`` scores the given sentiments."""
    if inputs not in INPUTS:
        raise ValueError(f"inputs must be one of {INPUTS}, not {inputs!r}")
    needed = {"descriptions": "description", "labels": "labels", "sentiments": "sentiment"}.get(inputs)
    if needed is None:
        return
    if needed not in prediction.frame:
        raise PredictionError(
            f"{prediction.path}: --from {inputs} asks for {inputs}, but the file gives "
            f"{', '.join(prediction.kinds)}"
        )
    drop = {"descriptions": ["labels", "sentiment"], "labels": ["sentiment"], "sentiments": ["labels"]}
    prediction.frame = prediction.frame.drop(columns=[c for c in drop[inputs] if c in prediction.frame])
    if "sentiment" in drop[inputs]:  # what was said of the dropped sentiments no longer applies
        prediction.warnings = [w for w in prediction.warnings if "sentiment answer" not in w]


def check_known_names(prediction: Prediction, dataset: Dataset, data_dir=None) -> None:
    """Refuse names that are not samples of ``dataset``, saying which dataset they look like."""
    names = set(prediction.frame["sample"].tolist())
    gold = set(dataset.samples)
    unknown = sorted((names | set(prediction.failed)) - gold)
    if unknown:
        best, overlap = dataset_of_names(names, data_dir)[0]
        hint = ""
        if best != dataset.name and overlap > len(names & gold):
            hint = f"; {overlap} of its {len(names)} names are samples of {best!r}: use --dataset {best}"
        elif dataset.spec.unknown_hint is not None and dataset.spec.unknown_hint(unknown):
            hint = f"; {dataset.spec.unknown_hint(unknown)}"
        raise PredictionError(
            f"{prediction.path}: {len(unknown)} sample name(s) are not in {dataset.name!r} "
            f"({len(gold)} samples), first {unknown[:3]}{hint}"
        )


def align(prediction: Prediction, dataset: Dataset, allow_missing: bool) -> int:
    """Fill the samples of ``dataset`` the prediction lacks (``allow_missing``) as empty answers, in
    place, or refuse; its names are known ones (:func:`check_known_names`). Returns how many were filled."""
    names = set(prediction.frame["sample"].tolist())
    gold = set(dataset.samples)
    missing = sorted(gold - names)
    failed = [s for s in missing if s in prediction.failed]
    if missing and not allow_missing:
        why = ""
        if failed:
            first = failed[0]
            why = f" ({len(failed)} failed in emer explain, first {first}: {prediction.failed[first]})"
        raise PredictionError(
            f"{prediction.path}: no prediction for {len(missing)} of the {len(gold)} {dataset.name!r} "
            f"samples{why}, first {missing[:3]}; add them (an empty answer is an empty description or []), "
            "pass --subset given to score only the samples given, or --allow-missing to score them as "
            "empty answers"
        )
    frame = prediction.frame
    if missing:
        fill = {"sample": missing}
        if "description" in frame:
            fill["description"] = [""] * len(missing)
        if "labels" in frame:
            fill["labels"] = [[] for _ in missing]
        if "sentiment" in frame:
            fill["sentiment"] = [None] * len(missing)
        import pandas as pd

        frame = pd.concat([frame, pd.DataFrame(fill)], ignore_index=True)
    prediction.frame = frame.sort_values("sample", ignore_index=True)
    return len(missing)


def english_label_lists(prediction: Prediction, chinese: str = "translate") -> dict[str, list[str]]:
    """sample -> labels, unparsable cells as empty; known Chinese emotion words put into English.

    A Chinese label with no English equivalent is refused: the EW mappings are English and it would
    silently count as wrong. ``chinese="keep"`` leaves Chinese labels as given (no mapping knows them, so
    they are dropped and counted among the dropped labels), as the authors scored their released labels.
    """
    samples, lists = prediction.frame["sample"].tolist(), prediction.frame["labels"].tolist()
    if chinese == "keep":
        return {s: list(v or []) for s, v in zip(samples, lists, strict=True)}
    out = {}
    for sample, labels in zip(samples, lists, strict=True):
        english = english_labels(labels or [])
        chinese = [x for x in english if is_chinese(x)]
        if chinese:
            raise PredictionError(
                f"{prediction.path}, sample {sample}: label {chinese[0]!r} is Chinese and has no English "
                "equivalent in emer's list; the emotion-wheel mappings are English: give English labels, "
                "or give the descriptions and let emer extract English labels (--chinese keep drops such "
                "labels, as the authors' scripts did)"
            )
        out[sample] = english
    return out
