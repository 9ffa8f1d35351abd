"""The per-sample table of every matching metric and the per-system table.

The per-system table (:func:`matching_system_table`) reports the mean of the per-sample scores for every
metric (what the correlation analysis uses; for ROUGE-L and CIDEr-D this is also pycocoevalcap's system
figure) and, beside them, pycocoevalcap's corpus-level BLEU-1..4 and METEOR (``*_corpus``), recomputed from
the per-sample sufficient statistics kept in the per-sample table.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

import numpy as np
import pandas as pd

from emer.metrics.matching.bleu import BLEU_COLUMNS, bleu_of_sums, bleu_scores, bleu_sums
from emer.metrics.matching.checks import check_language, require_columns
from emer.metrics.matching.cider import cider_d_scores
from emer.metrics.matching.meteor import METEOR_CONFIGS, meteor_of_sums, meteor_rows, meteor_scores
from emer.metrics.matching.ngrams import NgramCounts
from emer.metrics.matching.rouge import rouge_l_scores
from emer.metrics.matching.similarity import SentenceEncoder
from emer.metrics.matching.tokens import tokenize

KEYS = ["system", "setting", "sample"]
METRICS = [*BLEU_COLUMNS, "meteor", "rouge_l", "cider", "similarity"]
#: Sufficient statistics kept per sample so corpus-level BLEU/METEOR can be recomputed on any subset.
STAT_COLUMNS = ["pred_tokens", "gold_tokens", "bleu_match_1", "bleu_match_2", "bleu_match_3", "bleu_match_4"]
PER_SAMPLE_COLUMNS = [*KEYS, "language", *METRICS, *STAT_COLUMNS, "meteor_stats"]
CORPUS_COLUMNS = [f"{c}_corpus" for c in BLEU_COLUMNS] + ["meteor_corpus"]


def gold_descriptions(gold: pd.DataFrame, language: str) -> dict[str, str]:
    """sample -> gold description in ``language`` from a loader table (columns sample, language, description).

    English EMER-v2 cells lose their ``Input:``/``Output:`` artifacts (:func:`emer.data.split.clean_english`).
    """
    from emer.data.split import clean_english

    check_language(language)
    require_columns(gold, ["sample", "language", "description"], "gold table")
    rows = gold[gold["language"] == language]
    if rows.empty:
        raise ValueError(
            f"gold table has no {language!r} rows; languages present: {sorted(set(gold['language']))}"
        )
    texts = {}
    for sample, text in zip(rows["sample"], rows["description"], strict=True):
        if sample in texts:
            raise ValueError(f"gold table: sample {sample} appears twice for language {language!r}")
        texts[sample] = clean_english(text)[0] if language == "en" else text.strip()
    return dict(sorted(texts.items()))


def matching_scores(
    predictions: pd.DataFrame,
    gold: Mapping[str, str],
    language: str,
    *,
    encoder: SentenceEncoder | None = None,
    meteor_workers: int = 1,
    cache_dir: str | os.PathLike | None = None,
    timings: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Tidy per-sample table of every matching metric.

    ``predictions`` has columns system, setting, sample, description (one row per system output);
    ``gold`` maps sample -> gold description (see :func:`gold_descriptions`). Every (system, setting)
    must answer every gold sample (an empty answer is an empty string, not a missing row). Without
    ``encoder`` (or for Chinese) the similarity column is NaN. ``meteor_workers``: METEOR jars run in
    parallel; ``cache_dir``: where METEOR statistics and sentence embeddings are kept between runs
    (values do not depend on either); ``timings``, when given, receives the seconds of each step.

    Columns: :data:`PER_SAMPLE_COLUMNS`, sorted by system, setting, sample.
    """
    check_language(language)
    clock = _Clock(timings)
    frame = _validated_predictions(predictions, gold)
    samples = frame["sample"].tolist()
    gold_raw = [gold[s] for s in samples]
    pred_raw = frame["description"].tolist()

    with clock("tokenize"):
        unique = sorted(set(pred_raw) | set(gold_raw))
        token_of = dict(zip(unique, tokenize(unique, language), strict=True))
        preds, golds = [token_of[t] for t in pred_raw], [token_of[t] for t in gold_raw]

    result = frame[["system", "setting", "sample"]].reset_index(drop=True)
    result["language"] = language
    with clock("ngram_counts"):
        counts = NgramCounts([*preds, *golds])
    with clock("bleu"):
        bleu = bleu_scores(preds, golds, counts)
        result[BLEU_COLUMNS] = bleu[BLEU_COLUMNS].to_numpy()
    with clock("meteor"):
        meteor = meteor_scores(preds, golds, language, workers=meteor_workers, cache_dir=cache_dir)
        result["meteor"] = meteor["meteor"].to_numpy()
    with clock("rouge_l"):
        result["rouge_l"] = rouge_l_scores(preds, golds)
    with clock("cider"):
        groups = list(result.groupby(["system", "setting"], sort=True).indices.values())
        result["cider"] = cider_d_scores(preds, golds, groups, counts=counts)
    with clock("similarity"):
        if encoder is not None and language == "en":
            result["similarity"] = encoder.similarity(pred_raw, gold_raw, cache_dir=cache_dir)
        else:
            result["similarity"] = np.nan
    for column in STAT_COLUMNS:
        result[column] = bleu[column].to_numpy(dtype=np.int64)
    result["meteor_stats"] = meteor["meteor_stats"].to_numpy()
    return result[PER_SAMPLE_COLUMNS]


