"""Synonym groupings: how a label is mapped to its canonical form before set comparison.

A grouping maps the labels of one sample to a set of canonical labels. Some groupings depend on the
sample (the recorded GPT groups were made per sample); others do not. A label that a grouping cannot
map is dropped (``None``) or kept as itself, as the grouping documents.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from emer.labels.parse import normalise_label


class Grouping(Protocol):
    """Anything that turns a sample's labels into canonical labels."""

    name: str

    def canonical(self, labels: Iterable[str], sample: str) -> frozenset[str]:
        """Canonical forms of ``labels`` for ``sample``; unmappable labels are left out."""
        ...


class IdentityGrouping:
    """No grouping: every label stands for itself, compared in its normalised form (case, Unicode width,
    surrounding quotes and spaces do not count: ``Happy`` is ``happy``); a label that normalises to
    nothing is left out."""

    name = "identity"
    sample_independent = True

    def canonical(self, labels: Iterable[str], sample: str) -> frozenset[str]:
        return frozenset(key for key in map(normalise_label, labels) if key)


class RecordedGroups:
    """Per-sample synonym groups (list of lists); each label maps to the first item of its group.

    Labels outside every group of their sample stand for themselves.
    """

    def __init__(self, groups: Mapping[str, list[list[str]]], name: str = "recorded-groups") -> None:
        self.name = name
        self._heads: dict[str, dict[str, str]] = {}
        for sample, sample_groups in groups.items():
            heads: dict[str, str] = {}
            for group in sample_groups:
                members = [str(m).strip().lower() for m in group]
                for member in members:
                    heads.setdefault(member, members[0])
            self._heads[sample] = heads

    def canonical(self, labels: Iterable[str], sample: str) -> frozenset[str]:
        heads = self._heads.get(sample, {})
        return frozenset(heads.get(label, label) for label in labels)


class NeutralClass:
    """``base`` with ``neutral`` as a class of its own: a label list that names neutral, or names nothing,
    maps to it besides its other classes. The emotion wheels have no neutral, so under them a neutral gold
    label maps nowhere and its sample is skipped; this is the alternative the authors use in their own
    hit test for filtering training data."""

    def __init__(self, base: Grouping) -> None:
        self.base = base
        self.name = f"{base.name}+neutral"
        self.sample_independent = getattr(base, "sample_independent", False)

    def canonical(self, labels: Iterable[str], sample: str = "") -> frozenset[str]:
        labels = list(labels)
        classes = self.base.canonical(labels, sample)
        if not labels or any(_is_neutral(x) for x in labels):
            classes = classes | {"neutral"}
        return frozenset(classes)

    def map_label(self, label: str) -> str | None:
        """The class of one label: ``neutral`` for neutral, else the base grouping's."""
        if _is_neutral(label):
            return "neutral"
        return self.base.map_label(label)  # type: ignore[attr-defined]


def _is_neutral(label: str) -> bool:
    return str(label).strip().lower() == "neutral"
