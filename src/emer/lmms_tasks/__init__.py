"""EMER inside lmms-eval: task YAMLs for OV-MERD (S0, S1) and MER-UniBench, scored by ``emer``.

``emer lmms-tasks`` prints the folder to give lmms-eval as ``--include_path`` (its last line);
``--check TASK`` first builds the documents of the tasks and checks the user's videos, before lmms-eval
and any model are started. The tasks need lmms-eval (pinned: :data:`LMMS_EVAL_VERSION`) in its own
environment (``make env-lmms``); nothing here imports it. See docs/lmms-eval.md.
"""

from __future__ import annotations

from pathlib import Path

LMMS_EVAL_VERSION = "0.7.3"


def include_path() -> Path:
    """The folder of the task YAMLs (lmms-eval's ``--include_path``)."""
    return Path(__file__).resolve().parent / "tasks"


__all__ = ["LMMS_EVAL_VERSION", "include_path"]
