"""MER-UniBench in one command: every dataset of the field's nine-dataset table found under a folder,
scored per checkpoint, with the checkpoint choice made visible.

Two layouts are read (:func:`discover`):

- the field's: ``ROOT/results-<dataset>/<system>/<checkpoint>*.npz`` (the AffectGPT repository's
  ``output/`` folder), each checkpoint's stage files (descriptions, ``-openset``, ``-openset-sentiment``)
  read as one prediction;
- ours: ``ROOT/<dataset>.{csv,tsv,jsonl,npz}`` (one system) or ``ROOT/<dataset>/`` (a folder of its
  checkpoints), ``<dataset>`` being a name of :mod:`emer.data.datasets` (``meld``, ``cmumosi`` ...).

Per system and dataset the table gives the headline score (hit rate, sentiment WAF, or L1-avg for OV-MERD+)
and the score beside it under each *selection* of checkpoint: ``last``, ``mean`` (over checkpoints),
``best-on-test`` (the highest headline on the test labels, what the published table did) and, with
``select``, ``fixed`` (a checkpoint the user names). Intervals are percentile bootstrap intervals over the
dataset's samples; a row's interval is that of its checkpoint (or of the mean over checkpoints), so a
best-on-test interval does not include the optimism of choosing on the test labels. The ``mean`` column
averages the headline over the datasets scored, marked with how many of the nine that is.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from emer.data import data_folder
from emer.data.datasets import UNIBENCH_ORDER, DatasetSpec, get_spec, specs, unibench_specs
from emer.files import make_folder
from emer.metrics.significance import bootstrap_draws
from emer.report import save_figure, save_table
from emer.scoring.core import ScoreOptions, Scoring
from emer.scoring.families import flooding_note
from emer.scoring.inputs import PredictionError, read_prediction
from emer.scoring.scorecard import SystemResult
from emer.scoring.systems import DATA_PREFIX, SUFFIXES, natural_key, stage_groups
from emer.version import __version__

SELECTIONS = ("best-on-test", "last", "mean", "fixed")
COLUMNS = ["system", "dataset", "metric", "checkpoint", "value", "ci_low", "ci_high", "selection"]
#: The headline and the score shown beside it, by the kind of gold.
METRICS = {
    "onehot": ("hit rate", "label-space precision"),
    "sentiment": ("sentiment WAF", "sentiment accuracy"),
    "ov": ("L1-avg", "M-avg"),
}
FROM_DESCRIPTIONS = " (from descriptions)"


@dataclass(frozen=True)
class Found:
    """The predictions of one system on one dataset: a folder of checkpoints or one file."""

    system: str
    dataset: str
    path: Path


@dataclass
class Unibench:
    """The MER-UniBench table of one or more systems (see the module notes)."""

    table: pd.DataFrame  # COLUMNS
    checkpoints: pd.DataFrame  # system, dataset, checkpoint, metric, value
    signature: str
    notes: list[str] = field(default_factory=list)
    signatures: dict[str, str] = field(default_factory=dict)  # dataset -> its scorecard's signature
    coverage: dict[str, tuple[int, int]] = field(default_factory=dict)  # column -> (scored, of)

    def wide(self, selection: str | None = None) -> pd.DataFrame:
        """One row per system and selection, the headline of each dataset in the field's column order."""
        rows = self.table[self.table["metric"].isin(HEADLINES) | (self.table["dataset"] == "mean")]
        if selection is not None:
            rows = rows[rows["selection"] == selection]
        wide = rows.pivot_table(
            index=["system", "selection"], columns="dataset", values="value", aggfunc="first", sort=False
        )
        columns = [c for c in UNIBENCH_ORDER if c in wide.columns]
        mean = [c for c in wide.columns if c == "mean"]
        wide = wide[columns + mean].reset_index()
        covered = self.table.loc[self.table["dataset"] == "mean", "metric"]
        if len(covered):
            wide = wide.rename(columns={"mean": str(covered.iloc[0])})
        return wide

    def headline_checkpoints(self) -> pd.DataFrame:
        """Every checkpoint's headline (system, dataset, checkpoint, metric, value)."""
        return self.checkpoints[self.checkpoints["metric"].isin(HEADLINES)]

    def summary(self) -> str:
        """The field's table (each selection), the notes and the signature, for the terminal."""
        wide = self.wide()
        lines = [wide.to_markdown(index=False, floatfmt=".2f"), ""]
        lines += [f"note: {n}" for n in self.notes]
        lines.append(self.signature)
        return "\n".join(lines)

    def save(self, out_dir: str | os.PathLike) -> Path:
        """Write tables/unibench.* (long), tables/unibench_table.* (the field's layout),
        tables/unibench_checkpoints.*, figures/unibench_checkpoints.png and signature.txt."""
        folder = make_folder(out_dir, "--out")
        run = {"notebook": "emer score --dataset mer-unibench", "params": {"signature": self.signature}}
        save_table(self.table, "unibench", folder, **run, digits=2)
        save_table(self.wide(), "unibench_table", folder, **run, digits=2)
        save_table(self.checkpoints, "unibench_checkpoints", folder, **run, digits=2)
        if len(self.checkpoints):
            from emer.scoring.unibench_figure import checkpoint_figure

            save_figure(checkpoint_figure(self.headline_checkpoints()), "unibench_checkpoints", folder)
        notes = "\n".join(f"- {n}" for n in self.notes)
        (folder / "signature.txt").write_text(self.signature + "\n", encoding="utf-8")
        (folder / "notes.md").write_text(notes + "\n", encoding="utf-8")
        return folder / "tables" / "unibench.csv"


