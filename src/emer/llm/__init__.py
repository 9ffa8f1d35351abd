"""The LLM layer: backends (OpenAI-compatible server, local transformers model, offline rules), the call
cache, the project's prompts, answer parsing and the five tasks (merge clues, extract OV labels, group
synonyms, map to one-hot, map OV labels to a sentiment).

Typical use::

    runner = make_runner("offline", cache_dir="outputs/cache", cache_mode="read-write", data_dir=data_dir)
    labels = extract_ov_labels(runner, frame_with_sample_and_text)
    runner.cache.close()
"""

from emer.llm.backends import (
    BACKENDS,
    SMOLLM2,
    Answer,
    Backend,
    BackendError,
    GenerationSettings,
    OpenAIBackend,
    Request,
    TransformersBackend,
    TransientError,
    make_backend,
)
from emer.llm.cache import MODES, CacheError, CallCache, ReplayMiss, open_cache
from emer.llm.offline import OfflineBackend, merge_template
from emer.llm.parsing import (
    MalformedAnswer,
    parse_groups,
    parse_labels,
    parse_merged,
    parse_onehot,
    parse_sentiment,
)
from emer.llm.runner import LLMRunner, Outcome, RunSettings
from emer.llm.session import make_runner
from emer.llm.tasks import (
    extract_ov_labels,
    group_synonyms,
    labels_or_empty,
    map_to_onehot,
    map_to_sentiment,
    merge_clues,
    sentiments_or_unparsable,
    synonym_grouping,
)

__all__ = [
    "BACKENDS",
    "MODES",
    "SMOLLM2",
    "Answer",
    "Backend",
    "BackendError",
    "CacheError",
    "CallCache",
    "GenerationSettings",
    "LLMRunner",
    "MalformedAnswer",
    "OfflineBackend",
    "OpenAIBackend",
    "Outcome",
    "ReplayMiss",
    "Request",
    "RunSettings",
    "TransformersBackend",
    "TransientError",
    "extract_ov_labels",
    "group_synonyms",
    "labels_or_empty",
    "make_backend",
    "make_runner",
    "map_to_onehot",
    "map_to_sentiment",
    "merge_clues",
    "merge_template",
    "open_cache",
    "parse_groups",
    "parse_labels",
    "parse_merged",
    "parse_onehot",
    "parse_sentiment",
    "sentiments_or_unparsable",
    "synonym_grouping",
]