class _Clock:
    """Context manager factory adding the wall time of each named step to a dict (or doing nothing)."""

    def __init__(self, timings: dict[str, float] | None) -> None:
        self.timings = timings

    @contextmanager
    def __call__(self, step: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            if self.timings is not None:
                self.timings[step] = self.timings.get(step, 0.0) + time.perf_counter() - start


def matching_system_table(
    per_sample: pd.DataFrame, keys: Sequence[str] = ("system", "setting"), corpus: bool = True
) -> pd.DataFrame:
    """Per-system table: mean of each per-sample metric, and (``corpus``) pycocoevalcap's corpus BLEU/METEOR.

    Columns: keys, language, n_samples, :data:`METRICS` (means; NaN skipped), then :data:`CORPUS_COLUMNS`.
    Usable as the aggregation of a bootstrap: it needs only the rows it is given (rows may repeat).
    """
    keys = list(keys)
    require_columns(per_sample, [*keys, "language", *METRICS], "per-sample table")
    if corpus:
        require_columns(per_sample, [*STAT_COLUMNS, "meteor_stats"], "per-sample table (corpus=True)")
    grouped = per_sample.groupby(keys, sort=True)
    mixed = grouped["language"].nunique()
    if (mixed > 1).any():
        raise ValueError(f"{mixed[mixed > 1].index[0]}: rows in several languages; score each language apart")
    table = grouped["language"].first().to_frame()
    table["n_samples"] = grouped.size()
    table[METRICS] = grouped[METRICS].mean()
    table = table.reset_index()
    if corpus:
        codes, n_groups = grouped.ngroup().to_numpy(), len(table)
        table[CORPUS_COLUMNS[:4]] = bleu_of_sums(*bleu_sums(per_sample, codes, n_groups))
        rows = meteor_rows(per_sample["meteor_stats"].tolist())
        sums = np.stack(
            [np.bincount(codes, weights=rows[:, j], minlength=n_groups) for j in range(rows.shape[1])], 1
        )
        meteor = np.full(n_groups, np.nan)
        for language in sorted(set(table["language"])):
            mask = (table["language"] == language).to_numpy()
            meteor[mask] = meteor_of_sums(sums[mask], METEOR_CONFIGS[language])
        table["meteor_corpus"] = meteor
    return table[[*keys, "language", "n_samples", *METRICS, *(CORPUS_COLUMNS if corpus else [])]]


def _validated_predictions(predictions: pd.DataFrame, gold: Mapping[str, str]) -> pd.DataFrame:
    require_columns(predictions, ["system", "setting", "sample", "description"], "predictions")
    frame = predictions.sort_values(KEYS, kind="stable").reset_index(drop=True)
    duplicated = frame.duplicated(KEYS)
    if duplicated.any():
        first = frame.iloc[int(np.flatnonzero(duplicated.to_numpy())[0])][KEYS].tolist()
        raise ValueError(f"predictions: (system, setting, sample) {first} appears more than once")
    for row in frame.itertuples(index=False):
        if not isinstance(row.description, str):
            raise TypeError(
                f"predictions: system {row.system}, setting {row.setting}, sample {row.sample}: description "
                f"is {row.description!r}; give an empty string for an empty answer"
            )
    for sample, text in gold.items():
        if not isinstance(text, str) or not text.strip():
            raise ValueError(
                f"gold: sample {sample} has no description ({text!r}); drop the sample or fix the gold"
            )
    unknown = sorted(set(frame["sample"]) - set(gold))
    if unknown:
        raise KeyError(f"{len(unknown)} predicted sample(s) have no gold description, first {unknown[:3]}")
    for (system, setting), rows in frame.groupby(["system", "setting"], sort=True):
        missing = sorted(set(gold) - set(rows["sample"]))
        if missing:
            raise KeyError(
                f"system {system}, setting {setting}: no prediction for {len(missing)} gold sample(s), first "
                f"{missing[:3]}; give an empty string for an unanswered sample or restrict the gold to the "
                "scored samples"
            )
    return frame
