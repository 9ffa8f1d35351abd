"""The modality ablation and the extraction comparison: OV labels extracted from the gold clue parts.

The gold EMER-v2 descriptions are split into their video (V), audio (A) and text (T) parts
(:func:`emer.data.load_emer_v2_parts`); a combination joins its parts in V, A, T order. ``V+A+T`` is the
whole description with the release's artifacts removed: the "EMER (Multi)" input. The gold text part also
carries the overall inference (it reasons over the visual and acoustic clues before concluding), so the T
rows are not text-only evidence.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from emer.analysis.subset import limit_samples, take_samples
from emer.data import load_mer2023_transcripts, load_system_outputs
from emer.labels.grouping import Grouping
from emer.llm import CacheError, LLMRunner, extract_ov_labels, labels_or_empty, make_runner, merge_clues
from emer.llm.tasks import extraction_requests
from emer.metrics.sets import set_scores, summarise_set_scores
from emer.metrics.wheel import ew_scores

DataDir = str | os.PathLike | None

MODALITIES = {"V": "video", "A": "audio", "T": "text"}
COMBINATIONS = ("V", "A", "T", "V+A", "V+T", "A+T", "V+A+T")
MULTI = "V+A+T"
#: The setting name of our own S2 rows (released S2 is "S2").
S2_OURS = "S2-ours"


def modality_texts(parts: pd.DataFrame, combination: str, language: str = "en") -> pd.DataFrame:
    """One row per sample of ``language``: columns sample, language, text (the parts of ``combination``).

    ``parts`` as returned by :func:`emer.data.load_emer_v2_parts`; samples whose split failed are left out.
    """
    names = combination.split("+")
    unknown = [n for n in names if n not in MODALITIES]
    if unknown or not names:
        raise ValueError(f"combination {combination!r}: use V, A, T joined by '+', e.g. 'V+T'")
    rows = parts[(parts["language"] == language) & (parts["status"] != "failed")]
    joiner = "" if language == "zh" else " "
    texts = [
        joiner.join(str(getattr(row, MODALITIES[n])).strip() for n in names)
        for row in rows.itertuples(index=False)
    ]
    frame = pd.DataFrame({"sample": rows["sample"].tolist(), "language": language, "text": texts})
    return frame.sort_values("sample", ignore_index=True)


# --- extractors ------------------------------------------------------------------------------------------
@dataclass
class Extractor:
    """A named way of extracting OV labels: a runner, the samples it covers (``limit``) and its languages."""

    name: str
    runner: LLMRunner | None  # None: a replayed backend whose cache file does not exist (see notes)
    limit: int = 0
    languages: tuple[str, ...] = ("en",)
    notes: list[str] = field(default_factory=list)
    chosen: bool = False  # the notebook's chosen backend (used for our S2)


def make_extractor(spec: Mapping[str, Any], defaults: Mapping[str, Any]) -> Extractor:
    """An :class:`Extractor` from a parameter dict (keys of :func:`emer.llm.make_runner` plus name, limit,
    languages), each missing key taken from ``defaults``."""
    options = {**defaults, **spec}
    name = str(options.pop("name", "") or options.get("model") or options.get("backend"))
    limit = int(options.pop("limit", 0) or 0)
    languages = tuple(options.pop("languages", ("en",)))
    try:
        runner = make_runner(**options)
    except CacheError as exc:
        if options.get("cache_mode") != "replay":
            raise
        return Extractor(name, None, limit, languages, [f"{name}: left out ({exc})"])
    return Extractor(name, runner, limit, languages)


def chosen_runner(extractors: Sequence[Extractor]) -> LLMRunner:
    """The runner of the chosen backend (the offline one when the chosen backend is offline)."""
    for extractor in extractors:
        if extractor.chosen and extractor.runner is not None:
            return extractor.runner
    raise ValueError("no chosen backend among the extractors; build them with ablation_extractors()")


def describe_extractors(extractors: Sequence[Extractor]) -> pd.DataFrame:
    """One row per extractor: name, backend:model, cache mode, limit, languages, notes (what was left out)."""
    return pd.DataFrame(
        {
            "extractor": [e.name for e in extractors],
            "backend": [e.runner.label if e.runner else "" for e in extractors],
            "cache_mode": [e.runner.cache.mode if e.runner else "" for e in extractors],
            "limit": [e.limit for e in extractors],
            "languages": [", ".join(e.languages) for e in extractors],
            "notes": ["; ".join(e.notes) for e in extractors],
        }
    )


def close_extractors(extractors: Sequence[Extractor]) -> None:
    for extractor in extractors:
        if extractor.runner is not None:
            extractor.runner.cache.close()


def extract_combinations(
    extractor: Extractor, parts: pd.DataFrame, combinations: Sequence[str] = COMBINATIONS
) -> pd.DataFrame:
    """Labels of every sample for each (language, combination) the extractor covers.

    A backend whose calls are replayed is used only for the (language, combination) pairs whose calls are
    all recorded; the others are listed in ``extractor.notes`` and left out.
    Columns: extractor, language, combination, sample, labels, status.
    """
    columns = ["extractor", "language", "combination", "sample", "labels", "status"]
    if extractor.runner is None:
        return pd.DataFrame(columns=columns)
    frames = []
    samples = limit_samples(parts["sample"], extractor.limit)
    subset = parts[parts["sample"].isin(samples)]
    for language in extractor.languages:
        for combination in combinations:
            texts = modality_texts(subset, combination, language)
            runner = extractor.runner
            if runner.cache.mode == "replay":
                missing = runner.missing(extraction_requests(texts))
                if missing:
                    extractor.notes.append(
                        f"{extractor.name} {language} {combination}: {len(missing)} of {len(texts)} "
                        "calls not recorded, left out"
                    )
                    continue
            result = extract_ov_labels(runner, texts)
            frames.append(
                pd.DataFrame(
                    {
                        "extractor": extractor.name,
                        "language": language,
                        "combination": combination,
                        "sample": result["sample"],
                        "labels": list(labels_or_empty(result).values()),
                        "status": result["status"],
                    }
                )
            )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def record_extraction_calls(
    runner: LLMRunner,
    parts: pd.DataFrame,
    languages: Sequence[str] = ("en",),
    combinations: Sequence[str] = COMBINATIONS,
    limit: int = 0,
) -> Iterator[tuple[str, str, dict[str, int]]]:
    """Make the ablation's extraction calls through ``runner``, so that its cache records them for a later
    replay (``emer record-calls``); calls already recorded are not made again. Yields (language,
    combination, count of each status) as each pair is done. ``limit``: the first N samples by name (0: all).
    """
    parts = take_samples(parts, limit)
    for language in languages:
        for combination in combinations:
            result = extract_ov_labels(runner, modality_texts(parts, combination, language))
            yield language, combination, result["status"].value_counts().to_dict()


def ablation_extractors(
    main: Mapping[str, Any],
    cached: Sequence[Mapping[str, Any]] = (),
    offline_name: str = "",
) -> list[Extractor]:
    """The extractors of the ablation: the offline backend always (its ``extractor`` from ``main``, named
    ``offline <extractor>`` unless ``offline_name`` is given), the chosen backend (``main``: keys of
    :func:`emer.llm.make_runner`, plus name, limit, languages) when it is not offline, and each ``cached``
    backend replayed from the cache (its calls are never made here)."""
    main = dict(main)
    name = offline_name or f"offline {main.get('extractor', 'selector')}"
    offline = {**main, "backend": "offline", "model": "", "name": name}
    extractors = [make_extractor(offline, {})]
    if main.get("backend", "offline") != "offline":
        extractors.append(make_extractor(main, {}))
    extractors[-1].chosen = True
    for spec in cached:
        extractors.append(make_extractor({**spec, "cache_mode": "replay"}, main))
    return extractors


def run_ablation(
    extractors: Sequence[Extractor], parts: pd.DataFrame, combinations: Sequence[str] = COMBINATIONS
) -> pd.DataFrame:
    """:func:`extract_combinations` for every extractor, concatenated."""
    frames = [extract_combinations(e, parts, combinations) for e in extractors]
    return pd.concat(frames, ignore_index=True)


def extraction_comparison(
    labels: pd.DataFrame,
    gold: Mapping[str, Sequence[str]],
    extractors: Sequence[Extractor],
    grouping: Grouping,
    ew_groupings: Mapping[str, Any] | None,
) -> pd.DataFrame:
    """The extraction comparison on the whole gold descriptions (V+A+T): one row per extractor and language,
    plus, for an extractor limited to the first N samples, the first extractor (offline) on the same samples,
    and the published EMER (Multi) row. Percent; ``n_samples`` states the sample count of each row."""
    multi = labels[labels["combination"] == MULTI]
    table = score_sets(multi, gold, grouping, ew_groupings)
    rows = [table]
    reference = extractors[0].name if extractors else ""
    for extractor in extractors[1:]:
        if not extractor.limit:
            continue
        mine = multi[multi["extractor"] == extractor.name]
        if mine.empty:
            continue
        keep = set(mine["sample"])
        same = multi[(multi["extractor"] == reference) & multi["sample"].isin(keep)]
        same = same.assign(extractor=f"{reference} (same {len(keep)} samples as {extractor.name})")
        rows.append(score_sets(same, gold, grouping, ew_groupings))
    rows.append(published_multi_row())
    out = pd.concat(rows, ignore_index=True)
    out.insert(out.columns.get_loc("n_samples"), "grouping", [grouping.name] * (len(out) - 1) + ["gpt-3.5"])
    for column in ("n_samples", "n_ok", "n_malformed", "n_failed"):  # integers, blank for the published row
        out[column] = out[column].map(lambda x: "" if pd.isna(x) else int(x)).astype(object)
    return out


# --- scoring ---------------------------------------------------------------------------------------------
SCORE_COLUMNS = [
    "n_samples",
    "n_ok",
    "n_malformed",
    "n_failed",
    "labels_per_sample",
    "accuracy_s",
    "recall_s",
    "avg",
    "ew_m_avg",
]


def score_sets(
    labels: pd.DataFrame,
    gold: Mapping[str, Sequence[str]],
    grouping: Grouping,
    ew_groupings: Mapping[str, Any] | None,
    keys: Sequence[str] = ("extractor", "language", "combination"),
    chinese: str = "translate",
) -> pd.DataFrame:
    """Per group of ``keys``: counts, set metrics under ``grouping`` and the EW M-avg (percent).

    Each group is scored against the gold labels of its own samples. ``ew_groupings`` None leaves
    ``ew_m_avg`` empty. ``chinese``: see :mod:`emer.metrics.checks` (``keep`` for released labels).
    """
    rows = []
    for key, frame in labels.groupby(list(keys), sort=True):
        samples = frame["sample"].tolist()
        pred = dict(zip(samples, frame["labels"], strict=True))
        sub_gold = {s: list(gold[s]) for s in samples}
        summary = summarise_set_scores(set_scores(sub_gold, pred, grouping, chinese))
        ew = float("nan")
        if ew_groupings is not None:
            ew = float(ew_scores(sub_gold, pred, ew_groupings, chinese=chinese)["M-avg"].iloc[0])
        status = frame["status"].value_counts()
        rows.append(
            {
                **dict(zip(keys, key, strict=True)),
                "n_samples": len(samples),
                "n_ok": int(status.get("ok", 0)),
                "n_malformed": int(status.get("malformed", 0)),
                "n_failed": int(status.get("failed", 0)),
                "labels_per_sample": float(frame["labels"].map(len).mean()),
                "accuracy_s": 100 * summary["accuracy"],
                "recall_s": 100 * summary["recall"],
                "avg": 100 * summary["avg"],
                "ew_m_avg": ew,
            }
        )
    return _ordered(pd.DataFrame(rows, columns=[*keys, *SCORE_COLUMNS]))


def _ordered(table: pd.DataFrame) -> pd.DataFrame:
    """Rows in a stable order: combinations in V, A, T, ... order, other keys as sorted."""
    if "combination" not in table or table.empty:
        return table
    rank = {c: i for i, c in enumerate(COMBINATIONS)}
    keys = [c for c in ("extractor", "language") if c in table]
    order = table.assign(_rank=table["combination"].map(lambda c: rank.get(c, len(rank))))
    return order.sort_values([*keys, "_rank"], kind="stable").drop(columns="_rank").reset_index(drop=True)


def grouping_comparison(
    labels: pd.DataFrame,
    gold: Mapping[str, Sequence[str]],
    groupings: Mapping[str, Grouping],
    keys: Sequence[str] = ("extractor", "language"),
) -> pd.DataFrame:
    """Set metrics (percent) of each label set under each grouping. Columns: keys, grouping, n_samples,
    accuracy_s, recall_s, avg."""
    rows = []
    for key, frame in labels.groupby(list(keys), sort=True):
        samples = frame["sample"].tolist()
        pred = dict(zip(samples, frame["labels"], strict=True))
        sub_gold = {s: list(gold[s]) for s in samples}
        for name, grouping in groupings.items():
            summary = summarise_set_scores(set_scores(sub_gold, pred, grouping))
            rows.append(
                {
                    **dict(zip(keys, key, strict=True)),
                    "grouping": name,
                    "n_samples": len(samples),
                    "accuracy_s": 100 * summary["accuracy"],
                    "recall_s": 100 * summary["recall"],
                    "avg": 100 * summary["avg"],
                }
            )
    return pd.DataFrame(rows, columns=[*keys, "grouping", "n_samples", "accuracy_s", "recall_s", "avg"])


def label_vocabulary(gold: Mapping[str, Sequence[str]], *label_tables: pd.DataFrame) -> list[str]:
    """Every gold and predicted label (sorted): the vocabulary a sample-independent grouping is built on."""
    words = {w for labels in gold.values() for w in labels}
    for table in label_tables:
        words.update(w for labels in table["labels"] for w in labels)
    return sorted(words)


def published_multi_row() -> pd.DataFrame:
    """The published "EMER (Multi)" row (R3, GPT grouping, percent) in the comparison table's columns."""
    from emer.reference import load_published

    published = load_published("R3")
    values = published[published["system"] == "EMER (Multi)"].set_index("metric")["value"]
    row = {c: float("nan") for c in SCORE_COLUMNS}
    row.update(
        {
            "extractor": "published: EMER (Multi), GPT-3.5 grouping (R3, lower confidence)",
            "language": "en",
            "combination": MULTI,
            "accuracy_s": float(values.get("accuracy", float("nan"))),
            "recall_s": float(values.get("recall", float("nan"))),
            "avg": float(values.get("avg", float("nan"))),
        }
    )
    return pd.DataFrame([row])


