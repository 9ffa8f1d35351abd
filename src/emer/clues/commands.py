"""Deprecated: the ``emer clues`` and ``emer explain`` command glue moved to the command-line package
(:mod:`emer.cli.clues`, :mod:`emer.cli.explain`). This alias stays for one release."""

from __future__ import annotations

import warnings

# Listed in the ignore_imports of the import-linter contracts (pyproject.toml), as a deprecated alias.
from emer.cli import clues, explain

warnings.warn(
    "emer.clues.commands is deprecated and will be removed in the next release; the commands are in "
    "emer.cli.clues and emer.cli.explain",
    DeprecationWarning,
    stacklevel=2,
)


def add_clue_commands(commands) -> None:
    """Register ``clues`` and ``explain`` on the ``emer`` subparsers object."""
    clues.add_parser(commands)
    explain.add_parser(commands)
