"""Emotion-wheel (EW) groupings of OV-MER: word forms (M1), synonyms (M2) and five emotion wheels (Wk-Lj).

The tables are built from the released resources (``MERTools/MER2025/MER2025_Track23/emotion_wheel``):

- ``format.csv`` (``name, format``): a base word and its comma-separated word forms. Every form, and the
  base word itself, maps to the list of base words that list it (``format_mapping``). The MER2026
  revision of the file (``revision="MER2026"``) drops 17 spurious forms (``fear`` under ``fearless``…).
- ``synonym.xlsx`` (8 LLM runs, ``word_runN, synonym_runN``): every wheel word maps to itself and every
  synonym to the wheel words that list it, merged over the 8 runs (``synonym_mapping``).
- ``wheel1.xlsx`` … ``wheel5.xlsx`` (``level1, level2, level3``; a blank cell repeats the row above): each
  word of wheel k maps to its level-1 (inner ring) or level-2 word; at level 2 a level-1 word maps to the
  alphabetically first of its level-2 children. A word listed twice keeps the last place in
  (level1, level2, level3) reading order, as in the authors' tables.

Mapping one label, after lower-casing and trimming (labels that find no entry are dropped):

- M1: the alphabetically first base word of the label;
- M2: the alphabetically first entry of ``synonym_mapping`` for that base word;
- Wk-Lj: the sorted union of ``synonym_mapping`` over every base word of the label; the first entry that
  is on wheel k gives the level-j word.

The same tables, precomputed by the authors for the MER2026 revision, are in
``MERTools/MER2026/MER2026_Track2/emotion_wheel/wheel_mapping.npz`` (see :func:`load_wheel_mapping_npz`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache

import pandas as pd

from emer.data import DataError, data_path, data_root, load_npz
from emer.labels.checks import label_list
from emer.labels.parse import normalise_label

DataDir = str | os.PathLike | None

RESOURCE_DIR = "MERTools/MER2025/MER2025_Track23/emotion_wheel"
#: ``format.csv`` of each revision; the synonym and wheel files are the same blobs in both.
FORMAT_FILES = {
    "MER2025": f"{RESOURCE_DIR}/format.csv",
    "MER2026": "MERTools/MER2026/MER2026_Track2/emotion_wheel/format.csv",
}
MAPPING_NPZ = "MERTools/MER2026/MER2026_Track2/emotion_wheel/wheel_mapping.npz"
N_SYNONYM_RUNS = 8
WHEELS = (1, 2, 3, 4, 5)
#: The 12 EW metrics, in the order of the published table.
EW_METRICS = ("M1", "M2", *(f"W{k}-L{j}" for k in WHEELS for j in (1, 2)))
#: What a level-1 word becomes at level 2: the authors' rule first, then two documented alternatives.
LEVEL1_AT_LEVEL2 = ("first-child", "self", "drop")


@lru_cache(maxsize=1 << 16)
def wheel_key(label: str) -> str:
    """Lookup form of a label: :func:`normalise_label` (lower-case, trimmed, inner spaces collapsed), with
    a straight apostrophe written as the typographic one the released tables use (``don’t care``)."""
    return normalise_label(str(label)).replace("'", "’")


@dataclass(frozen=True)
class WheelTables:
    """The EW lookup tables of one resource revision (all words lower-case, lists sorted and unique)."""

    revision: str
    format_mapping: Mapping[str, tuple[str, ...]]
    synonym_mapping: Mapping[str, tuple[str, ...]]
    #: ``"W1-L1"`` … ``"W5-L2"`` -> {wheel word: level-j word}
    wheel_maps: Mapping[str, Mapping[str, str]]
    level1_at_level2: str = "first-child"
    _label_maps: dict[str, dict[str, str]] = field(default_factory=dict, repr=False, compare=False)

    def label_map(self, metric: str) -> dict[str, str]:
        """Every mappable label (a key of ``format_mapping``) -> its class under ``metric``."""
        if metric not in EW_METRICS:
            raise ValueError(f"unknown EW metric {metric!r}; choose one of {EW_METRICS}")
        if metric not in self._label_maps:
            self._label_maps.update(_build_label_maps(self))
        return self._label_maps[metric]


def _split_list(cell: object) -> list[str]:
    """Items of a comma-separated resource cell; a blank cell has none."""
    if cell is None or (isinstance(cell, float) and cell != cell):
        return []
    return [wheel_key(item) for item in str(cell).split(",") if item.strip()]


def _build_label_maps(tables: WheelTables) -> dict[str, dict[str, str]]:
    maps: dict[str, dict[str, str]] = {metric: {} for metric in EW_METRICS}
    wheel_metrics = [m for m in EW_METRICS if m.startswith("W")]
    for label, bases in tables.format_mapping.items():
        first = bases[0]
        maps["M1"][label] = first
        synonyms = tables.synonym_mapping.get(first, ())
        if synonyms:
            maps["M2"][label] = synonyms[0]
        candidates = sorted({w for base in bases for w in tables.synonym_mapping.get(base, ())})
        for metric in wheel_metrics:
            wheel = tables.wheel_maps[metric]
            for word in candidates:
                if word in wheel:
                    maps[metric][label] = wheel[word]
                    break
    return maps


def _read_format(path: str, data_dir: DataDir) -> dict[str, tuple[str, ...]]:
    local = data_path(path, data_dir)
    frame = pd.read_csv(local, dtype=str, keep_default_na=False)
    if list(frame.columns) != ["name", "format"]:
        raise DataError(f"{local}: expected columns ['name', 'format'], found {list(frame.columns)}")
    mapping: dict[str, set[str]] = {}
    for row, (name, forms) in enumerate(zip(frame["name"], frame["format"], strict=True), start=2):
        base = wheel_key(name)
        if not base:
            raise DataError(f"{local}, line {row}: empty base word; the file is damaged, fetch it again")
        for form in [*_split_list(forms), base]:
            mapping.setdefault(form, set()).add(base)
    return {form: tuple(sorted(bases)) for form, bases in mapping.items()}


def _read_synonyms(data_dir: DataDir) -> dict[str, tuple[str, ...]]:
    local = data_path(f"{RESOURCE_DIR}/synonym.xlsx", data_dir)
    frame = pd.read_excel(local, dtype=str)
    mapping: dict[str, set[str]] = {}
    for run in range(1, N_SYNONYM_RUNS + 1):
        word_col, syn_col = f"word_run{run}", f"synonym_run{run}"
        if word_col not in frame or syn_col not in frame:
            raise DataError(f"{local}: columns {word_col!r}/{syn_col!r} missing; expected 8 runs")
        for row, (word, synonyms) in enumerate(zip(frame[word_col], frame[syn_col], strict=True), start=2):
            head = wheel_key(word) if isinstance(word, str) else ""
            if not head:
                raise DataError(f"{local}, row {row}, column {word_col}: empty wheel word")
            for synonym in [head, *_split_list(synonyms)]:
                mapping.setdefault(synonym, set()).add(head)
    return {word: tuple(sorted(heads)) for word, heads in mapping.items()}


def read_wheel(k: int, data_dir: DataDir = None) -> list[tuple[str, str, str]]:
    """Rows (level1, level2, level3) of ``wheel{k}.xlsx``, blanks filled from the row above, lower-case."""
    local = data_path(f"{RESOURCE_DIR}/wheel{k}.xlsx", data_dir)
    frame = pd.read_excel(local, dtype=str)
    if list(frame.columns) != ["level1", "level2", "level3"]:
        raise DataError(
            f"{local}: expected columns ['level1', 'level2', 'level3'], found {list(frame.columns)}"
        )
    rows, current = [], ["", "", ""]
    for row, values in enumerate(frame.itertuples(index=False), start=2):
        for i, value in enumerate(values):
            if isinstance(value, str) and value.strip():
                current[i] = wheel_key(value)
        if not all(current):
            raise DataError(f"{local}, row {row}: a level is blank with no row above to repeat")
        rows.append((current[0], current[1], current[2]))
    return rows


def wheel_level_maps(
    rows: list[tuple[str, str, str]], level1_at_level2: str
) -> tuple[dict[str, str], dict[str, str]]:
    """Level-1 and level-2 maps (word -> class) of one wheel's rows; see the module notes for the rules."""
    if level1_at_level2 not in LEVEL1_AT_LEVEL2:
        raise ValueError(f"level1_at_level2 must be one of {LEVEL1_AT_LEVEL2}, not {level1_at_level2!r}")
    tree: dict[str, dict[str, list[str]]] = {}
    for level1, level2, level3 in rows:
        tree.setdefault(level1, {}).setdefault(level2, []).append(level3)
    inner: dict[str, str] = {}
    middle: dict[str, str] = {}
    for level1, children in tree.items():
        inner[level1] = level1
        if level1_at_level2 == "first-child":
            middle[level1] = sorted(children)[0]
        elif level1_at_level2 == "self":
            middle[level1] = level1
        for level2, leaves in children.items():
            inner[level2] = level1
            middle[level2] = level2
            for level3 in leaves:
                inner[level3] = level1
                middle[level3] = level2
    return inner, middle


