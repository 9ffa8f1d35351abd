"""Per-sample results and their aggregation: the model's descriptions are scored by ``emer``'s scorer.

``process_results`` keeps each sample's description (lmms-eval's ``--log_samples`` writes it). The first
aggregation of a task writes the predictions file (``{"name", "description"}`` lines, what ``emer score``
reads), scores it with :func:`emer.scoring.score` (offline extractor unless the config's ``scoring`` says
otherwise), saves the scorecard beside it and prints its summary; every metric of the task then reads the
same scorecard. A run that covers only part of the dataset (a ``samples`` subset, ``--limit``, or failed
requests) is scored on the samples it gives, as ``emer score --subset given`` does: the coverage is said, and
the released baselines and paired tests are restricted to the same samples.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from emer.data.datasets import get_spec
from emer.lmms_tasks.catalog import (
    SCORE_NAME,
    UNIBENCH_HEADLINE,
    UNIBENCH_SCORE,
    TaskSpec,
    get_task,
    metric_key,
)
from emer.lmms_tasks.config import ConfigError, RunConfig, load_config

FAILED = "[LMMS_EVAL_REQUEST_FAILED"  # how lmms-eval's API models mark a request that never got an answer
_SCORING_KEYS = {"metrics", "revision", "n_boot", "seed", "baselines", "chinese"}
_EXTRACTOR_KEYS = {"backend", "model", "base_url", "preset", "runs", "concurrency", "timeout_s"}
_cards: dict[str, dict[str, Any]] = {}


def process_results(doc: dict, results: Sequence[str]) -> dict[str, dict]:
    """The same item for every metric of the document's task: task, name, description."""
    answer = results[0] if results and isinstance(results[0], str) else ""
    item = {"task": doc["task"], "name": doc["name"], "description": answer}
    return {metric: item for metric in get_task(doc["task"]).metrics}


def _model_tag(args: Any) -> str:
    """A folder name for the model of an lmms-eval run: ``openai-Qwen2.5-VL-7B-Instruct``."""
    model = str(getattr(args, "model", "") or "model")
    model_args = str(getattr(args, "model_args", "") or "")
    found = re.search(r"(?:^|,)\s*(?:model|model_version|pretrained)=([^,]+)", model_args)
    name = f"{model}-{found.group(1).rstrip('/').split('/')[-1]}" if found else model
    return re.sub(r"[^\w.-]+", "_", name)


def run_folder(task: str, config: RunConfig, args: Any = None) -> Path:
    """Where a task's predictions and scorecard go: the config's ``out_dir``, else lmms-eval's
    ``--output_path``/emer, else ./emer-lmms; then the model and the task."""
    if config.out_dir is not None:
        base = config.out_dir
    elif getattr(args, "output_path", None):
        base = Path(args.output_path) / "emer"
    else:
        base = Path("emer-lmms")
    return (base / _model_tag(args) / task).resolve()


def write_predictions(items: Sequence[dict], path: Path) -> tuple[int, int]:
    """``{"name", "description"}`` lines sorted by name, leaving out failed requests; (written, failed)."""
    rows = {}
    failed = 0
    for item in items:
        if not item["description"].strip() or item["description"].startswith(FAILED):
            failed += 1
            continue
        rows[item["name"]] = item["description"]
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(
        json.dumps({"name": n, "description": rows[n]}, ensure_ascii=False) + "\n" for n in sorted(rows)
    )
    path.write_text(text, encoding="utf-8")
    return len(rows), failed


def score_options(spec: TaskSpec, config: RunConfig, folder: Path) -> dict[str, Any]:
    """The keyword arguments of :func:`emer.scoring.score` for a task: the config's ``scoring`` section
    (extractor fields and a few scoring choices); the families default to the dataset's headline ones."""
    from emer.scoring import Extractor

    given = dict(config.scoring)
    unknown = sorted(set(given) - _SCORING_KEYS - _EXTRACTOR_KEYS)
    if unknown:
        raise ConfigError(
            f"{config.source}: scoring: unknown keys {unknown}; known: "
            f"{', '.join(sorted(_SCORING_KEYS | _EXTRACTOR_KEYS))}"
        )
    chosen = {k: given.pop(k) for k in list(given) if k in _SCORING_KEYS}
    metrics = chosen.pop("metrics", None) or [f for f in get_spec(spec.dataset).families if f != "matching"]
    if isinstance(metrics, str):
        metrics = metrics.split(",")
    extractor = Extractor(cache_dir=folder / "cache", **given)
    return {"metrics": tuple(metrics), "extractor": extractor, **chosen}


def _score(spec: TaskSpec, source: str, out: Path, partial: bool, options: dict, config: RunConfig):
    """:func:`emer.scoring.score` (with the user's labels file where the config names one)."""
    from emer.scoring import score

    labels = config.dataset(spec.dataset).labels
    subset = "given" if partial else "all"
    return score([source], spec.dataset, out_dir=out, subset=subset, labels=labels, **options)


def _headline(spec: TaskSpec, card) -> str:
    names = {m for r in card.submitted for m in r.metrics}
    preferred = [m for m in UNIBENCH_HEADLINE.get(spec.dataset, ()) if m in names]
    return preferred[0] if preferred else card.rank_by


def scorecard(task: str, items: Sequence[dict], args: Any = None) -> dict[str, Any]:
    """Score one task's items (once per distinct set of items); the values its metrics report."""

    ordered = sorted((i["name"], i["description"]) for i in items)
    key = hashlib.sha256(json.dumps([task, ordered]).encode("utf-8")).hexdigest()
    if key in _cards:
        return _cards[key]
    spec, config = get_task(task), load_config()
    folder = run_folder(task, config, args)
    predictions = folder / "predictions.jsonl"
    written, failed = write_predictions(items, predictions)
    total = get_spec(spec.dataset).n_samples
    partial = written < total
    if partial:
        print(
            f"[emer] {task}: {written} of {total} samples have a description ({failed} failed or empty); "
            "the scorecard covers the samples given (emer score --subset given)",
            file=sys.stderr,
            flush=True,
        )
    options = score_options(spec, config, folder)
    card = _score(spec, f"{task}={predictions}", folder / "scorecard", partial, options, config)
    rescore = f"emer score {predictions} --dataset {spec.dataset} --metrics {','.join(options['metrics'])}"
    print(
        f"[emer] {task}: predictions {predictions} (rescore: {rescore}"
        f"{' --subset given' if partial else ''})\n{card.summary()}",
        file=sys.stderr,
        flush=True,
    )
    result = card.submitted[0]
    values: dict[str, Any] = {metric_key(name): result.value(name) for name in result.metrics}
    headline = _headline(spec, card)
    values.update(
        {
            UNIBENCH_SCORE: result.value(headline),
            SCORE_NAME: headline,
            "signature": card.signature,
            "predictions": str(predictions),
        }
    )
    _cards[key] = values
    return values


def aggregator(metric: str) -> Callable[..., Any]:
    """The aggregation function of ``metric``: its value in the task's scorecard."""

    def aggregate(items: Sequence[dict], args: Any = None) -> Any:
        tasks = sorted({i["task"] for i in items})
        if len(tasks) != 1:
            raise ValueError(f"emer aggregation of {metric!r} got items of {len(tasks)} tasks: {tasks}")
        values = scorecard(tasks[0], items, args)
        if metric not in values:
            raise ValueError(
                f"{tasks[0]}: the scorecard has no {metric!r}; it has {', '.join(sorted(values))}"
            )
        return values[metric]

    aggregate.__name__ = f"emer_{metric}"
    return aggregate