HEADLINES = tuple(m[0] for m in METRICS.values())


# --- finding the predictions ---------------------------------------------------------------------------
def dataset_for(name: str) -> DatasetSpec | None:
    """The MER-UniBench dataset a folder or file name stands for (``meld``, ``results-iemocapfour`` ...)."""
    key = name.lower().removeprefix("results-")
    for spec in unibench_specs():
        if key in (spec.name, *spec.field_names, spec.unibench.lower()):
            return spec
    return None


def discover(
    roots: Sequence[str], data_dir: str | os.PathLike | None = None
) -> tuple[list[Found], list[str]]:
    """The (system, dataset, path) under each ``[NAME=]ROOT``, and notes on what was left out. A ROOT
    starting with ``data:`` is a folder of the public data (its files verified)."""
    found: list[Found] = []
    notes: list[str] = []
    for spec in roots:
        name, sep, rest = spec.partition("=")
        if not sep or "/" in name or os.sep in name or not name:
            name, rest = "", spec
        if rest.startswith(DATA_PREFIX):
            root = data_folder(rest.removeprefix(DATA_PREFIX), data_dir)
        else:
            root = Path(rest).expanduser()
        if not root.is_dir():
            raise PredictionError(f"{root}: no such folder; MER-UniBench takes a folder of predictions")
        entries = sorted(root.iterdir(), key=lambda p: natural_key(p.name))
        field_layout = [p for p in entries if p.is_dir() and p.name.lower().startswith("results-")]
        before = len(found)
        if field_layout:
            for folder in field_layout:
                dataset = dataset_for(folder.name)
                if dataset is None:
                    notes.append(f"{folder}: not a MER-UniBench dataset; left out")
                    continue
                systems = [
                    p for p in sorted(folder.iterdir(), key=lambda p: natural_key(p.name)) if p.is_dir()
                ]
                if not systems and any(p.suffix.lower() in SUFFIXES for p in folder.iterdir()):
                    systems = [folder]
                for system in systems:
                    label = name if name and len(systems) == 1 else system.name
                    found.append(Found(label, dataset.name, system))
        else:
            for entry in entries:
                stem = entry.name if entry.is_dir() else entry.stem
                if not entry.is_dir() and entry.suffix.lower() not in SUFFIXES:
                    continue
                dataset = dataset_for(stem)
                if dataset is None:
                    notes.append(f"{entry}: not named after a MER-UniBench dataset; left out")
                    continue
                found.append(Found(name or root.name, dataset.name, entry))
        if len(found) == before:
            names = ", ".join(s.name for s in unibench_specs())
            raise PredictionError(
                f"{root}: no MER-UniBench predictions found; expected results-<dataset>/<system>/ folders "
                f"(the field's layout) or files or folders named after a dataset ({names})"
            )
    return found, notes


