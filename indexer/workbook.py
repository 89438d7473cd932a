"""Reading an .xlsx workbook into raw rows, within limits that a small crafted file cannot get past.

A workbook is a zip of XML parts. openpyxl streams worksheets row by row, but reads
the other parts (shared strings, styles, theme, workbook …) whole into memory, at
about 12 bytes of memory per byte of XML and 0.2 s per MiB. So before openpyxl
sees it: the whole may unpack to ``MAX_XLSX_UNPACKED_BYTES``, the shared strings
(which hold the text of a real table) to ``MAX_XLSX_STRINGS_BYTES``, and any other
part that is not a worksheet to ``MAX_XLSX_PART_BYTES``. Parts are told apart by
their content type in ``[Content_Types].xml``, which is how openpyxl finds them.
"""

from __future__ import annotations

import datetime
import io
import re
import zipfile
from collections.abc import Iterator

import openpyxl

from .models import TableError
from .sources import MAX_FILE_BYTES, MAX_ROWS, RawRow, checked_cells

#: A workbook's parts, unpacked, may not exceed this in all (a small .xlsx can unpack to gigabytes).
MAX_XLSX_UNPACKED_BYTES = 4 * MAX_FILE_BYTES
#: Nor its shared strings (64 MiB take openpyxl about 11 s and 770 MB).
MAX_XLSX_STRINGS_BYTES = MAX_FILE_BYTES
#: Nor any other part that is not a worksheet: styles, theme, workbook, chart sheets … (a real one is far smaller).
MAX_XLSX_PART_BYTES = 8 * 1024 * 1024

_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_STRINGS = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_OVERRIDE = re.compile(r"<(?:\w+:)?Override\b([^>]*)>")
_ATTRIBUTE = re.compile(r'(\w+)\s*=\s*["\']([^"\']*)["\']')


def _content_types(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> dict[str, str]:
    """Part name (without the leading /) → content type, from ``[Content_Types].xml``'s overrides."""
    info = next((i for i in infos if i.filename == "[Content_Types].xml"), None)
    if info is None or info.file_size > MAX_XLSX_PART_BYTES:
        return {}  # openpyxl refuses a workbook without one; an oversized one is caught below
    text = archive.read(info).decode("utf-8", "replace")
    types = {}
    for match in _OVERRIDE.finditer(text):
        attributes = dict(_ATTRIBUTE.findall(match.group(1)))
        types[attributes.get("PartName", "").lstrip("/")] = attributes.get("ContentType", "")
    return types


def check_parts(name: str, data: bytes) -> None:
    """A ``TableError`` if the workbook would unpack past a limit (sizes from the zip's central directory;
    zipfile never unpacks more than a part's declared size)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
        types = _content_types(archive, infos)
    unpacked = sum(info.file_size for info in infos)
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise TableError(name, f"unpacks to {unpacked:,} bytes; the limit is {MAX_XLSX_UNPACKED_BYTES:,}")
    strings = 0
    for info in infos:
        kind = types.get(info.filename, "")
        if kind == _STRINGS:
            strings += info.file_size
        elif not (kind == _WORKSHEET and info.filename.startswith("xl/worksheets/")) \
                and info.file_size > MAX_XLSX_PART_BYTES:
            raise TableError(name, f"has a part {info.filename!r} of {info.file_size:,} bytes unpacked; the limit "
                             f"for a part that is not a worksheet is {MAX_XLSX_PART_BYTES:,}")
    if strings > MAX_XLSX_STRINGS_BYTES:
        raise TableError(name, f"has {strings:,} bytes of shared strings; the limit is {MAX_XLSX_STRINGS_BYTES:,}")


def xlsx_rows(name: str, data: bytes, sheet: str | None) -> Iterator[RawRow]:
    """The rows of a workbook's first sheet (or ``sheet``), each cell as the sheet shows it."""
    # A damaged workbook fails in zipfile, zlib, the XML parser or openpyxl, each with its own
    # exceptions (BadZipFile, zlib.error, NotImplementedError, KeyError, SyntaxError …): any of
    # them means the workbook cannot be read, and is reported as such.
    try:
        check_parts(name, data)
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
            yield RawRow(n, checked_cells(name, n, texts))
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


