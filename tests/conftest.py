"""Shared fixtures: the real-data folder (skips cleanly without MORELIB_DATA_DIR)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from morelib.settings import data_dir as _data_dir

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture
def real_data_dir() -> Path:
    path = _data_dir()
    if path is None:
        pytest.skip("MORELIB_DATA_DIR is not set: real test sets unavailable")
    return path
