"""What every table reader shares: the limits a table is read within, its raw rows and sheets, and the messages
about them. The text reader (``sources.py``) and the workbook readers (``workbook.py``, ``xls.py``, ``ods.py``)
import from here, and ``sources.py`` picks the reader: the arrows point one way."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from .models import TableError

#: Largest table file read, in bytes.
MAX_FILE_BYTES = 64 * 1024 * 1024
#: Largest cell kept, in characters; longer cells are an error, not truncated.
MAX_CELL_CHARS = 100_000
#: Most rows read from one table.
MAX_ROWS = 200_000
#: Most cells of an .xls or .ods workbook, counted over the rectangle each sheet's cells span: there a
#: far-off or repeated cell costs memory (calamine holds an .xls sheet as that rectangle) but no bytes.
MAX_CELLS = 10_000_000


@dataclass(frozen=True)
class RawRow:
    line: int
    cells: list[str]


@dataclass(frozen=True)
class Sheet:
    """One sheet of a table file: ``name`` is None for a text table. ``rows`` is read once, in order, and
    only while the sheets after it have not been asked for (a workbook is read as one stream)."""

    name: str | None
    rows: Iterator[RawRow]


def missing_sheet(sheet: str, names: list[str], count: int | None = None) -> str:
    return f"has no sheet {sheet!r} (sheets: {sheet_list(names, count)})"


def sheet_list(names: list[str], count: int | None = None) -> str:
    """The sheets' names for a message: the first 20, and how many there are in all if more."""
    count = len(names) if count is None else count
    return ", ".join(names[:20]) + (f" … {count:,} in all" if count > 20 else "")


def checked_cells(name: str, line: int, cells: list[str]) -> list[str]:
    """``cells``, or a ``TableError`` for one over ``MAX_CELL_CHARS``."""
    for cell in cells:
        if len(cell) > MAX_CELL_CHARS:
            raise TableError(name, f"has a cell of {len(cell):,} characters; the limit is {MAX_CELL_CHARS:,}", line)
    return cells
