"""Checks on label lists before anything scores or maps them, so a bad input is refused, never used wrongly.

- a label list must be a list (or tuple, set, array) of strings: a bare string would be scored character
  by character, ``None``/NaN would be scored as an empty answer without anyone deciding so;
- a Chinese label is put into English when it is a known emotion word (``高兴`` -> ``happy``) and refused
  otherwise: the mappings are English and it would silently count as wrong. ``chinese="keep"`` leaves
  Chinese labels as given, so no mapping knows them and they are dropped: what the authors' scripts did to
  the released labels (a few released Qwen-Audio labels are Chinese), used where their tables are
  reproduced; the label-loss tables count them.

The checks on sample names are the metrics' (:mod:`emer.metrics.checks`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from emer.labels.lexicon import ZH_EMOTIONS, is_chinese
from emer.labels.parse import normalise_label

#: How Chinese labels are treated: put into English (unknown ones refused) or kept as given.
CHINESE = ("translate", "keep")


class LabelInputError(ValueError):
    """Labels or sample names a metric cannot score correctly."""


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def label_list(
    labels: Any, sample: object, what: str = "predictions", chinese: str = "translate"
) -> list[str]:
    """``labels`` as a list of strings, Chinese emotion words in English (``chinese="translate"``) or left
    as given (``"keep"``); refuses what cannot be scored."""
    if chinese == "keep" and type(labels) is list and all(type(x) is str for x in labels):
        return list(labels)  # the common case: nothing to check or translate
    where = f"{what}, sample {sample}"
    if _is_missing(labels):
        raise LabelInputError(f"{where}: labels are {labels!r}; give a list ([] for an answer with no label)")
    if isinstance(labels, str | bytes):
        raise LabelInputError(
            f"{where}: labels are the string {labels[:60]!r}, not a list; parse list strings first "
            "(emer.labels.parse_label_list)"
        )
    if not isinstance(labels, Iterable):
        raise LabelInputError(f"{where}: labels must be a list of strings, not {type(labels).__name__}")
    out = []
    for label in labels:
        if _is_missing(label) or not isinstance(label, str):
            raise LabelInputError(f"{where}: label {label!r} is not a string")
        if chinese == "translate" and is_chinese(label):
            english = ZH_EMOTIONS.get(normalise_label(label))
            if english is None:
                raise LabelInputError(
                    f"{where}: label {label!r} is Chinese and has no English equivalent in emer's list; the "
                    "mappings are English: translate the labels or extract English ones"
                )
            label = english
        out.append(label)
    return out


def label_lists(
    pred: Mapping[Any, Any], what: str = "predictions", chinese: str = "translate"
) -> dict[Any, list[str]]:
    """:func:`label_list` of every sample of a mapping sample -> labels."""
    if chinese not in CHINESE:
        raise ValueError(f"chinese must be one of {CHINESE}, not {chinese!r}")
    return {sample: label_list(labels, sample, what, chinese) for sample, labels in pred.items()}