@cache
def _tables(root: str, revision: str, level1_at_level2: str) -> WheelTables:
    wheel_maps: dict[str, dict[str, str]] = {}
    for k in WHEELS:
        inner, middle = wheel_level_maps(read_wheel(k, root), level1_at_level2)
        wheel_maps[f"W{k}-L1"], wheel_maps[f"W{k}-L2"] = inner, middle
    return WheelTables(
        revision=revision,
        format_mapping=_read_format(FORMAT_FILES[revision], root),
        synonym_mapping=_read_synonyms(root),
        wheel_maps=wheel_maps,
        level1_at_level2=level1_at_level2,
    )


def load_wheel_tables(
    data_dir: DataDir = None, revision: str = "MER2025", level1_at_level2: str = "first-child"
) -> WheelTables:
    """The EW tables built from the released resources (cached per data directory and options).

    ``revision``: ``"MER2025"`` (default; reproduces the published OV-MER table) or ``"MER2026"``.
    ``level1_at_level2``: ``"first-child"`` (authors), ``"self"`` (a level-1 word is its own level-2
    class) or ``"drop"`` (a level-1 word is not on the level-2 map; the next candidate is tried).
    """
    if revision not in FORMAT_FILES:
        raise ValueError(f"revision must be one of {sorted(FORMAT_FILES)}, not {revision!r}")
    if level1_at_level2 not in LEVEL1_AT_LEVEL2:
        raise ValueError(f"level1_at_level2 must be one of {LEVEL1_AT_LEVEL2}, not {level1_at_level2!r}")
    root, _ = data_root(data_dir)
    return _tables(str(root), revision, level1_at_level2)


