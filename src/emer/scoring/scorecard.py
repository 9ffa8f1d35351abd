"""The scorecard of a scoring run: per-system scores with intervals, paired tests, the leaderboard, the
per-checkpoint table and the per-sample detail; written as JSON, CSV, Markdown and a figure."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from emer.files import make_folder
from emer.report import save_figure, save_table
from emer.scoring.families import (
    EW_ORDER,
    HIT_METRICS,
    SENTIMENT_METRICS,
    SET_METRICS,
    Metric,
    flooding,
    flooding_note,
)
from emer.scoring.signature import ScoringRun, signature

if TYPE_CHECKING:
    from emer.scoring.systems import Submission

HEADLINE = [*EW_ORDER, *SET_METRICS, *HIT_METRICS, *SENTIMENT_METRICS]
#: What the terminal summary shows of each system (those it has).
SUMMARY = [
    "M-avg",
    "L1-avg",
    "Avg",
    "hit rate",
    "label-space precision",
    "classes per sample",
    "sentiment WAF",
    "sentiment accuracy",
    "bleu_4",
    "meteor",
    "rouge_l",
    "cider",
    "similarity",
]


@dataclass
class SystemResult:
    """Scores of one system (submitted, or a released baseline)."""

    name: str
    kind: str  # submitted | baseline
    source: str
    format: str
    label_source: str = ""  # given | extracted | released
    sentiment_source: str = ""  # given | mapped | released (sentiment datasets)
    warnings: list[str] = field(default_factory=list)
    n_missing: int = 0
    n_unparsed: int = 0
    checkpoint_of: str = ""
    failed: dict[str, str] = field(default_factory=dict)  # clips an emer explain run could not answer
    is_final: bool = True
    extraction: dict[str, int] = field(default_factory=dict)
    mapping: dict[str, int] = field(default_factory=dict)  # sentiment mapping outcomes
    metrics: dict[str, Metric] = field(default_factory=dict)
    runs: list[dict[str, float]] = field(default_factory=list)
    intervals: dict[str, tuple[float, float]] = field(default_factory=dict)
    dropped: dict[str, dict[str, Any]] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    labels: dict[str, list[str]] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)  # label-flooding (families.FLOOD_CLASSES)

    def value(self, metric: str) -> float:
        """The score (mean over runs when the labels were extracted several times)."""
        return float(np.mean([run[metric] for run in self.runs]))

    def entry(self) -> dict[str, Any]:
        """The scorecard.json entry."""
        metrics = {}
        for name in self.metrics:
            values = [run[name] for run in self.runs]
            item: dict[str, Any] = {"value": self.value(name), "n_scored": self.metrics[name].n_scored}
            if name in self.intervals:
                low, high = self.intervals[name]
                item.update(low=low, high=high)
            if len(values) > 1:
                item.update(runs=values, std=float(np.std(values, ddof=1)))
            metrics[name] = item
        return {
            "system": self.name,
            "kind": self.kind,
            "source": self.source,
            "format": self.format,
            "labels": self.label_source,
            "sentiments": self.sentiment_source or None,
            "checkpoint_of": self.checkpoint_of or None,
            "n_missing_scored_empty": self.n_missing,
            "n_unparsed_scored_empty": self.n_unparsed,
            "failed_clips": self.failed or None,
            "extraction": self.extraction or None,
            "sentiment_mapping": self.mapping or None,
            "metrics": metrics,
            "dropped_labels": self.dropped or None,
            "warnings": self.warnings,
            "flags": self.flags,
        }


@dataclass
class Scorecard:
    signature: str
    dataset: str
    rank_by: str
    systems: list[SystemResult]
    leaderboard: pd.DataFrame
    paired: pd.DataFrame
    checkpoints: pd.DataFrame
    notes: list[str]
    options: dict[str, Any]
    coverage: tuple[int, int] = (0, 0)  # (samples scored, samples of the whole split)

    @property
    def coverage_text(self) -> str:
        return f"{self.coverage[0]:,} of {self.coverage[1]:,}"

    # -- construction -------------------------------------------------------------------------------------
    @classmethod
    def build(
        cls, scoring: ScoringRun, results: list[SystemResult], submissions: list[Submission]
    ) -> Scorecard:
        options = scoring.options
        known = sorted({m for r in results for m in r.metrics})
        rank_by = scoring.rank_by
        if rank_by not in known:
            raise ValueError(
                f"--rank-by {rank_by!r} is not among the scores computed here: {', '.join(known)}"
            )
        ranked = [r for r in results if rank_by in r.metrics and r.is_final]
        notes = [scoring.dataset.baseline_note] if scoring.dataset.baseline_note else []
        coverage = scoring.dataset.coverage
        if coverage[0] < coverage[1]:
            notes.append(
                f"Scored {coverage[0]:,} of the {coverage[1]:,} samples (--subset given): every system, the "
                "released baselines and the paired tests on the same samples; intervals reflect the subset's "
                "size. Do not rank these scores against figures computed on all samples."
            )
        flooded = flooding(
            {r.name: r.value("classes per sample") for r in results if "classes per sample" in r.metrics}
        )
        for result in results:
            if result.name in flooded and "label-flooding" not in result.flags:
                result.flags.append("label-flooding")
        if flooded:
            notes.append(flooding_note(flooded))
        paired = paired_tests(ranked, rank_by, scoring)
        leaderboard = _leaderboard(ranked, rank_by, paired, scoring)
        checkpoints = _checkpoint_table(results, submissions, rank_by)
        if not checkpoints.empty:
            notes.append(
                "Checkpoints: the leaderboard uses each system's last checkpoint. The 'best' row picks the "
                "checkpoint with the highest score on these test labels, which overstates what the system "
                "would score on unseen data (AffectGPT's MER-UniBench script picks the best of seven epochs "
                "per dataset on the test labels in this way)."
            )
        if any(r.kind == "submitted" and r.label_source == "extracted" for r in results):
            notes.append(
                "Labels of descriptions-only systems were extracted by "
                + scoring.extraction_label
                + "; released baselines keep their released labels, so a difference in extractor is part of "
                "any difference between them."
            )
        return cls(
            signature=signature(scoring),
            dataset=scoring.dataset.name,
            rank_by=rank_by,
            systems=results,
            leaderboard=leaderboard,
            paired=paired,
            checkpoints=checkpoints,
            notes=notes,
            options={
                "dataset": options.dataset,
                "families": list(scoring.families),
                "revision": options.revision,
                "unmapped": options.choices.unmapped,
                "empty_gold": options.choices.empty_gold,
                "average": options.choices.average,
                "neutral": options.choices.neutral,
                "sentiment": options.choices.sentiment,
                "labels_file": options.labels and str(options.labels),
                "rank_by": rank_by,
                "n_boot": options.n_boot,
                "confidence": options.confidence,
                "alpha": options.alpha,
                "seed": options.seed,
                "language": options.language,
                "allow_missing": options.allow_missing,
                "chinese": options.chinese,
                "inputs": options.inputs,
                "subset": options.subset,
            },
            coverage=coverage,
        )

    # -- views --------------------------------------------------------------------------------------------
    @property
    def submitted(self) -> list[SystemResult]:
        return [r for r in self.systems if r.kind == "submitted"]

    def scores(self, kind: str | None = "submitted") -> pd.DataFrame:
        """Long table: system, kind, metric, value, low, high, n_scored (and std over runs)."""
        rows = []
        for result in self.systems:
            if kind and result.kind != kind:
                continue
            for name, item in result.entry()["metrics"].items():
                rows.append({"system": result.name, "kind": result.kind, "metric": name, **_flat(item)})
        columns = ["system", "kind", "metric", "value", "low", "high", "n_scored"]
        frame = pd.DataFrame(rows)
        frame = frame.reindex(columns=columns + (["std"] if "std" in frame else []))
        frame["coverage"] = self.coverage_text
        return frame

    def per_sample(self) -> pd.DataFrame:
        """Per sample of each submitted system: mapped gold and predicted classes per EW metric (why a label
        did or did not count), identity-set and hit-rate rows."""
        frames = []
        for result in self.submitted:
            for name in ("ew", "sets", "hitrate", "sentiment"):
                table = result.tables.get(name)
                if table is not None:
                    frames.append(table.assign(system=result.name, family=name))
        if not frames:
            return pd.DataFrame()
        frame = pd.concat(frames, ignore_index=True)
        first = ["system", "family", "sample", "metric"]
        return frame[[c for c in first if c in frame] + [c for c in frame if c not in first]]

    def to_json(self) -> dict[str, Any]:
        return {
            "signature": self.signature,
            "dataset": self.dataset,
            "options": self.options,
            "rank_by": self.rank_by,
            "coverage": {
                "scored": self.coverage[0],
                "of": self.coverage[1],
                "subset": self.options["subset"],
            },
            "systems": [r.entry() for r in self.systems],
            "leaderboard": _records(self.leaderboard),
            "paired_tests": _records(self.paired),
            "checkpoints": _records(self.checkpoints),
            "notes": self.notes,
        }

    def summary(self) -> str:
        """A few lines for the terminal: each submitted system's headline scores, then the signature."""
        lines = []
        if self.coverage[0] < self.coverage[1]:
            lines.append(f"scored {self.coverage_text} samples of {self.dataset} (--subset given)")
        for result in self.submitted:
            shown = []
            for name in SUMMARY:
                if name in result.metrics:
                    text = f"{name} {result.value(name):.2f}"
                    if name in result.intervals:
                        low, high = result.intervals[name]
                        text += f" [{low:.2f}, {high:.2f}]"
                    shown.append(text)
            lines.append(f"{result.name}: " + "; ".join(shown))
            if result.failed:
                first = next(iter(result.failed.items()))
                lines.append(
                    f"  {len(result.failed)} clip(s) failed in emer explain, not scored; first {first}"
                )
            if "label-flooding" in result.flags:
                lines.append(
                    f"  flag: label flooding ({result.value('classes per sample'):.1f} classes per sample)"
                )
            for warning in result.warnings[:3]:
                lines.append(f"  warning: {warning}")
            if len(result.warnings) > 3:
                lines.append(f"  ... and {len(result.warnings) - 3} more warnings (see scorecard.json)")
        top = self.leaderboard.head(5)
        if len(top):
            lines.append(
                f"top of the leaderboard by {self.rank_by}: "
                + ", ".join(f"{row.system} {row.value:.2f}" for row in top.itertuples(index=False))
            )
        lines.append(self.signature)
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        columns = ["rank", "system", "kind", "value", "low", "high", "tied_with_best"]
        board = self.leaderboard[columns].round(2).to_markdown(index=False)
        return (
            f"**emer scorecard** ({self.dataset}, ranked by {self.rank_by})\n\n{board}\n\n`{self.signature}`"
        )

    # -- writing ------------------------------------------------------------------------------------------
    def save(self, out_dir: str | os.PathLike) -> Path:
        """Write scorecard.json, scores, per_sample, leaderboard (+ figure), paired_tests, checkpoints."""
        from emer.scoring.leaderboard import leaderboard_figure

        folder = make_folder(out_dir, "the scorecard folder")
        text = json.dumps(
            self.to_json(), indent=2, ensure_ascii=False, allow_nan=False, default=_json_default
        )
        (folder / "scorecard.json").write_text(text + "\n", encoding="utf-8")
        run = {"notebook": "emer score", "params": self.options}
        save_table(self.scores(), "scores", folder, **run, digits=2)
        save_table(self.leaderboard, "leaderboard", folder, **run, digits=2)
        save_table(self.paired, "paired_tests", folder, **run, digits=4)
        if not self.checkpoints.empty:
            save_table(self.checkpoints, "checkpoints", folder, **run, digits=2)
        detail = self.per_sample()
        if not detail.empty:
            (folder / "tables").mkdir(exist_ok=True)
            detail.to_csv(folder / "tables" / "per_sample.csv", index=False, lineterminator="\n")
        if len(self.leaderboard):
            figure = leaderboard_figure(self.leaderboard, metric_label=self.rank_by)
            save_figure(figure, "leaderboard", folder)
        (folder / "signature.txt").write_text(self.signature + "\n", encoding="utf-8")
        return folder / "scorecard.json"


