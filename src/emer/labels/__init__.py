"""Emotion labels: parsing list strings, normalising words, and synonym groupings."""

from emer.labels.grouping import Grouping, IdentityGrouping, RecordedGroups
from emer.labels.parse import normalise_label, parse_label_list, parse_label_list_legacy

__all__ = [
    "Grouping",
    "IdentityGrouping",
    "RecordedGroups",
    "normalise_label",
    "parse_label_list",
    "parse_label_list_legacy",
]
