"""Deprecated: ``python -m emer.llm`` is now ``emer record-calls`` (:mod:`emer.cli.record_calls`), with the
same options. This alias stays for one release."""

from __future__ import annotations

import sys
import warnings

# Listed in the ignore_imports of the import-linter contracts (pyproject.toml), as a deprecated alias.
from emer.cli import main as emer_main


def main(argv: list[str] | None = None) -> int:
    """``emer record-calls`` with ``argv``, after a deprecation warning."""
    warnings.warn(
        "`python -m emer.llm` is deprecated and will be removed in the next release; use `emer record-calls`",
        DeprecationWarning,
        stacklevel=2,
    )
    return emer_main(["record-calls", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
