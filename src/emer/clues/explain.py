"""S0 / S1 / S2 explanations of clue records, and their OV labels, through the LLM layer.

- S0: the visual and acoustic clues, given to the backend's ``merge_clues`` task with an empty subtitle
  (the prompt then asks for the emotional state from the clues alone).
- S1: the same with the lexical clue (which quotes the subtitle) added to the clue text.
- S2: the S0 explanation merged with the subtitle by ``merge_clues`` (the paper's two-step strategy); the
  subtitle model's reading of the subtitle goes with it, for the offline template (a model reads the
  subtitle itself).

OV labels come from ``extract_ov_labels`` on each explanation. Every call goes through the runner's
cache, so a run can be replayed with no model; the offline backend makes the path run with no model at
all (its merge is a template: it adds no inference of its own).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from emer.clues.lexical import model_sentence
from emer.clues.pipeline import (
    ClueExtractor,
    ClueParams,
    read_record,
    record_path,
    run_clues,
    write_json,
    write_summary,
)
from emer.data.predictions import prediction_line, predictions_path, write_predictions

STRATEGIES = ("S0", "S1", "S2")
EXPLAIN_COLUMNS = ["clip", "strategy", "status", "labels", "explanation", "cached", "error"]
SUMMARY_COLUMNS = ["clip", "strategy", "status", "labels", "explanation_chars", "cached", "seconds"]


def clue_text(record: dict, language: str, with_subtitle: bool) -> str:
    """The clue description sent to the backend: visual + acoustic (+ lexical for S1)."""
    clues = record["clues"][language]
    parts = [clues["visual"], clues["acoustic"]] + ([clues["lexical"]] if with_subtitle else [])
    return ("" if language == "zh" else " ").join(parts)


def _ready(record: dict, language: str) -> bool:
    return record.get("status") in ("ok", "partial", "damaged") and language in record.get("clues", {})


def _merge(
    runner,
    inputs: dict[str, str],
    language: str,
    subtitles: dict[str, str] | None = None,
    readings: dict[str, str] | None = None,
):
    """``merge_clues`` over clip -> description (and clip -> subtitle, its reading); returns (frame, s)."""
    from emer.llm import merge_clues

    if not inputs:
        return pd.DataFrame(columns=["sample", "merged", "status", "error", "answer", "cached"]), 0.0
    frame = pd.DataFrame(
        {
            "sample": list(inputs),
            "description": list(inputs.values()),
            "subtitle": [(subtitles or {}).get(clip, "") for clip in inputs],
            "reading": [(readings or {}).get(clip, "") for clip in inputs],
            "language": language,
        }
    )
    start = time.perf_counter()
    return merge_clues(runner, frame), time.perf_counter() - start


def _label(runner, merged: pd.DataFrame, language: str):
    """``extract_ov_labels`` over the explanations that were made; returns (frame, seconds)."""
    from emer.llm import extract_ov_labels

    ok = merged[merged["status"] == "ok"]
    if not len(ok):
        return pd.DataFrame(columns=["sample", "labels", "status", "error", "answer", "cached"]), 0.0
    texts = pd.DataFrame({"sample": ok["sample"], "text": ok["merged"], "language": language})
    start = time.perf_counter()
    return extract_ov_labels(runner, texts), time.perf_counter() - start


def _rows(strategy, records, language, inputs, merged, labels, seconds) -> list[dict]:
    """The result rows of one strategy, one per record (``skipped`` where nothing was asked)."""
    by_clip = {row.sample: row for row in merged.itertuples(index=False)}
    label_by_clip = {row.sample: row for row in labels.itertuples(index=False)}
    share = seconds / max(len(merged), 1)
    rows = []
    for record in records:
        clip = record["clip"]
        row = {"clip": clip, "strategy": strategy, "input": inputs.get(clip, ""), "labels": None}
        merge = by_clip.get(clip)
        if merge is None:
            reason = record.get("error") or f"clue status {record.get('status')}"
            if _ready(record, language):
                reason = "the S0 explanation failed"
            rows.append(
                row
                | {"status": "skipped", "explanation": "", "cached": False, "error": reason, "seconds": 0.0}
            )
            continue
        row |= {"explanation": merge.merged or "", "cached": bool(merge.cached), "seconds": share}
        label = label_by_clip.get(clip)
        if merge.status != "ok" or label is None:
            rows.append(row | {"status": f"merge {merge.status}", "error": merge.error})
        elif label.status != "ok":
            rows.append(row | {"status": f"labels {label.status}", "error": label.error})
        else:
            cached = bool(merge.cached and label.cached)
            rows.append(row | {"status": "ok", "labels": list(label.labels), "cached": cached, "error": ""})
    return rows


def explain_records(
    records: Iterable[dict],
    runner,
    strategies: Sequence[str] = STRATEGIES,
    language: str = "en",
) -> pd.DataFrame:
    """One row per (clip, strategy): clip, strategy, status, labels, explanation, cached, error, input,
    seconds (the clip's share of the strategy's LLM time). Clips without clues are ``skipped``."""
    unknown = sorted(set(strategies) - set(STRATEGIES))
    if unknown:
        raise ValueError(f"strategies must be among {STRATEGIES}, not {unknown}")
    records = sorted(records, key=lambda r: r["clip"])
    usable = [r for r in records if _ready(r, language)]
    inputs: dict[str, dict[str, str]] = {}
    merged: dict[str, tuple[pd.DataFrame, float]] = {}
    if "S0" in strategies or "S2" in strategies:
        inputs["S0"] = {r["clip"]: clue_text(r, language, False) for r in usable}
        merged["S0"] = _merge(runner, inputs["S0"], language)
    if "S2" in strategies:
        s0 = merged["S0"][0]
        done = s0[s0["status"] == "ok"]
        inputs["S2"] = dict(zip(done["sample"], done["merged"], strict=True))
        subtitles = {r["clip"]: r.get("subtitle") or "" for r in usable}
        readings = {
            r["clip"]: model_sentence((r.get("lexical") or {}).get("model"), language) for r in usable
        }
        merged["S2"] = _merge(runner, inputs["S2"], language, subtitles, readings)
    if "S1" in strategies:
        inputs["S1"] = {r["clip"]: clue_text(r, language, True) for r in usable}
        merged["S1"] = _merge(runner, inputs["S1"], language)
    rows = []
    for strategy in [s for s in STRATEGIES if s in strategies]:
        frame, merge_seconds = merged[strategy]
        labels, label_seconds = _label(runner, frame, language)
        rows += _rows(
            strategy, records, language, inputs[strategy], frame, labels, merge_seconds + label_seconds
        )
    return pd.DataFrame(rows, columns=[*EXPLAIN_COLUMNS, "input", "seconds"])


def _summary_row(row: dict) -> dict:
    labels = row.get("labels")
    return {
        "clip": row["clip"],
        "strategy": row["strategy"],
        "status": row["status"],
        "labels": ", ".join(labels) if labels else "",
        "explanation_chars": len(row.get("explanation") or ""),
        "cached": bool(row.get("cached")),
        "seconds": round(float(row.get("seconds") or 0.0), 3),
    }


def _reusable(stored: dict | None, record: dict, identity: str, language: str) -> bool:
    """An explanation record is kept when made by the same backend from the same clues and subtitle."""
    return (
        stored is not None
        and stored.get("clip") == record.get("clip")
        and stored.get("clue_sha256") == record.get("file_sha256")
        and stored.get("backend") == identity
        and stored.get("clue_params") == record.get("params")
        and stored.get("subtitle") == record.get("subtitle")
        and stored.get("clues") == record.get("clues", {}).get(stored.get("language"), {})
        and (
            stored.get("status") == "ok"
            or (stored.get("status") == "skipped" and not _ready(record, language))
        )
    )


def preflight_backend(backend: str, model: str, base_url: str, cache_mode: str = "read-write") -> None:
    """Fail fast, before any clip is processed, when the backend cannot answer: the openai backend needs
    a base URL and a model name, and its server must answer ``GET <base_url>/models`` within 5 s (any
    HTTP answer counts; replay mode needs no server). Raises :class:`emer.llm.BackendError`."""
    import urllib.error
    import urllib.request

    from emer.llm import BackendError

    if backend != "openai":
        return  # offline: its lexicon loads when the runner is made (DataError names what is missing)
    if not base_url or not model:
        raise BackendError("the openai backend needs --base-url (e.g. http://127.0.0.1:8000/v1) and --model")
    if cache_mode == "replay":
        return
    url = base_url.rstrip("/") + "/models"
    try:
        with urllib.request.urlopen(url, timeout=5.0):
            pass
    except urllib.error.HTTPError:
        return  # the server answers (some do not list models)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise BackendError(
            f"the openai backend at {base_url} does not answer ({reason}); start the server or fix --base-url"
        ) from None


def run_explain(
    media: str | Path,
    out_dir: str | Path,
    strategies: Sequence[str] = ("S2",),
    backend: str = "offline",
    model: str = "",
    base_url: str = "",
    language: str = "en",
    params: ClueParams | None = None,
    manifest: str | Path | None = None,
    id_column: str = "name",
    subtitle_column: str = "subtitle",
    resume: bool = True,
    progress: bool = True,
    cache_dir: str | Path | None = None,
    cache_mode: str = "read-write",
    data_dir: str | Path | None = None,
) -> pd.DataFrame:
    """Clues (resumable, as :func:`~emer.clues.pipeline.run_clues`), then explanations and labels.

    Writes ``<out>/explanations/<strategy>/<clip>.json`` (clues, the text sent, explanation, labels,
    timings, status), ``<out>/explanations/summary.csv`` and ``<out>/predictions-<strategy>.jsonl``, the
    file ``emer score`` reads (:mod:`emer.data.predictions`; ``emer score <out>`` scores every strategy).
    The LLM call cache defaults to ``<out>/llm-cache``; with ``resume`` a clip whose explanation record
    exists for the same backend and clue parameters is not asked again.
    """
    from emer.llm import make_runner

    params = params or ClueParams(languages=(language,))
    if language not in params.languages:
        raise ValueError(f"language {language!r} is not among the clue languages {params.languages}")
    out_dir = Path(out_dir).absolute()  # relative paths are taken from the working directory
    preflight_backend(backend, model, base_url, cache_mode)
    runner = make_runner(  # before the clue stage: a missing data dir or model fails in seconds
        backend,
        model,
        base_url,
        cache_dir=Path(cache_dir).absolute() if cache_dir else out_dir / "llm-cache",
        cache_mode=cache_mode,
        data_dir=data_dir,
        progress=progress,
    )
    identity = f"{runner.label}|{language}"
    rows: list[dict] = []
    todo: dict[str, list[dict]] = {}
    try:
        extractor = ClueExtractor(params, data_dir)
        summary = run_clues(
            media, out_dir, params, manifest, id_column, subtitle_column, resume, progress, extractor
        )
        records = [read_record(record_path(out_dir, clip)) for clip in summary["clip"]]
        records = [r for r in records if r is not None]
        for strategy in strategies:
            for record in records:
                stored = read_record(record_path(out_dir, record["clip"], f"explanations/{strategy}"))
                if resume and _reusable(stored, record, identity, language):
                    rows.append(stored)
                else:
                    todo.setdefault(strategy, []).append(record)
        for strategy, subset in todo.items():
            by_clip = {r["clip"]: r for r in subset}
            for row in explain_records(subset, runner, [strategy], language).to_dict("records"):
                record = by_clip[row["clip"]]
                stored = row | {
                    "backend": identity,
                    "language": language,
                    "clue_params": record.get("params"),
                    "clue_status": record.get("status"),
                    "clue_sha256": record.get("file_sha256"),
                    "file": record.get("file"),
                    "flags": record.get("flags", []),
                    "subtitle": record.get("subtitle"),
                    "clues": record.get("clues", {}).get(language, {}),
                    "timings": {"clues": record.get("timings", {}).get("total", 0.0), "llm": row["seconds"]},
                }
                write_json(record_path(out_dir, row["clip"], f"explanations/{strategy}"), stored)
                rows.append(stored)
    finally:
        runner.cache.close()
    rows.sort(key=lambda r: (r["clip"], r["strategy"]))
    for strategy in strategies:
        lines = [
            prediction_line(
                r["clip"],
                strategy,
                r["status"],
                r.get("explanation") or "",
                r.get("labels"),
                r.get("error") or "",
            )
            for r in rows
            if r["strategy"] == strategy
        ]
        write_predictions(lines, predictions_path(out_dir, strategy))
    return write_summary(
        [_summary_row(r) for r in rows], Path(out_dir) / "explanations" / "summary.csv", SUMMARY_COLUMNS
    )
