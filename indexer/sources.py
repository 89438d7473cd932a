"""Read a table file (TSV, CSV or XLSX, in any usual encoding) into raw rows.

Only ``reader.py`` sees these rows; everything after it works on typed records.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import re
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

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
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise TableError(name, "is a folder, not a table file")
        if not stat.S_ISREG(info.st_mode):
            raise TableError(name, "is not a regular file (a device, pipe or socket); save the table as a file")
        if info.st_size > MAX_FILE_BYTES:
            raise TableError(name, f"is {info.st_size:,} bytes; the limit is {MAX_FILE_BYTES:,}")
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise TableError(name, f"grew past the limit of {MAX_FILE_BYTES:,} bytes while being read")
    except OSError as exc:
        raise TableError(name, f"cannot be read ({exc.strerror or exc})") from None
    if not data.strip():
        raise TableError(name, "is empty")
    if data[:4] == b"PK\x03\x04" or path.suffix.lower() in XLSX_SUFFIXES:
        yield from _xlsx_rows(name, data, sheet)
        return
    if path.suffix.lower() == ".xls":
        raise TableError(name, "is an old .xls workbook; save it as .xlsx or CSV")
    text = decode(name, data, encoding)
    yield from _text_rows(name, text, _delimiter(path, text))


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
            last = RawRow(start, _checked(name, start, row))
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
    """Whether the row starting on ``line`` opens a quote that runs to the end of the text."""
    tail = "".join(re.findall(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$", text)[line - 1:])
    limit = csv.field_size_limit(max(csv.field_size_limit(), len(tail) + 1))  # the whole tail may be one cell
    try:
        list(csv.reader(io.StringIO(tail, newline=""), delimiter=delimiter, strict=True))
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    finally:
        csv.field_size_limit(limit)
    return False


#: A workbook's files, unpacked, may not exceed this (a small .xlsx can unpack to gigabytes).
MAX_XLSX_UNPACKED_BYTES = 4 * MAX_FILE_BYTES
#: Nor its shared strings, which openpyxl holds in memory whole (about 12 bytes of memory per byte, 6 s per 32 MiB).
MAX_XLSX_STRINGS_BYTES = MAX_FILE_BYTES


def _xlsx_rows(name: str, data: bytes, sheet: str | None) -> Iterator[RawRow]:
    import openpyxl  # imported here: only workbooks need it

    # A damaged workbook fails in zipfile, zlib, the XML parser or openpyxl, each with its own
    # exceptions (BadZipFile, zlib.error, NotImplementedError, KeyError, SyntaxError …): any of
    # them means the workbook cannot be read, and is reported as such.
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()  # sizes from the central directory: zipfile reads no further
        unpacked = sum(info.file_size for info in infos)
        if unpacked > MAX_XLSX_UNPACKED_BYTES:
            raise TableError(name, f"unpacks to {unpacked:,} bytes; the limit is {MAX_XLSX_UNPACKED_BYTES:,}")
        strings = sum(info.file_size for info in infos if info.filename.lower().endswith("sharedstrings.xml"))
        if strings > MAX_XLSX_STRINGS_BYTES:
            raise TableError(name, f"has {strings:,} bytes of shared strings; the limit is {MAX_XLSX_STRINGS_BYTES:,}")
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except TableError:
        raise
    except Exception as exc:  # noqa: BLE001 - see above
        raise TableError(name, f"is not a readable .xlsx workbook ({_reason(exc)})") from None
    n = 0
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise TableError(name, f"has no sheet {sheet!r} (sheets: {', '.join(book.sheetnames)})")
        ws = book[sheet] if sheet else book.worksheets[0]
        for n, cells in enumerate(ws.iter_rows(), start=1):
            if n > MAX_ROWS:
                raise TableError(name, f"has more than {MAX_ROWS:,} rows", n)
            texts = [_cell_text(c.value, getattr(c, "number_format", None)) for c in cells]
            yield RawRow(n, _checked(name, n, texts))
    except TableError:
        raise
    except Exception as exc:  # noqa: BLE001 - a sheet's XML is parsed as it is read
        raise TableError(name, f"is not a readable .xlsx workbook ({_reason(exc)})", n + 1) from None
    finally:
        book.close()


def _reason(exc: Exception) -> str:
    """An exception as one short line."""
    text = " ".join(str(exc).split())[:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _cell_text(value: object, number_format: str | None = None) -> str:
    """A cell as the sheet shows it: 1 formatted ``0%`` is 「100%」, as in a CSV saved by Excel."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool) and "%" in (number_format or ""):
        return f"{round(value * 100, 10):g}%"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime) and value.time() == datetime.time():
        return value.date().isoformat()
    return str(value)


def _checked(name: str, line: int, cells: list[str]) -> list[str]:
    for cell in cells:
        if len(cell) > MAX_CELL_CHARS:
            raise TableError(name, f"has a cell of {len(cell):,} characters; the limit is {MAX_CELL_CHARS:,}", line)
    return cells
