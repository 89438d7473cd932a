"""Read a table file (TSV, CSV or XLSX, in any usual encoding) into raw rows.

Only ``reader.py`` sees these rows; everything after it works on typed records.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .models import TableError

#: Largest table file read, in bytes.
MAX_FILE_BYTES = 64 * 1024 * 1024
#: Largest cell kept, in characters; longer cells are an error, not truncated.
MAX_CELL_CHARS = 100_000
#: Most rows read from one table.
MAX_ROWS = 200_000

TEXT_SUFFIXES = {".tsv", ".csv", ".tab"}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
TABLE_SUFFIXES = TEXT_SUFFIXES | XLSX_SUFFIXES


@dataclass(frozen=True)
class RawRow:
    line: int
    cells: list[str]


def table_files(folder: Path) -> list[Path]:
    """The table files of a folder (by suffix), in name order."""
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in TABLE_SUFFIXES and p.is_file())


def read_rows(path: Path, encoding: str | None = None, sheet: str | None = None) -> Iterator[RawRow]:
    """Rows of a table file with their 1-based line (or worksheet row) numbers."""
    name = str(path)
    if _BAD_NAME.search(path.name):
        raise TableError(name, "has a file name that is not UTF-8 text or holds control characters; rename the file")
    try:
        if path.is_dir():
            raise TableError(name, "is a folder, not a table file")
        if not stat.S_ISREG(path.stat().st_mode):  # before opening: opening some devices does something
            raise TableError(name, _NOT_A_FILE)
        with _open_table(path) as handle:  # checked once open: the path cannot be swapped in between
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):  # and after: the path may have been swapped in between
                raise TableError(name, _NOT_A_FILE)
            if info.st_size > MAX_FILE_BYTES:
                raise TableError(name, f"is {info.st_size:,} bytes; the limit is {MAX_FILE_BYTES:,}")
            data = handle.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise TableError(name, f"grew past the limit of {MAX_FILE_BYTES:,} bytes while being read")
    except OSError as exc:
        raise TableError(name, f"cannot be read ({exc.strerror or exc})") from None
    if not data.strip():
        raise TableError(name, "is empty")
    if data[:4] == b"PK\x03\x04" or path.suffix.lower() in XLSX_SUFFIXES:
        from .workbook import xlsx_rows  # imported here: it imports openpyxl, which only workbooks need

        yield from xlsx_rows(name, data, sheet)
        return
    if path.suffix.lower() == ".xls":
        raise TableError(name, "is an old .xls workbook; save it as .xlsx or CSV")
    text = decode(name, data, encoding)
    yield from _text_rows(name, text, _delimiter(path, text))


_NOT_A_FILE = "is not a regular file (a device, pipe or socket); save the table as a file"
#: Control characters, and lone surrogates (the bytes of a name that is not UTF-8). Spaces of any width,
#: zero-width and other format characters are ordinary in file names (令和3年度　評価表.tsv).
_BAD_NAME = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def _open_table(path: Path) -> BinaryIO:
    """``path`` open for reading without waiting: opening a pipe would otherwise block until a writer came."""
    return os.fdopen(os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)), "rb")


def decode(name: str, data: bytes, encoding: str | None = None) -> str:
    """Decode with ``encoding``, else detect UTF-8 (with or without BOM), UTF-16 or CP932."""
    if encoding:
        try:
            return data.decode(encoding)
        except LookupError:
            raise TableError(name, f"unknown encoding {encoding!r}") from None
        except UnicodeDecodeError as exc:
            raise TableError(name, f"is not valid {encoding}: {_where(data, exc)}", _line(data, exc)) from None
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8):].decode("utf-8")
        except UnicodeDecodeError as exc:
            exc.start += len(codecs.BOM_UTF8)
            raise TableError(name, f"has a UTF-8 mark but is not valid UTF-8: {_where(data, exc)}",
                             _line(data, exc)) from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise TableError(name, "has a UTF-16 mark but is not valid UTF-16") from None
    if b"\x00" in data:
        raise TableError(name, "looks binary (NUL bytes), not a TSV, CSV or XLSX table")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        not_utf8 = exc
    try:
        return data.decode("cp932")
    except UnicodeDecodeError:
        pass
    raise TableError(name, f"is neither UTF-8 nor Shift_JIS (CP932): {_where(data, not_utf8)} is not UTF-8; "
                     "fix it or pass --encoding", _line(data, not_utf8))


def _line(data: bytes, exc: UnicodeDecodeError) -> int:
    return data.count(b"\n", 0, exc.start) + 1


def _where(data: bytes, exc: UnicodeDecodeError) -> str:
    """The first undecodable bytes, as hex (the line goes in the error's ``file:line``)."""
    return f"byte {exc.start} (0x{data[exc.start:exc.start + 4].hex()})"


def _delimiter(path: Path, text: str) -> str:
    suffix = path.suffix.lower()
    if suffix in {".tsv", ".tab"}:
        return "\t"
    head = text[:20000]
    if suffix == ".csv":
        return "\t" if head.count("\t") > head.count(",") * 2 else ","
    return "\t" if head.count("\t") >= head.count(",") else ","


def _text_rows(name: str, text: str, delimiter: str) -> Iterator[RawRow]:
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    start, last = 1, None
    try:
        for n, row in enumerate(reader):
            if n >= MAX_ROWS:
                raise TableError(name, f"has more than {MAX_ROWS:,} rows", start)
            if last is not None:
                yield last
            last = RawRow(start, checked_cells(name, start, row))
            start = reader.line_num + 1
    except csv.Error as exc:
        if "field larger than field limit" not in str(exc):
            raise TableError(name, f"is not a readable table ({exc})", start) from None
        if _unclosed_quote(text, start, delimiter):
            raise TableError(name, _UNCLOSED, start) from None
        raise TableError(name, f"has a cell of more than {csv.field_size_limit():,} characters; "
                         f"the limit is {MAX_CELL_CHARS:,}", start) from None
    if last is not None:
        if start - 1 > last.line and _unclosed_quote(text, last.line, delimiter):
            raise TableError(name, _UNCLOSED, last.line)
        yield last


_UNCLOSED = ('a quoted cell starting on this line is never closed (a closing " is missing), '
             "so every line after it would be read as that one cell")


def _unclosed_quote(text: str, line: int, delimiter: str) -> bool:
    """Whether a quoted cell from the row starting on ``line`` on runs to the end of the text.

    Scans the runs of quotes itself, in constant memory (the csv module would stop at its own field
    size limit, which is process-wide and so not to be changed while another thread reads): a quote
    opens a cell only at the start of one, and inside it ``""`` is an escaped quote, so a run of an odd
    number of quotes closes the cell.
    """
    start = 0
    if line > 1:
        breaks = re.finditer(r"\r\n|\r|\n", text)
        start = next(m for i, m in enumerate(breaks, start=2) if i == line).end()
    fresh = (delimiter, "\r", "\n")
    quoted = False
    for run in _QUOTES.finditer(text, start):
        size = run.end() - run.start()
        if quoted:
            quoted = size % 2 == 0  # pairs are escaped quotes; an odd one out closes
        elif run.start() == start or text[run.start() - 1] in fresh:
            quoted = size % 2 == 1  # the first opens; of the rest, pairs are escaped, an odd one out closes
    return quoted


_QUOTES = re.compile('"+')


def checked_cells(name: str, line: int, cells: list[str]) -> list[str]:
    """``cells``, or a ``TableError`` for one over ``MAX_CELL_CHARS``."""
    for cell in cells:
        if len(cell) > MAX_CELL_CHARS:
            raise TableError(name, f"has a cell of {len(cell):,} characters; the limit is {MAX_CELL_CHARS:,}", line)
    return cells
