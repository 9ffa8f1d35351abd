"""Label-list parsing, owned by the data layer (:mod:`emer.data.label_lists`); re-exported here, where
the labels package has always offered it."""

from emer.data.label_lists import normalise_label, parse_label_list, parse_label_list_legacy

__all__ = ["normalise_label", "parse_label_list", "parse_label_list_legacy"]
