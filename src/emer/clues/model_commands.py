"""Deprecated: the ``emer explain --pipeline {emer,direct}`` options and handler moved to
:mod:`emer.cli.explain_models`. This alias stays for one release."""

from __future__ import annotations

import warnings

# Listed in the ignore_imports of the import-linter contracts (pyproject.toml), as a deprecated alias.
from emer.cli.explain_models import add_options as add_model_options
from emer.cli.explain_models import run as run_model_command

warnings.warn(
    "emer.clues.model_commands is deprecated and will be removed in the next release; use "
    "emer.cli.explain_models (add_options, run)",
    DeprecationWarning,
    stacklevel=2,
)

__all__ = ["add_model_options", "run_model_command"]
