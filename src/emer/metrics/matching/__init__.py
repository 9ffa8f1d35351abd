"""Matching-based metrics: overlap of a predicted explanation with its gold explanation.

Per sample: BLEU-1..4, METEOR, ROUGE-L and CIDEr-D as pycocoevalcap 1.2 defines them, and a semantic
similarity (cosine of all-MiniLM-L6-v2 sentence embeddings). One gold description per sample. Each concern
is a module of its own; every name is importable from here:

- :mod:`~emer.metrics.matching.tokens`: text preparation (PTB tokenizer for English, jieba for Chinese);
- :mod:`~emer.metrics.matching.bleu`, :mod:`~emer.metrics.matching.meteor`,
  :mod:`~emer.metrics.matching.rouge`, :mod:`~emer.metrics.matching.cider`,
  :mod:`~emer.metrics.matching.similarity`: one metric each (:mod:`~emer.metrics.matching.ngrams`: the
  n-gram counts BLEU and CIDEr-D share; :mod:`~emer.metrics.matching.java`: the jars' Java runtime);
- :mod:`~emer.metrics.matching.tables`: :func:`matching_scores` (the per-sample table of every metric)
  and :func:`matching_system_table` (per-system means and pycocoevalcap's corpus BLEU/METEOR).
"""

from emer.metrics.matching.bleu import BLEU_COLUMNS, bleu_scores, corpus_bleu
from emer.metrics.matching.checks import LANGUAGES
from emer.metrics.matching.cider import cider_d_scores
from emer.metrics.matching.java import JAVA_HINT, JavaNotFoundError, java_executable
from emer.metrics.matching.meteor import (
    METEOR_CONFIGS,
    MeteorConfig,
    MeteorProcess,
    meteor_from_stats,
    meteor_scores,
)
from emer.metrics.matching.ngrams import NgramCounts
from emer.metrics.matching.rouge import lcs_length, rouge_l_scores
from emer.metrics.matching.similarity import (
    SIMILARITY_DECIMALS,
    SIMILARITY_GUARD,
    SentenceEncoder,
    _near_rounding_boundary,
    load_sentence_encoder,
)
from emer.metrics.matching.tables import (
    CORPUS_COLUMNS,
    KEYS,
    METRICS,
    PER_SAMPLE_COLUMNS,
    STAT_COLUMNS,
    gold_descriptions,
    matching_scores,
    matching_system_table,
)
from emer.metrics.matching.tokens import tokenize, tokenize_chinese, tokenize_english

__all__ = [
    "BLEU_COLUMNS",
    "CORPUS_COLUMNS",
    "JAVA_HINT",
    "KEYS",
    "LANGUAGES",
    "METEOR_CONFIGS",
    "METRICS",
    "PER_SAMPLE_COLUMNS",
    "SIMILARITY_DECIMALS",
    "SIMILARITY_GUARD",
    "STAT_COLUMNS",
    "JavaNotFoundError",
    "MeteorConfig",
    "MeteorProcess",
    "NgramCounts",
    "SentenceEncoder",
    "_near_rounding_boundary",
    "bleu_scores",
    "cider_d_scores",
    "corpus_bleu",
    "gold_descriptions",
    "java_executable",
    "lcs_length",
    "load_sentence_encoder",
    "matching_scores",
    "matching_system_table",
    "meteor_from_stats",
    "meteor_scores",
    "rouge_l_scores",
    "tokenize",
    "tokenize_chinese",
    "tokenize_english",
]