def clear_wheel_cache() -> None:
    """Forget the cached tables (e.g. to time their construction)."""
    _tables.cache_clear()


def load_wheel_mapping_npz(data_dir: DataDir = None) -> WheelTables:
    """The authors' precomputed tables (``wheel_mapping.npz``, MER2026 revision) as :class:`WheelTables`."""
    local = data_path(MAPPING_NPZ, data_dir)
    raw = load_npz(local)
    try:
        fmt, syn, whole = raw["format_mapping"], raw["raw_mapping"], raw["wheel_map_whole"]
        wheel_maps = {f"W{k}-L{j}": dict(whole[f"wheel{k}"][f"level{j}"]) for k in WHEELS for j in (1, 2)}
    except (KeyError, TypeError) as exc:
        raise DataError(f"{local}: unexpected layout ({exc!r}); fetch the file again") from None
    return WheelTables(
        revision="MER2026",
        format_mapping={k: tuple(sorted(set(v))) for k, v in fmt.items()},
        synonym_mapping={k: tuple(sorted(set(v))) for k, v in syn.items()},
        wheel_maps=wheel_maps,
    )


class WheelGrouping:
    """One EW metric as a :class:`~emer.labels.grouping.Grouping`: each label maps to one class or is dropped.

    The mapping does not depend on the sample. ``name`` is the metric (``"M1"``, ``"W3-L2"``, …).
    """

    sample_independent = True  # a label maps to the same class in every sample

    def __init__(self, metric: str, tables: WheelTables) -> None:
        self.name = metric
        self.revision = tables.revision
        self.mapping = tables.label_map(metric)
        self._classes: dict[str, str | None] = {}  # label as given -> its class (None: maps nowhere)

    def __repr__(self) -> str:
        return f"WheelGrouping({self.name!r}, revision={self.revision!r})"

    def map_label(self, label: str) -> str | None:
        """The class of one label, or None when it maps nowhere."""
        return self.mapping.get(wheel_key(label))

    def canonical(self, labels: Iterable[str], sample: str = "") -> frozenset[str]:
        classes, mapping = self._classes, self.mapping
        out = set()
        for label in labels:
            if label not in classes:
                classes[label] = mapping.get(wheel_key(label))
            if classes[label] is not None:
                out.add(classes[label])
        return frozenset(out)

    def dropped(self, labels: Iterable[str]) -> list[str]:
        """The labels (as given) that map nowhere, in order."""
        return [x for x in labels if wheel_key(x) not in self.mapping]


