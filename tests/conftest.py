"""Shared fixtures. Tests use the data copy named by EMER_DATA_DIR (the Makefile points it at
../shared/data when that folder exists); tests that need other data build it themselves."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from emer.data.store import ENV_DATA_DIR


@pytest.fixture(scope="session")
def data_dir() -> Path:
    value = os.environ.get(ENV_DATA_DIR)
    if not value:
        fallback = Path(__file__).resolve().parents[2] / "shared" / "data"
        if not fallback.is_dir():
            pytest.fail(f"{ENV_DATA_DIR} is not set and {fallback} does not exist: run `make test`.")
        value = str(fallback)
    return Path(value)