def ablation_figure(table: pd.DataFrame, metric: str = "ew_m_avg", title: str = ""):
    """Bars of ``metric`` per modality combination, one colour per (extractor, language)."""
    import matplotlib.pyplot as plt

    data = table.dropna(subset=[metric]).copy()
    data["series"] = data["extractor"] + " (" + data["language"] + ")"
    series = sorted(data["series"].unique())
    order = [c for c in COMBINATIONS if c in set(data["combination"])]
    fig, ax = plt.subplots(figsize=(8, 3.6))
    width = 0.8 / max(1, len(series))
    for k, name in enumerate(series):
        part = data[data["series"] == name].set_index("combination").reindex(order)
        positions = [i + (k - (len(series) - 1) / 2) * width for i in range(len(order))]
        ax.bar(positions, part[metric], width=width, label=name)
    ax.set_xticks(range(len(order)), order)
    ax.set_xlabel("gold clue parts given to the extractor")
    ax.set_ylabel({"ew_m_avg": "EW M-avg (%)", "avg": "Avg, set metric (%)"}.get(metric, metric))
    ax.set_title(title or "OV labels from the gold clue parts, scored against the gold OV labels")
    ax.legend(fontsize=8, frameon=False)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


# --- our S2 ----------------------------------------------------------------------------------------------
def our_s2_outputs(
    merge_runner: LLMRunner,
    extract_runner: LLMRunner,
    data_dir: DataDir = None,
    systems: Sequence[str] | None = None,
    limit: int = 0,
    setting: str = S2_OURS,
) -> pd.DataFrame:
    """S2 of our own: each released S0 description merged with its subtitle, then labels extracted.

    Returns the columns of :func:`emer.data.load_system_outputs` (system, setting, sample, language,
    description, labels, labels_raw) with ``setting`` = ``"S2-ours"``, so the rows can be appended to it.
    A sample whose merge or extraction failed gets an empty label list and ``labels_raw`` "" (counted in
    :func:`s2_status_counts` via ``attrs["status"]``).
    """
    outputs = load_system_outputs(data_dir)
    outputs = outputs[outputs["setting"] == "S0"]
    if systems:
        outputs = outputs[outputs["system"].isin(list(systems))]
    outputs = outputs[outputs["sample"].isin(limit_samples(outputs["sample"], limit))]
    subtitles = load_mer2023_transcripts(data_dir).set_index("sample")["en"]
    frames, status_rows = [], []
    for system, frame in outputs.groupby("system", sort=True):
        frame = frame.sort_values("sample")
        table = pd.DataFrame(
            {
                "sample": frame["sample"].tolist(),
                "description": frame["description"].tolist(),
                "subtitle": [str(subtitles.get(s, "")) for s in frame["sample"]],
                "language": "en",
            }
        )
        merged = merge_clues(merge_runner, table)
        ok = merged["status"] == "ok"
        texts = pd.DataFrame(
            {"sample": merged["sample"], "text": merged["merged"].where(ok, ""), "language": "en"}
        )
        extracted = extract_ov_labels(extract_runner, texts[ok.to_numpy()])
        by_sample = extracted.set_index("sample")
        labels, raw = [], []
        for sample in merged["sample"]:
            if sample in by_sample.index and by_sample.at[sample, "status"] == "ok":
                labels.append(list(by_sample.at[sample, "labels"]))
                raw.append(str(by_sample.at[sample, "answer"]))
            else:
                labels.append([])
                raw.append("")
        frames.append(
            pd.DataFrame(
                {
                    "system": system,
                    "setting": setting,
                    "sample": merged["sample"],
                    "language": "en",
                    "description": merged["merged"].where(ok, "").tolist(),
                    "labels": labels,
                    "labels_raw": raw,
                }
            )
        )
        status_rows.append(
            {
                "system": system,
                "merge_ok": int(ok.sum()),
                "merge_not_ok": int((~ok).sum()),
                "extract_ok": int((extracted["status"] == "ok").sum()),
                "extract_not_ok": int((extracted["status"] != "ok").sum()),
            }
        )
    result = pd.concat(frames, ignore_index=True)
    result.attrs["status"] = pd.DataFrame(status_rows)
    return result


