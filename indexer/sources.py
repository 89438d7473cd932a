"""Read a table file (TSV or CSV in any usual encoding, or an .xlsx, .xls or .ods workbook) into raw rows.

A text table is one sheet; a workbook is its sheets in order, each read only when asked for
(``read_sheets``): the reader takes the one named in the config, else the first with a header.
What a file is comes from its first bytes, not its name: a zip is an .xlsx or an .ods workbook
(told apart by its parts), an OLE2 compound file an .xls; a file named as a workbook of another
kind, or a text file named as a workbook, is refused with a line saying what it is.
Only ``reader.py`` sees these rows; everything after it works on typed records.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import stat
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from .models import TableError
from .sheets import (  # noqa: F401 - read here, and named here by the readers' callers
    MAX_CELL_CHARS,
    MAX_CELLS,
    MAX_FILE_BYTES,
    MAX_ROWS,
    RawRow,
    Sheet,
    checked_cells,
    missing_sheet,
    sheet_list,
)

TEXT_SUFFIXES = {".tsv", ".csv", ".tab"}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
XLS_SUFFIXES = {".xls"}
ODS_SUFFIXES = {".ods"}
WORKBOOK_SUFFIXES = XLSX_SUFFIXES | XLS_SUFFIXES | ODS_SUFFIXES
TABLE_SUFFIXES = TEXT_SUFFIXES | WORKBOOK_SUFFIXES
#: The formats named in messages.
FORMATS = ".tsv, .csv, .xlsx, .xls, .ods"

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"


def table_files(folder: Path) -> list[Path]:
    """The table files of a folder (by suffix), in name order."""
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in TABLE_SUFFIXES and p.is_file())


def skipped_entries(folder: Path) -> list[tuple[Path, str]]:
    """Entries of a folder named like tables that are not regular files (a pipe, a device, a link to one or to
    nothing, a folder): each with a one-line reason, in name order."""
    out = []
    for p in sorted(folder.iterdir()):
        if p.suffix.lower() not in TABLE_SUFFIXES or p.is_file():
            continue
        try:
            mode = p.stat().st_mode
        except OSError as exc:
            out.append((p, f"cannot be read ({exc.strerror or exc}: a link to nothing?); skipped"))
            continue
        kind = ("a folder" if stat.S_ISDIR(mode) else "a pipe" if stat.S_ISFIFO(mode) else "a device"
                if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode) else "not a file")
        out.append((p, f"is not a regular file ({kind}); skipped"))
    return out


def read_rows(path: Path, encoding: str | None = None, sheet: str | None = None) -> Iterator[RawRow]:
    """Rows of a table file (of a workbook's first sheet, or ``sheet``) with their 1-based line (or
    worksheet row) numbers."""
    sheets = read_sheets(path, encoding, sheet)
    try:
        first = next(sheets, None)
        if first is not None:
            yield from first.rows
    finally:
        sheets.close()


def read_sheets(path: Path, encoding: str | None = None, sheet: str | None = None) -> Iterator[Sheet]:
    """The sheets of a table file, in order: a text table's one, a workbook's worksheets, or only ``sheet``
    (an error naming the sheets there are if there is none of that name). Close it when done."""
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
    kind = _kind(name, path, data)
    # each reader imported here: openpyxl and calamine are only needed for workbooks
    if kind == ".xlsx":
        from .workbook import xlsx_sheets

        yield from xlsx_sheets(name, data, sheet)
    elif kind == ".xls":
        from .xls import xls_sheets

        yield from xls_sheets(name, data, sheet)
    elif kind == ".ods":
        from .ods import ods_sheets

        yield from ods_sheets(name, data, sheet)
    else:
        text = decode(name, data, encoding)
        yield Sheet(None, _text_rows(name, text, _delimiter(path, text)))


#: What each kind of file is called in messages.
_KINDS = {".xlsx": "an .xlsx workbook", ".xls": "an .xls workbook (or a password-protected .xlsx)",
          ".ods": "an .ods workbook"}


def _kind(name: str, path: Path, data: bytes) -> str:
    """What the file is: ".xlsx", ".xls" or ".ods" by its first bytes, else "text". A workbook suffix must
    agree: a file that is some other kind of workbook, or text, named as one is refused saying what it is."""
    suffix = path.suffix.lower()
    named = next((kind for kind, suffixes in _SUFFIXES.items() if suffix in suffixes), None)
    if data[:4] == ZIP_MAGIC:
        kind = _zip_kind(data)
        if kind is None:  # a damaged zip, or a zip of neither kind: the reader it is named for says why
            return named or ".xlsx"
    elif data[:8] == OLE2_MAGIC:
        kind = ".xls"
    elif named is not None and _looks_text(data):
        raise TableError(name, f"is not a readable {named} workbook: it is a text file (a CSV, TSV or web page "
                         f"named {suffix}?); save it as {named} or CSV, or rename it")
    else:  # text, or a workbook's name on something else: its reader names the damage
        return named or "text"
    if named is not None and kind != named:
        fix = f"rename it to {kind}" if kind != ".xls" else "rename it to .xls, or save it without a password"
        raise TableError(name, f"is not a readable {named} workbook: it is {_KINDS[kind]} named {suffix}; {fix}")
    return kind


_SUFFIXES = {".xlsx": XLSX_SUFFIXES, ".xls": XLS_SUFFIXES, ".ods": ODS_SUFFIXES}


def _zip_kind(data: bytes) -> str | None:
    """".ods" for a zip whose ``mimetype`` part says so, ".xlsx" for one with a ``[Content_Types].xml``,
    else None (a damaged zip, or some other)."""
    start = 30 + len(b"mimetype")
    if data[30:start] == b"mimetype" and data[start:start + len(ODS_MIMETYPE)] == ODS_MIMETYPE:
        return ".ods"  # first and uncompressed, as OpenDocument puts it: a damaged .ods is still known
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:  # reads the central directory only
            names = set(archive.namelist())
            if "mimetype" in names:
                info = archive.getinfo("mimetype")
                if info.file_size < 100 and archive.read(info).strip() == ODS_MIMETYPE:
                    return ".ods"
            return ".xlsx" if "[Content_Types].xml" in names else None
    except Exception:  # noqa: BLE001 - a damaged zip (BadZipFile, zlib.error …): not recognisably either
        return None


def _looks_text(data: bytes) -> bool:
    """Whether bytes read as text (a CSV, TSV or HTML file): no NUL, and UTF-8, UTF-16 or CP932."""
    head = data[:4096]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    if b"\x00" in head:
        return False
    for encoding in ("utf-8", "cp932"):
        try:
            head.decode(encoding)
            return True
        except UnicodeDecodeError as exc:
            if exc.start >= len(head) - 4:  # cut in the middle of a character
                return True
    return False


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
        raise TableError(name, "looks binary (NUL bytes), not a TSV, CSV, XLSX, XLS or ODS table")
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
