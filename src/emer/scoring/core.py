"""``emer score``: one or more systems' predictions in, the field's scores with intervals, paired tests
against the released baselines and a leaderboard out (see :func:`score`)."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from emer.data.datasets import Dataset, load_dataset
from emer.labels.wheel import label_losses, wheel_groupings
from emer.metrics.wheel import EWScorer
from emer.scoring import families as F
from emer.scoring.detail import ew_detail, hit_detail
from emer.scoring.extraction import Extractor, extract_labels, map_sentiments
from emer.scoring.inputs import Prediction, PredictionError, field_sentiment
from emer.scoring.scorecard import Scorecard, SystemResult
from emer.scoring.signature import signature
from emer.scoring.systems import (
    INPUTS,
    Submission,
    align,
    check_known_names,
    collect_submissions,
    english_label_lists,
    restrict,
)

SUBSETS = ("all", "given")
MATCHING_METRICS = ("bleu_1", "bleu_2", "bleu_3", "bleu_4", "meteor", "rouge_l", "cider", "similarity")


@dataclass(frozen=True)
class ScoreOptions:
    """Every choice behind a scorecard (all of them enter its signature)."""

    dataset: str = "ovmerd"
    labels: str | os.PathLike | None = None  # the user's gold file (MER2024, OV-MERD+, or any dataset)
    inputs: str = "auto"  # which kind of input to score: auto | descriptions | labels | sentiments
    subset: str = "all"  # all: every sample of the split | given: only the samples the predictions give
    metrics: tuple[str, ...] | None = None  # None: every family the dataset's gold and the inputs allow
    language: str = "en"  # gold descriptions for the matching metrics
    revision: str = "MER2025"
    choices: F.Choices = field(default_factory=F.Choices)
    rank_by: str | None = None  # None: M-avg where there are OV labels, else the hit rate
    n_boot: int = 1000  # 0: point estimates only (no intervals, no paired tests)
    seed: int = 0
    confidence: float = 0.95
    alpha: float = 0.05
    allow_missing: bool = False
    chinese: str = "translate"  # Chinese labels: put into English (unknown ones refused) | keep (dropped)
    baselines: bool = True
    checkpoints: bool = False
    extractor: Extractor = field(default_factory=Extractor)
    matching_cache_dir: str | os.PathLike | None = None
    detail: bool = True  # per-sample tables and the labels each mapping dropped (off: scores only)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.metrics or ()) - set(F.FAMILIES))
        if unknown:
            raise ValueError(f"unknown metric families {unknown}; choose from {', '.join(F.FAMILIES)}")
        if self.chinese not in ("translate", "keep"):
            raise ValueError(f"chinese must be 'translate' or 'keep', not {self.chinese!r}")
        if self.subset not in SUBSETS:
            raise ValueError(f"subset must be one of {', '.join(SUBSETS)}, not {self.subset!r}")
        if self.inputs not in INPUTS:
            raise ValueError(f"inputs must be one of {', '.join(INPUTS)}, not {self.inputs!r}")
        if self.language not in ("en", "zh"):
            raise ValueError(f"language must be 'en' or 'zh', not {self.language!r}")
        if isinstance(self.n_boot, bool) or not isinstance(self.n_boot, int) or self.n_boot < 0:
            raise ValueError(f"n_boot must be a whole number, 0 (no intervals) or more, not {self.n_boot!r}")
        if self.n_boot == 1:
            raise ValueError("n_boot=1: one draw is no interval; give 0 (no intervals) or 2 or more (1000)")
        if not 0 < self.confidence < 1:
            raise ValueError(f"confidence must be in (0, 1), not {self.confidence}")


def score(
    predictions: str | os.PathLike | Sequence[str | os.PathLike],
    dataset: str = "ovmerd",
    out_dir: str | os.PathLike | None = None,
    data_dir: str | os.PathLike | None = None,
    **options,
) -> Scorecard:
    """Score the systems in ``predictions`` (files, folders, ``NAME=PATH``, ``data:PATH``) on ``dataset``.

    ``options`` are the fields of :class:`ScoreOptions` (``extractor=Extractor(...)``, ``choices=...``).
    With ``out_dir`` the scorecard files are written there (:meth:`Scorecard.save`).
    """
    specs = (
        [str(predictions)] if isinstance(predictions, str | os.PathLike) else [str(p) for p in predictions]
    )
    opts = ScoreOptions(dataset=dataset, **options)
    card = Scoring(opts, data_dir).run(specs)
    if out_dir is not None:
        card.save(out_dir)
    return card


class Scoring:
    """One scoring run: the dataset, its mappings, the extractor; :meth:`run` gives the scorecard."""

    def __init__(
        self, options: ScoreOptions, data_dir: str | os.PathLike | None = None, dataset: Dataset | None = None
    ) -> None:
        self.options = options
        self.data_dir = data_dir
        self.dataset: Dataset = dataset or load_dataset(
            options.dataset, data_dir, baselines=options.baselines, labels=options.labels
        )
        self.groupings = wheel_groupings(data_dir, revision=options.revision)
        self.families = self._families()
        self.rank_by = options.rank_by or self._default_rank_by()
        scores = self.score_names()
        if self.rank_by not in scores:
            raise ValueError(
                f"--rank-by {self.rank_by!r} is not a score computed here; choose from {', '.join(scores)}"
            )
        # submitted labels are put into English (or refused) when read; released ones are scored as the
        # authors scored them, Chinese labels unmapped
        self.scorer = EWScorer(self.dataset.ov_gold, self.groupings, "keep") if self.dataset.ov_gold else None
        self._runners: dict[int, object] = {}
        self.extraction_label = ""
        self.mapping_label = ""
        self._encoder = None

    # -- setup --------------------------------------------------------------------------------------------
    def _families(self) -> tuple[str, ...]:
        d, asked = self.dataset, self.options.metrics
        available = {
            "ew": bool(d.ov_gold),
            "sets": bool(d.ov_gold),
            "hitrate": bool(d.onehot),
            "sentiment": bool(d.valence),
            "matching": self.options.language in d.descriptions,
        }
        if asked is None:
            return tuple(f for f in F.FAMILIES if available[f])
        lacking = [f for f in asked if not available[f]]
        if lacking:
            what = {
                "ew": "OV labels",
                "sets": "OV labels",
                "hitrate": "a one-hot label",
                "sentiment": "a sentiment value",
                "matching": f"{self.options.language} descriptions",
            }
            raise ValueError(
                f"dataset {d.name!r} has no gold for {lacking[0]!r} (it needs {what[lacking[0]]}); "
                f"families available here: {', '.join(f for f in F.FAMILIES if available[f])}"
            )
        return tuple(f for f in F.FAMILIES if f in asked)

    def _default_rank_by(self) -> str:
        if "ew" in self.families:
            return "M-avg"
        if "hitrate" in self.families:
            return "hit rate"
        if "sentiment" in self.families:
            return "sentiment WAF"
        return "Avg" if "sets" in self.families else "bleu_4"

    def score_names(self) -> list[str]:
        """The scores the chosen families give."""
        names = {
            "ew": F.EW_ORDER,
            "sets": list(F.SET_METRICS),
            "hitrate": list(F.HIT_METRICS),
            "sentiment": list(F.SENTIMENT_METRICS),
        }
        out = [n for f in self.families if f != "matching" for n in names[f]]
        return out + (list(MATCHING_METRICS) if "matching" in self.families else [])

    @property
    def needs_labels(self) -> bool:
        return any(f in self.families for f in ("ew", "sets", "hitrate"))

    def _runner(self, run: int):
        if run not in self._runners:
            self._runners[run] = self.options.extractor.runner(run, self.data_dir)
        return self._runners[run]

    def close(self) -> None:
        for runner in self._runners.values():
            runner.cache.close()

    # -- the run ------------------------------------------------------------------------------------------
    def run(self, specs: list[str]) -> Scorecard:
        submissions = collect_submissions(
            specs, self.data_dir, self.options.checkpoints, self._wanted_stages()
        )
        if self.options.metrics is None and not any(
            p.has_descriptions for s in submissions for p in s.checkpoints
        ):
            self.families = tuple(f for f in self.families if f != "matching")  # nothing to match
        for prediction in (p for s in submissions for p in s.checkpoints):
            check_known_names(prediction, self.dataset, self.data_dir)
        if self.options.subset == "given":
            self._restrict_to_given(submissions)
        for submission in submissions:
            for prediction in submission.checkpoints:
                restrict(prediction, self.options.inputs)
                self._check_kind(prediction)
                submission.missing[prediction.system] = align(
                    prediction, self.dataset, self.options.allow_missing
                )
        try:
            results = [r for s in submissions for r in self._score_submission(s)]
            results += self._score_baselines()
        finally:
            self.close()
        self._intervals(results)
        return Scorecard.build(self, results, submissions)

    def _score_submission(self, submission: Submission) -> list[SystemResult]:
        out = []
        for i, prediction in enumerate(submission.checkpoints):
            is_checkpoint = len(submission.checkpoints) > 1
            name = f"{submission.name}@{prediction.system}" if is_checkpoint else submission.name
            descriptions = (
                dict(
                    zip(
                        prediction.frame["sample"].tolist(),
                        prediction.frame["description"].tolist(),
                        strict=True,
                    )
                )
                if prediction.has_descriptions
                else None
            )
            result = SystemResult(
                name=name,
                kind="submitted",
                source=prediction.path,
                format=prediction.format,
                warnings=list(prediction.warnings),
                n_missing=submission.missing[prediction.system],
                failed=dict(prediction.failed),
                n_unparsed=int(prediction.frame["labels"].isna().sum()) if prediction.has_labels else 0,
                checkpoint_of=submission.name if is_checkpoint else "",
                is_final=i == len(submission.checkpoints) - 1,
            )
            given = self._given_sentiments(prediction)
            if prediction.has_labels:
                result.label_source = "given"
                runs = [english_label_lists(prediction, self.options.chinese)]
            elif not self.needs_labels and (given is not None or "sentiment" not in self.families):
                runs = [{s: [] for s in prediction.frame["sample"].tolist()}]
            else:
                result.label_source = "extracted"
                runs = self._extract(descriptions, result)
            sentiments = self._sentiments(runs, given, result)
            self._fill(result, runs, descriptions, sentiments)
            out.append(result)
        return out

    def _restrict_to_given(self, submissions: list[Submission]) -> None:
        """``--subset given``: score only the samples every submitted prediction answers (failed clips
        left out); the gold, the released baselines and so the paired tests are restricted alike."""
        predictions = [p for s in submissions for p in s.checkpoints]
        common = set.intersection(*(set(p.frame["sample"]) for p in predictions))
        if not common:
            raise PredictionError(
                "--subset given: the predictions share no sample of "
                f"{self.dataset.name!r}; give at least one sample every system answers"
            )
        self.dataset = self.dataset.restricted(common)
        for submission in submissions:
            for prediction in submission.checkpoints:
                prediction.frame = prediction.frame[prediction.frame["sample"].isin(common)]
        if self.dataset.ov_gold:
            self.scorer = EWScorer(self.dataset.ov_gold, self.groupings, "keep")

    def _wanted_stages(self) -> tuple[str, ...] | None:
        """Which of the field's stage files to read, in order of preference (None: all of them): the most
        processed kind this dataset scores, unless descriptions are needed too (matching metrics)."""
        if "matching" in self.families:
            return None
        sentiment = "sentiment" in self.families
        by_inputs = {
            "auto": ("sentiments", "labels", "descriptions") if sentiment else ("labels", "descriptions"),
            "descriptions": ("descriptions",),
            "labels": ("labels",),
            "sentiments": ("sentiments",),
        }
        return by_inputs[self.options.inputs]

    def _check_kind(self, prediction: Prediction) -> None:
        """Refuse a file whose kind of input this dataset cannot score, saying what the dataset needs."""
        if prediction.has_labels or prediction.has_descriptions:
            return
        label_families = [f for f in self.families if f in ("ew", "sets", "hitrate")]
        if label_families:
            spec = self.dataset.spec
            gold = f"its {len(spec.classes)} classes" if spec.classes else f"its {spec.gold} gold"
            raise PredictionError(
                f"{prediction.path}: gives sentiments (positive/negative/neutral) only, but "
                f"{spec.name!r} scores OV labels ({', '.join(label_families)}) against {gold}: give OV "
                "labels (an openset or labels column) or descriptions"
            )

    def _given_sentiments(self, prediction: Prediction) -> dict[str, str | None] | None:
        if not prediction.has_sentiments or "sentiment" not in self.families:
            return None
        frame = prediction.frame  # an unreadable answer is None (pandas may have made it NaN)
        pairs = zip(frame["sample"].tolist(), frame["sentiment"].tolist(), strict=True)
        return {s: v if isinstance(v, str) else None for s, v in pairs}

    def _sentiments(
        self,
        runs: list[dict[str, list[str]]],
        given: dict[str, str | None] | None,
        result: SystemResult,
        released: bool = False,
    ) -> list[dict[str, str | None]] | None:
        """Sentiments of each run: as given, or mapped from that run's labels (sentiment family only)."""
        if "sentiment" not in self.families:
            return None
        if given is not None:
            result.sentiment_source = "released" if released else "given"
            return [given] * len(runs)
        result.sentiment_source = "mapped"
        out = []
        for run, labels in enumerate(runs):
            sentiments, counts = map_sentiments(self._runner(run), labels)
            for status, n in counts.items():
                result.mapping[status] = result.mapping.get(status, 0) + n
            out.append(sentiments)
        self.mapping_label = self.options.extractor.describe_mapping(self._runner(0))
        return out

    def _extract(
        self, descriptions: dict[str, str], result: SystemResult, runs: int | None = None
    ) -> list[dict[str, list[str]]]:
        """Labels of each run (``runs`` of them, default the extractor's), outcome counts into ``result``."""
        out = []
        for run in range(self.options.extractor.runs if runs is None else runs):
            print(
                f"[emer score] extracting labels of {result.name} (run {run + 1})",
                file=sys.stderr,
                flush=True,
            )
            runner = self._runner(run)
            self.extraction_label = self.extraction_label or self.options.extractor.describe(runner)
            labels, counts = extract_labels(runner, descriptions)
            for status, n in counts.items():
                result.extraction[status] = result.extraction.get(status, 0) + n
            out.append(labels)
        return out

    def _score_baselines(self) -> list[SystemResult]:
        base = self.dataset.baselines
        if base is None:
            return []
        out = []
        for (system, setting), part in base.groupby(["system", "setting"], sort=True):
            name = f"{system} {setting}" if setting in ("S0", "S1", "S2") else system
            descriptions = dict(zip(part["sample"], part["description"], strict=True))
            result = SystemResult(name=name, kind="baseline", source="released", format="released")
            given = None
            if "sentiment" in part and "sentiment" in self.families:
                answers = zip(part["sample"], part["sentiment"], strict=True)
                given = {s: field_sentiment(v) for s, v in answers}
            if "labels" in part:
                result.label_source = "released"
                runs = [dict(zip(part["sample"], part["labels"], strict=True))]
            elif not self.needs_labels and (given is not None or "sentiment" not in self.families):
                runs = [{s: [] for s in descriptions}]
            else:
                result.label_source = "extracted"
                runs = self._extract(descriptions, result, runs=1)  # baselines: the first run's settings
            sentiments = self._sentiments(runs, given, result, released=True)
            wanted = self.rank_by in MATCHING_METRICS
            self._fill(result, runs, descriptions if wanted else None, sentiments, baseline=True)
            out.append(result)
        return out

    # -- metrics ------------------------------------------------------------------------------------------
    def _fill(
        self,
        result: SystemResult,
        runs: list[dict[str, list[str]]],
        descriptions: dict[str, str] | None,
        sentiments: list[dict[str, str | None]] | None = None,
        baseline: bool = False,
    ) -> None:
        """Every family's metrics of ``result`` for each run of labels (run 0 keeps the components)."""
        for r, labels in enumerate(runs):
            detail = self.options.detail and not baseline and r == 0
            metrics, tables = self._label_metrics(labels, detail=detail)
            if sentiments is not None:
                found, table = F.sentiment_metrics(
                    self.dataset.valence, sentiments[r], self.options.choices.sentiment
                )
                metrics += found
                if detail:
                    tables["sentiment"] = table
            if r == 0:
                result.metrics = {m.name: m for m in metrics}
                result.tables = tables
                result.labels = labels
            result.runs.append({m.name: m.value for m in metrics})
        if "matching" in self.families and descriptions is not None:
            for m in self._matching(result.name, descriptions):
                result.metrics[m.name] = m
                for run in result.runs:
                    run[m.name] = m.value
        if "ew" in self.families and self.scorer is not None and self.options.detail:
            frame = pd.DataFrame({"labels": list(runs[0].values())})
            losses = label_losses(frame, self.groupings, chinese="keep")
            result.dropped = {
                row.metric: {
                    "n": int(row.n_dropped),
                    "share": float(row.share_dropped),
                    "top": row.dropped[:10],
                }
                for row in losses.itertuples(index=False)
            }

    def _label_metrics(self, labels: Mapping[str, list[str]], detail: bool) -> tuple[list[F.Metric], dict]:
        metrics: list[F.Metric] = []
        tables: dict[str, pd.DataFrame] = {}
        choices = self.options.choices
        if self.scorer is not None and ("ew" in self.families or "sets" in self.families):
            arrays = F.ew_sample_arrays(self.scorer, labels, self.groupings, choices)
            if "ew" in self.families:
                metrics += F.ew_metrics(arrays, self.scorer.metrics, choices)
                if detail:
                    tables["ew"] = ew_detail(
                        self.scorer, self.dataset.ov_gold, self.groupings, labels, arrays
                    )
            if "sets" in self.families:
                identity, per_sample = F.identity_set_metrics(self.dataset.ov_gold, labels, choices)
                metrics += identity
                if detail:
                    tables["sets_ew"] = F.ew_set_rows(arrays, self.scorer.metrics)
                    tables["sets"] = per_sample
        if "hitrate" in self.families:
            gold = {s: self.dataset.onehot[s] for s in self.dataset.samples if s in self.dataset.onehot}
            found, per_sample = F.hit_rate_metric(
                gold, {s: labels[s] for s in gold}, self.groupings, self.options.choices.neutral
            )
            metrics += found
            if detail:
                tables["hitrate"] = hit_detail(per_sample, self.groupings, labels)
        return metrics, tables

    def _matching(self, system: str, descriptions: dict[str, str]) -> list[F.Metric]:
        from emer.metrics.matching import load_sentence_encoder, matching_scores

        language = self.options.language
        gold = self.dataset.descriptions[language]
        frame = pd.DataFrame(
            {
                "system": system,
                "setting": "",
                "sample": list(gold),
                "description": [descriptions[s] for s in gold],
            }
        )
        if language == "en" and self._encoder is None:
            self._encoder = load_sentence_encoder(cache_dir=self.options.matching_cache_dir)
        per_sample = matching_scores(
            frame,
            gold,
            language,
            encoder=self._encoder if language == "en" else None,
            cache_dir=self.options.matching_cache_dir,
        )
        return F.matching_metrics(per_sample, MATCHING_METRICS)

    # -- uncertainty --------------------------------------------------------------------------------------
    def _intervals(self, results: list[SystemResult]) -> None:
        """Bootstrap intervals of every score of the submitted systems and of the ranking score of the
        baselines: the same draws (seeded) for every system and score, as in notebook 04."""
        from emer.metrics.significance import bootstrap_intervals

        o = self.options
        if o.n_boot == 0:
            return
        for result in results:
            names = [n for n in result.metrics if result.kind == "submitted" or n == self.rank_by]
            items = [(result.metrics[n].x, result.metrics[n].statistic) for n in names]
            for name, (_, low, high) in zip(
                names, bootstrap_intervals(items, o.n_boot, o.seed, o.confidence), strict=True
            ):
                result.intervals[name] = (low, high)


__all__ = ["MATCHING_METRICS", "PredictionError", "ScoreOptions", "Scoring", "score", "signature"]
