"""Public data: registry, fetching with sha256 checks, safe loading and tidy tables."""

from emer.data.loaders import (
    MLLMS,
    SETTINGS,
    load_emer_v1,
    load_emer_v2,
    load_emer_v2_parts,
    load_gold_ov_labels,
    load_mer2023_labels,
    load_mer2023_transcripts,
    load_mer2024_prediction,
    load_recorded_groups,
    load_system_outputs,
    load_v1_baseline_outputs,
)
from emer.data.registry import registry
from emer.data.safe_npz import UnsafePickleError, load_npz
from emer.data.store import ChecksumError, DataError, data_folder, data_path, data_root, fetch

__all__ = [
    "MLLMS",
    "SETTINGS",
    "ChecksumError",
    "DataError",
    "UnsafePickleError",
    "data_folder",
    "data_path",
    "data_root",
    "fetch",
    "load_emer_v1",
    "load_emer_v2",
    "load_emer_v2_parts",
    "load_gold_ov_labels",
    "load_mer2023_labels",
    "load_mer2023_transcripts",
    "load_mer2024_prediction",
    "load_npz",
    "load_recorded_groups",
    "load_system_outputs",
    "load_v1_baseline_outputs",
    "registry",
]
