"""The five LLM tasks over tables: build the requests, run them, return one row per sample.

Every function takes an :class:`~emer.llm.runner.LLMRunner` (any backend, every call through its cache)
and returns a frame with the columns ``sample``, the result column(s), ``status`` (ok, malformed,
failed), ``error``, ``answer`` (the raw text), ``cached`` and ``truncated`` (the answer was cut off at
``max_tokens``), sorted by sample.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import partial

import pandas as pd

from emer.labels.grouping import RecordedGroups
from emer.labels.lexicon import ZH_EMOTIONS, is_chinese
from emer.labels.parse import normalise_label, parse_label_list
from emer.llm import parsing, prompts
from emer.llm.backends import Request
from emer.llm.runner import LLMRunner, Outcome

OUTCOME_COLUMNS = ["status", "error", "answer", "cached", "truncated"]


class TaskInputError(ValueError):
    """A task's input table lacks a column or repeats a sample."""


def _check(frame: pd.DataFrame, columns: list[str], task: str) -> None:
    missing = [c for c in ["sample", *columns] if c not in frame]
    if missing:
        raise TaskInputError(f"{task}: the input table lacks columns {missing}")
    repeated = frame["sample"][frame["sample"].duplicated()].tolist()
    if repeated:
        raise TaskInputError(f"{task}: samples {repeated[:3]} appear more than once; give one row per sample")


def _language(frame: pd.DataFrame, row: int, text: str) -> str:
    if "language" in frame:
        return str(frame["language"].iloc[row])
    return "zh" if is_chinese(text) else "en"


def _frame(outcomes: list[Outcome], column: str) -> pd.DataFrame:
    rows = [
        {
            "sample": o.sample,
            column: o.value,
            "status": o.status,
            "error": o.error,
            "answer": o.answer,
            "cached": o.cached,
            "truncated": o.truncated,
        }
        for o in outcomes
    ]
    return pd.DataFrame(rows, columns=["sample", column, *OUTCOME_COLUMNS]).sort_values(
        "sample", ignore_index=True
    )


def english_labels(labels: Iterable[str]) -> list[str]:
    """Labels with known Chinese emotion words put into English (others kept), de-duplicated."""
    out = [ZH_EMOTIONS.get(x, x) if is_chinese(x) else x for x in (normalise_label(x) for x in labels)]
    return list(dict.fromkeys(x for x in out if x))


def _parse_labels(text: str, truncated: bool = False, source: str = "") -> list[str]:
    return english_labels(parsing.parse_labels(text, truncated=truncated, source=source))


def extraction_requests(texts: pd.DataFrame, column: str = "text") -> list[Request]:
    """The ``extract_ov_labels`` requests of a table (columns sample, ``column``, optional language)."""
    _check(texts, [column], "extract_ov_labels")
    requests = []
    for i, (sample, text) in enumerate(zip(texts["sample"], texts[column], strict=True)):
        text = str(text)
        requests.append(
            Request(
                "extract_ov_labels",
                str(sample),
                prompts.extract_ov_labels(text),
                {"text": text, "language": _language(texts, i, text)},
            )
        )
    return requests


def extract_ov_labels(runner: LLMRunner, texts: pd.DataFrame, column: str = "text") -> pd.DataFrame:
    """OV labels of each text (columns sample, ``column``, optional language). Result column ``labels``.

    Failed or malformed samples have ``labels`` None; :func:`labels_or_empty` turns them into ``[]``.
    """
    requests = extraction_requests(texts, column)
    # a model may echo the described text: its lists are never the answer's (computed answers cannot echo)
    echoes = runner.backend.recorded
    parsers = [partial(_parse_labels, source=r.inputs["text"] if echoes else "") for r in requests]
    return _frame(runner.run(requests, parsers), "labels")


def merge_clues(
    runner: LLMRunner, frame: pd.DataFrame, description: str = "description", subtitle: str = "subtitle"
) -> pd.DataFrame:
    """S2 merge of each description with its subtitle (optional columns language, and reading: a sentence
    on what the subtitle says, which only the offline template uses, since it cannot read the subtitle
    itself). Result column ``merged``."""
    _check(frame, [description, subtitle], "merge_clues")
    readings = frame["reading"].fillna("").astype(str).tolist() if "reading" in frame else [""] * len(frame)
    requests = []
    for i, (sample, desc, sub) in enumerate(
        zip(frame["sample"], frame[description], frame[subtitle], strict=True)
    ):
        desc, sub = str(desc), "" if pd.isna(sub) else str(sub)
        language = _language(frame, i, desc)
        inputs = {"description": desc, "subtitle": sub, "language": language}
        if readings[i]:
            inputs["reading"] = readings[i]
        requests.append(Request("merge_clues", str(sample), prompts.merge_clues(desc, sub, language), inputs))
    return _frame(runner.run(requests, parsing.parse_merged), "merged")