# --- scoring -------------------------------------------------------------------------------------------
def score_unibench(
    roots: Sequence[str],
    labels: Mapping[str, str | os.PathLike] | None = None,
    data_dir: str | os.PathLike | None = None,
    select: str | None = None,
    beside: bool = True,
    out_dir: str | os.PathLike | None = None,
    **options,
) -> Unibench:
    """Score every MER-UniBench dataset found under ``roots`` (see :func:`discover`).

    ``labels`` maps a dataset name to the user's gold file (MER2024 and OV-MERD+ have no public gold).
    ``select`` names a checkpoint (a part of its file name, e.g. ``000040``) for the ``fixed`` rows.
    With ``beside`` (and ``options["inputs"]`` left at ``auto``), a system whose files carry the field's
    labels or sentiments is also scored from its descriptions alone (``<system> (from descriptions)``), with
    this scorer's extractor and sentiment mapping. ``options`` are :class:`ScoreOptions` fields.
    """
    labels = dict(labels or {})
    for name in labels:
        get_spec(name)
    found, notes = discover(roots, data_dir)
    base = ScoreOptions(checkpoints=True, baselines=False, detail=False, **options)
    rows: list[dict] = []
    per_checkpoint: list[dict] = []
    draws: dict[tuple[str, str], np.ndarray] = {}
    signatures: dict[str, str] = {}
    coverage: dict[str, tuple[int, int]] = {}
    for spec in unibench_specs():
        here = [f for f in found if f.dataset == spec.name]
        if not here:
            continue
        if not spec.public and spec.name not in labels:
            notes.append(
                f"{spec.unibench}: predictions found but its gold is not public; pass --labels "
                f"{spec.name}=PATH ({spec.label_formats}) to score it"
            )
            continue
        opts = replace(base, dataset=spec.name, labels=labels.get(spec.name))
        routes = [("", opts)]
        if beside and opts.inputs == "auto":
            routes.append((FROM_DESCRIPTIONS, replace(opts, inputs="descriptions")))
        for suffix, route in routes:
            if suffix and not _has_descriptions_and_more(here):
                continue
            items = [f"{f.system}{suffix}={f.path}" for f in here]
            card_rows, card_checkpoints, card_draws, signature, coverage[spec.unibench], flooded = (
                _score_dataset(spec, route, items, data_dir, select)
            )
            if flooded:
                notes.append(f"{spec.unibench}: {flooding_note(flooded)}")
            rows += card_rows
            per_checkpoint += card_checkpoints
            draws.update(card_draws)
            signatures[f"{spec.name}{suffix}"] = signature
    if not rows:
        raise PredictionError("nothing to score: " + "; ".join(notes))
    rows += _mean_rows(rows, draws, base)
    table = pd.DataFrame(rows, columns=COLUMNS)
    checkpoints = pd.DataFrame(per_checkpoint, columns=["system", "dataset", "checkpoint", "metric", "value"])
    notes += _notes(table, base)
    partial = {d: c for d, c in coverage.items() if c[0] < c[1]}
    if partial:
        notes.append(
            "--subset given: "
            + ", ".join(f"{d} scored on {k:,} of {n:,} samples" for d, (k, n) in partial.items())
            + "; do not set these beside figures computed on whole test sets"
        )
    result = Unibench(table, checkpoints, _signature(signatures, select), notes, signatures, coverage)
    if out_dir is not None:
        result.save(out_dir)
    return result


def _has_descriptions_and_more(found: list[Found]) -> bool:
    """Whether a system's first checkpoint gives descriptions and something drawn from them (labels or
    sentiments): then scoring from the descriptions alone is a different route."""
    for f in found:
        stages = next(iter(stage_groups(f.path).values())) if f.path.is_dir() else {"any": f.path}
        if "any" in stages:
            first = read_prediction(stages["any"])
            if first.has_descriptions and (first.has_labels or first.has_sentiments):
                return True
        elif "descriptions" in stages and len(stages) > 1:
            return True
    return False


def _score_dataset(
    spec: DatasetSpec, options: ScoreOptions, items: list[str], data_dir, select: str | None
) -> tuple[list[dict], list[dict], dict, str, tuple[int, int], dict[str, float]]:
    """Rows of the table, per-checkpoint rows, bootstrap draws, the signature, the coverage and the
    checkpoints flagged for label flooding (name -> classes per sample)."""
    scoring = Scoring(options, data_dir)
    card = scoring.run(items)
    flooded = {r.name: r.value("classes per sample") for r in card.submitted if "label-flooding" in r.flags}
    headline, beside = METRICS[spec.gold]
    rows, checkpoints, draws = [], [], {}
    for system in dict.fromkeys(r.checkpoint_of or r.name for r in card.submitted):
        results = [r for r in card.submitted if (r.checkpoint_of or r.name) == system]
        names = [_checkpoint_name(r) for r in results]
        for r, checkpoint in zip(results, names, strict=True):
            for metric in (headline, beside):
                if metric in r.metrics:
                    checkpoints.append(
                        dict(
                            system=system,
                            dataset=spec.unibench,
                            checkpoint=checkpoint,
                            metric=metric,
                            value=r.value(metric),
                        )
                    )
        chosen = _selections(results, names, headline, select, spec)
        for selection, picked in chosen.items():
            for metric in (headline, beside):
                if metric not in results[0].metrics:
                    continue
                value, sample_draws = _selected(picked, metric, options)
                low, high = _interval(sample_draws, options.confidence)
                label = _checkpoint_name(picked[0]) if len(picked) == 1 else f"mean of {len(picked)}"
                rows.append(
                    dict(
                        system=system,
                        dataset=spec.unibench,
                        metric=metric,
                        checkpoint=label,
                        value=value,
                        ci_low=low,
                        ci_high=high,
                        selection=selection,
                    )
                )
                if metric == headline and sample_draws is not None:
                    draws[(system, spec.unibench, selection)] = sample_draws
    return rows, checkpoints, draws, card.signature, card.coverage, flooded


