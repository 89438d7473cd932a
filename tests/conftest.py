"""Fixtures shared by the test modules: the bundled table, raw and read."""

from __future__ import annotations

from pathlib import Path

import pytest
from table_tools import BUNDLED, tsv_rows

from indexer import Dataset, read_table


@pytest.fixture(scope="session")
def bundled_path() -> Path:
    """data/koganei_jisatsu_taisaku_r2_r3.tsv: 25 measures × 令和2・3年度, with layout faults."""
    return BUNDLED


@pytest.fixture(scope="session")
def bundled_rows(bundled_path: Path) -> list[list[str]]:
    """The bundled table's cells as written, one list per line."""
    return tsv_rows(bundled_path.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def bundled(bundled_path: Path) -> Dataset:
    """The bundled table, read."""
    return read_table(bundled_path)