def require_full_set(coverage: tuple[int, int], against: str) -> None:
    """Refuse to rank scores of a subset against ``against``, figures computed on the whole split."""
    scored, total = coverage
    if scored < total:
        raise ValueError(
            f"these scores cover {scored:,} of the {total:,} samples (--subset given), but {against} was "
            f"computed on all {total:,}: rank a subset only against systems scored on the same samples "
            "(emer score restricts the released baselines to them)"
        )


# --- helpers ---------------------------------------------------------------------------------------------
def _flat(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k != "runs"}


def _finite(value: object) -> object:
    """The JSON tree with NaN / infinite floats as null (JSON has no NaN)."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, float | np.floating) and not np.isfinite(value):
        return None
    return value


def _json_default(value: object) -> object:
    if isinstance(value, np.integer | np.bool_):
        return value.item()
    if isinstance(value, np.floating):
        return None if np.isnan(value) else float(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    clean = frame.astype(object).where(frame.notna(), None)
    return clean.to_dict(orient="records")


def paired_tests(ranked: list[SystemResult], rank_by: str, scoring: ScoringRun) -> pd.DataFrame:
    """Paired tests on the ranking score. One family per submitted system (against every baseline and
    every other submitted system), and one of the top system against every other (the leaderboard's
    ties); Holm within each family. A family of m comparisons gets at least ``10 m / alpha``
    randomization draws, so that a Holm verdict is possible and not decided by the draws' floor."""
    from emer.metrics.significance import COMPARISON_COLUMNS, paired_comparisons

    options = scoring.options
    columns = ["family", *COMPARISON_COLUMNS, "n_permutations"]
    if len(ranked) < 2 or options.n_boot == 0:
        return pd.DataFrame(columns=columns)
    systems = {r.name: r.metrics[rank_by].x for r in ranked}
    statistic = ranked[0].metrics[rank_by].statistic
    names = [r.name for r in ranked]
    families = [
        (f"{r.name} vs others", [(r.name, b) for b in names if b != r.name])
        for r in ranked
        if r.kind == "submitted"
    ]
    best = max(ranked, key=lambda r: (r.value(rank_by), r.name)).name
    families.append(("top vs others", [(best, b) for b in names if b != best]))
    frames = []
    for family, pairs in families:
        permutations = max(options.n_boot, int(np.ceil(10 * len(pairs) / options.alpha)))
        table = paired_comparisons(
            systems,
            statistic,
            pairs,
            n_draws=options.n_boot,
            seed=options.seed,
            confidence=options.confidence,
            alpha=options.alpha,
            n_permutations=permutations,
        )
        frames.append(table.assign(family=family, n_permutations=permutations))
    frame = pd.concat(frames, ignore_index=True)
    return frame[columns]