def wheel_groupings(
    data_dir: DataDir = None,
    revision: str = "MER2025",
    level1_at_level2: str = "first-child",
    tables: WheelTables | None = None,
) -> dict[str, WheelGrouping]:
    """One grouping per EW metric, in :data:`EW_METRICS` order (from ``tables`` when given)."""
    tables = tables or load_wheel_tables(data_dir, revision, level1_at_level2)
    return {metric: WheelGrouping(metric, tables) for metric in EW_METRICS}


def label_losses(
    outputs: pd.DataFrame, groupings: Mapping[str, WheelGrouping], chinese: str = "translate"
) -> pd.DataFrame:
    """How many labels each prediction set loses to each EW mapping.

    ``outputs`` has a ``labels`` column (lists) and optional key columns ``system`` and ``setting``.
    Columns: the keys, metric, n_labels, n_dropped, share_dropped, dropped (distinct dropped labels,
    lower-cased, most frequent first, as ``"label (count)"``). ``chinese``: see :mod:`emer.labels.checks`.
    """
    if "labels" not in outputs:
        raise KeyError("outputs needs a 'labels' column of label lists (see emer.data.load_system_outputs)")
    keys = [c for c in ("system", "setting") if c in outputs]
    groups = outputs.groupby(keys, sort=True) if keys else [((), outputs)]
    rows = []
    for key, frame in groups:
        samples = frame.get("sample", frame.index)
        lists = [label_list(v, s, chinese=chinese) for s, v in zip(samples, frame["labels"], strict=True)]
        labels = [wheel_key(x) for lst in lists for x in lst]
        for metric, grouping in groupings.items():
            lost = pd.Series([x for x in labels if x not in grouping.mapping], dtype=object)
            counts = lost.value_counts(sort=False).sort_index().sort_values(ascending=False, kind="stable")
            rows.append(
                {
                    **dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True)),
                    "metric": metric,
                    "n_labels": len(labels),
                    "n_dropped": len(lost),
                    "share_dropped": len(lost) / len(labels) if labels else float("nan"),
                    "dropped": [f"{w} ({n})" for w, n in counts.items()],
                }
            )
    return pd.DataFrame(rows, columns=[*keys, "metric", "n_labels", "n_dropped", "share_dropped", "dropped"])