def _checkpoint_name(result: SystemResult) -> str:
    return result.name.split("@", 1)[1] if result.checkpoint_of else Path(result.source).stem


def _selections(
    results: list[SystemResult], names: list[str], headline: str, select: str | None, spec: DatasetSpec
) -> dict[str, list[SystemResult]]:
    values = [r.value(headline) for r in results]
    chosen = {
        "best-on-test": [results[int(np.argmax(values))]],
        "last": [results[-1]],
        "mean": results,
    }
    if select is not None:
        matches = [r for r, n in zip(results, names, strict=True) if select in n or len(results) == 1]
        if len(matches) != 1:
            raise PredictionError(
                f"--select {select!r} matches {len(matches)} checkpoints of {spec.title} "
                f"({', '.join(names)}); name exactly one"
            )
        chosen["fixed"] = matches
    return chosen


def _selected(
    picked: list[SystemResult], metric: str, options: ScoreOptions
) -> tuple[float, np.ndarray | None]:
    """The value of the picked checkpoint (or the mean over them) and its bootstrap draws."""
    value = float(np.mean([r.value(metric) for r in picked]))
    if options.n_boot == 0:
        return value, None
    metrics = [r.metrics[metric] for r in picked]
    widths = np.cumsum([0] + [m.x.shape[1] for m in metrics])
    x = np.hstack([m.x for m in metrics])

    def mean_statistic(sums: np.ndarray) -> np.ndarray:
        parts = [
            m.statistic(sums[..., a:b]) for m, a, b in zip(metrics, widths[:-1], widths[1:], strict=True)
        ]
        return np.mean(parts, axis=0)

    return value, bootstrap_draws(x, mean_statistic, options.n_boot, options.seed)


def _interval(draws: np.ndarray | None, confidence: float) -> tuple[float, float]:
    if draws is None:
        return float("nan"), float("nan")
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(draws, [tail, 100 - tail])
    return float(low), float(high)


def _mean_rows(rows: list[dict], draws: dict, options: ScoreOptions) -> list[dict]:
    """Per system and selection, the mean headline over the datasets scored ("mean (k of 9)")."""
    frame = pd.DataFrame(rows)
    frame = frame[frame["metric"].isin(HEADLINES)]
    out = []
    for (system, selection), part in frame.groupby(["system", "selection"], sort=False):
        k = len(part)
        stacked = [draws.get((system, d, selection)) for d in part["dataset"]]
        low, high = (
            _interval(np.mean(stacked, axis=0), options.confidence)
            if all(d is not None for d in stacked)
            else (float("nan"), float("nan"))
        )
        out.append(
            dict(
                system=system,
                dataset="mean",
                metric=f"mean ({k} of {len(UNIBENCH_ORDER)})",
                checkpoint="",
                value=float(part["value"].mean()),
                ci_low=low,
                ci_high=high,
                selection=selection,
            )
        )
    return out


def _notes(table: pd.DataFrame, options: ScoreOptions) -> list[str]:
    notes = [
        "best-on-test picks, per dataset, the checkpoint with the highest headline on the test labels, as "
        "the published MER-UniBench table did: it overstates what the system scores on unseen data, and "
        "its interval is that of the chosen checkpoint, without the optimism of the choice",
        "the mean column averages the datasets scored; a mean over fewer than nine datasets is not the "
        "published mean",
    ]
    if table["system"].str.endswith(FROM_DESCRIPTIONS).any():
        notes.append(
            f"'{FROM_DESCRIPTIONS.strip()}' rows score the same checkpoints from their descriptions alone, "
            "with this scorer's extractor and sentiment mapping (offline by default) instead of the field's "
            "sampled Qwen2.5 labels"
        )
    return notes


def _signature(signatures: dict[str, str], select: str | None) -> str:
    """One line over the datasets' scorecard signatures: each dataset with its files' digest, then every
    choice any of them states (the extractor and the mapping of the description route included)."""

    def field(name: str) -> list[str]:
        return list(dict.fromkeys(re.search(rf"{name}:([^|]+)", s).group(1) for s in signatures.values()))  # type: ignore[union-attr]

    skip = ("dataset:", "n:", "metrics:", "from:")
    parts = dict.fromkeys(p for s in signatures.values() for p in s.split("|")[1:] if not p.startswith(skip))
    selection = f"select:{select}" if select else "select:best-on-test,last,mean"
    head = [
        f"emer-unibench:{__version__}",
        f"datasets:{'+'.join(field('dataset'))}",
        selection,
        f"from:{'+'.join(field('from'))}",
    ]
    return "|".join(head + list(parts))


__all__ = ["SELECTIONS", "Found", "Unibench", "discover", "score_unibench", "specs"]