def reextract(runner: LLMRunner, outputs: pd.DataFrame, name: str) -> pd.DataFrame:
    """Labels extracted by ``runner`` from the descriptions of released outputs (one setting or several);
    ``setting`` becomes ``"<setting> text, <name> labels"``. Columns of :func:`emer.data.load_system_outputs`.
    """
    frames = []
    for (system, setting), frame in outputs.groupby(["system", "setting"], sort=True):
        texts = pd.DataFrame({"sample": frame["sample"], "text": frame["description"], "language": "en"})
        result = extract_ov_labels(runner, texts)
        frames.append(
            pd.DataFrame(
                {
                    "system": system,
                    "setting": f"{setting} text, {name} labels",
                    "sample": result["sample"],
                    "language": "en",
                    "description": frame.sort_values("sample")["description"].tolist(),
                    "labels": list(labels_or_empty(result).values()),
                    "labels_raw": result["answer"].fillna("").tolist(),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def subtitle_strategy_scores(
    outputs: pd.DataFrame,
    gold: Mapping[str, Sequence[str]],
    grouping: Grouping,
    ew_groupings: Mapping[str, Any],
) -> pd.DataFrame:
    """EW M-avg and set metrics (percent) per (system, setting), then the mean over systems per setting.

    ``outputs`` in the shape of :func:`emer.data.load_system_outputs` (several settings, ours included).
    """
    labels = outputs.assign(status="ok")
    samples = sorted(set(labels["sample"]))
    sub_gold = {s: gold[s] for s in samples}
    # the released label sets are scored as the authors scored them (Chinese labels left unmapped)
    table = score_sets(labels, sub_gold, grouping, ew_groupings, keys=("system", "setting"), chinese="keep")
    table = table.drop(columns=["n_ok", "n_malformed", "n_failed"])
    mean = (
        table.groupby("setting", sort=True)[["accuracy_s", "recall_s", "avg", "ew_m_avg"]]
        .mean()
        .reset_index()
    )
    mean["system"] = "mean of systems"
    mean["n_samples"] = table.groupby("setting", sort=True)["n_samples"].sum().to_numpy()
    mean["labels_per_sample"] = table.groupby("setting", sort=True)["labels_per_sample"].mean().to_numpy()
    return pd.concat([table, mean[table.columns]], ignore_index=True)