def group_synonyms(runner: LLMRunner, words_by_sample: Mapping[str, Iterable[str]]) -> pd.DataFrame:
    """Synonym groups of each sample's words (sorted, de-duplicated first). Result column ``groups``."""
    requests, word_lists = [], {}
    for sample in sorted(words_by_sample):
        words = sorted({normalise_label(w) for w in words_by_sample[sample] if normalise_label(w)})
        word_lists[sample] = words
        requests.append(Request("group_synonyms", sample, prompts.group_synonyms(words), {"words": words}))
    parsers = [partial(parsing.parse_groups, words=word_lists[r.sample]) for r in requests]
    return _frame(runner.run(requests, parsers), "groups")


def synonym_grouping(
    runner: LLMRunner,
    gold: Mapping[str, Iterable[str]],
    *predictions: Mapping[str, Iterable[str]],
    name: str = "",
) -> tuple[RecordedGroups, pd.DataFrame]:
    """A per-sample grouping for the set metric, as the authors made it: the model groups the union of each
    sample's gold and predicted labels. Samples whose grouping failed leave every label alone.

    Returns the grouping and the task frame (for reporting failures).
    """
    words = {s: [*gold[s], *(w for p in predictions for w in p.get(s, []))] for s in sorted(gold)}
    frame = group_synonyms(runner, words)
    groups = {
        s: g
        for s, g, status in zip(frame["sample"], frame["groups"], frame["status"], strict=True)
        if status == "ok"
    }
    return RecordedGroups(groups, name=name or f"llm-groups:{runner.label}"), frame


def map_to_onehot(
    runner: LLMRunner,
    texts: pd.DataFrame,
    column: str = "text",
    classes: tuple[str, ...] = prompts.ONEHOT_CLASSES,
) -> pd.DataFrame:
    """One class per text (a description, or a label list written as ``[a, b]``). Result column ``label``."""
    _check(texts, [column], "map_to_onehot")
    requests = [
        Request(
            "map_to_onehot",
            str(sample),
            prompts.map_to_onehot(str(text), classes),
            {"text": str(text), "classes": list(classes)},
        )
        for sample, text in zip(texts["sample"], texts[column], strict=True)
    ]
    return _frame(runner.run(requests, partial(parsing.parse_onehot, classes=classes)), "label")


def _label_text(labels: object, sample: object) -> tuple[str, list[str]]:
    """The labels as the prompt shows them (a list string: as given; a list: ``[a, b]``) and as a list."""
    if isinstance(labels, str):
        return labels.strip(), parse_label_list(labels)
    if isinstance(labels, list | tuple) or hasattr(labels, "tolist"):
        items = [normalise_label(str(x)) for x in (labels.tolist() if hasattr(labels, "tolist") else labels)]
        items = [x for x in dict.fromkeys(items) if x]
        return f"[{', '.join(items)}]", items
    raise TaskInputError(
        f"map_to_sentiment, sample {sample}: labels are {labels!r}; "
        "give a list or a list string ('[]' for none)"
    )


def sentiment_requests(frame: pd.DataFrame, column: str = "labels") -> list[Request]:
    """The ``map_to_sentiment`` requests of a table (columns sample, ``column``: labels)."""
    _check(frame, [column], "map_to_sentiment")
    requests = []
    for sample, labels in zip(frame["sample"], frame[column], strict=True):
        text, items = _label_text(labels, sample)
        requests.append(
            Request(
                "map_to_sentiment",
                str(sample),
                prompts.map_to_sentiment(text),
                {"labels": items, "text": text},
            )
        )
    return requests


def map_to_sentiment(runner: LLMRunner, frame: pd.DataFrame, column: str = "labels") -> pd.DataFrame:
    """The sentiment (positive, negative, neutral) of each sample's OV labels, the field's sentiment step.

    ``column`` holds a list of labels or the OV-label answer as written (``"[anger, frustration]"``, what
    the field gives its LLM). Result column ``sentiment``; an answer that is not one of the three words is
    ``malformed`` (sentiment None, the answer kept; scored as non-positive, see
    :func:`sentiments_or_unparsable`). Column ``reason``: which labels counted which way (the offline
    backend; empty for a model).
    """
    requests = sentiment_requests(frame, column)
    outcomes = runner.run(requests, parsing.parse_sentiment)
    out = _frame(outcomes, "sentiment")
    reasons = {o.sample: str(o.provenance.get("reason", "")) for o in outcomes}
    out.insert(2, "reason", out["sample"].map(reasons))
    return out


def sentiments_or_unparsable(frame: pd.DataFrame) -> dict[str, str | None]:
    """sample -> sentiment, None for samples whose answer failed or could not be read (non-positive)."""
    return {
        s: v if status == "ok" else None
        for s, v, status in zip(frame["sample"], frame["sentiment"], frame["status"], strict=True)
    }


def labels_or_empty(frame: pd.DataFrame) -> dict[str, list[str]]:
    """sample -> labels, ``[]`` for samples whose extraction failed or was malformed (scored as empty)."""
    return {
        s: list(v) if status == "ok" and v is not None else []
        for s, v, status in zip(frame["sample"], frame["labels"], frame["status"], strict=True)
    }
