"""The functions lmms-eval calls (named in the task YAML files through ``tasks/utils.py``)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from emer.data import DataError
from emer.lmms_tasks.config import ConfigError
from emer.lmms_tasks.documents import MediaCheckError, build_documents
from emer.lmms_tasks.requests import doc_to_messages, doc_to_text, doc_to_visual
from emer.lmms_tasks.scoring import aggregator, process_results


def documents_of(task: str) -> Callable[[Any], Any]:
    """``process_docs`` of ``task``: lmms-eval's placeholder split replaced by the task's documents."""

    def process_docs(placeholder: Any) -> Any:
        import datasets

        try:
            documents = build_documents(task)
        except (MediaCheckError, ConfigError, DataError) as exc:
            # lmms-eval retries a failing dataset load 5 times, then logs the error and exits with status 0;
            # SystemExit passes both, so the run stops at once, with status 2 and this message
            print(f"emer: error: {exc}", file=sys.stderr, flush=True)
            raise SystemExit(2) from None
        return datasets.Dataset.from_list(documents)

    process_docs.__name__ = f"process_docs_{task}"
    return process_docs


def doc_to_target(doc: dict) -> str:
    """No target in lmms-eval's sense: the gold stays with emer's scorer."""
    return ""


__all__ = [
    "aggregator",
    "doc_to_messages",
    "doc_to_target",
    "doc_to_text",
    "doc_to_visual",
    "documents_of",
    "process_results",
]