def _leaderboard(
    ranked: list[SystemResult], rank_by: str, paired: pd.DataFrame, scoring: ScoringRun
) -> pd.DataFrame:
    rows = []
    top = paired[paired["family"] == "top vs others"] if len(paired) else paired
    significant = dict(zip(top["system_b"], top["significant"], strict=True)) if len(top) else {}
    for result in ranked:
        low, high = result.intervals.get(rank_by, (np.nan, np.nan))
        rows.append(
            {
                "system": result.name,
                "kind": result.kind,
                "labels": result.label_source,
                "value": result.value(rank_by),
                "low": low,
                "high": high,
                "submitted": result.kind == "submitted",
                "tied_with_best": not bool(significant.get(result.name, False)),
                "flag": ", ".join(result.flags),
            }
        )
    board = pd.DataFrame(rows)
    if board.empty:
        return board
    board = board.sort_values(["value", "system"], ascending=[False, True], ignore_index=True)
    board.insert(0, "rank", np.arange(1, len(board) + 1))
    board.insert(4, "metric", rank_by)
    scored, total = scoring.dataset.coverage
    board["coverage"] = f"{scored:,} of {total:,}"
    return board


def _checkpoint_table(
    results: list[SystemResult], submissions: list[Submission], rank_by: str
) -> pd.DataFrame:
    """Per checkpointed system: each checkpoint's headline scores, then rows last, mean and best."""
    frames = []
    for submission in submissions:
        if len(submission.checkpoints) < 2:
            continue
        rows = [r for r in results if r.checkpoint_of == submission.name]
        metrics = [m for m in HEADLINE if m in rows[0].metrics] or list(rows[0].metrics)
        table = pd.DataFrame(
            [
                {
                    "system": submission.name,
                    "checkpoint": r.name.split("@", 1)[1],
                    **{m: r.value(m) for m in metrics},
                }
                for r in rows
            ]
        )
        best = int(table[rank_by].to_numpy().argmax()) if rank_by in table else len(table) - 1
        summary = [
            {
                "system": submission.name,
                "checkpoint": f"last ({table['checkpoint'].iloc[-1]})",
                **table[metrics].iloc[-1].to_dict(),
            },
            {"system": submission.name, "checkpoint": "mean", **table[metrics].mean().to_dict()},
            {
                "system": submission.name,
                "checkpoint": f"best by {rank_by} ({table['checkpoint'].iloc[best]}; chosen on test labels)",
                **table[metrics].iloc[best].to_dict(),
            },
        ]
        frames.append(pd.concat([table, pd.DataFrame(summary)], ignore_index=True))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
