"""Reading an .xlsx workbook into raw rows, within limits that a small crafted file cannot get past.

A workbook is a zip of XML parts. openpyxl streams worksheets row by row, but reads
the other parts (shared strings, styles, theme, workbook …) whole into memory, at
about 12 bytes of memory per byte of XML and 0.2 s per MiB. So before openpyxl
sees it: the whole may unpack to ``MAX_XLSX_UNPACKED_BYTES``, the shared strings
(which hold the text of a real table) to ``MAX_XLSX_STRINGS_BYTES``, and any other
XML part that is not a worksheet to ``MAX_XLSX_PART_BYTES``. Parts are found as
openpyxl finds them, with its own code: the manifest ``[Content_Types].xml`` names
the workbook part and the shared strings, the workbook's relationships its sheets.

An .xlsx is read by openpyxl, not calamine (which reads the .xls: the measurements and the
reasons are in ``xls.py``): calamine gives a cell's value without its number format, so 1
formatted ``0%`` would read 「1」, not 「100%」, and holds a sheet whole as the rectangle its cells
span (a 4.8 KB .xlsx with cells at A1 and IV65536 took it 520 MB), where openpyxl streams it.
``cell_text`` is shared by every workbook reader.
"""

from __future__ import annotations

import datetime
import functools
import io
import re
import zipfile
from collections.abc import Iterator

import openpyxl
from openpyxl.packaging.manifest import Manifest
from openpyxl.packaging.relationship import get_dependents, get_rels_path
from openpyxl.reader.excel import _find_workbook_part
from openpyxl.xml.constants import (
    ARC_APP,
    ARC_CONTENT_TYPES,
    ARC_CORE,
    ARC_CUSTOM,
    ARC_STYLE,
    ARC_THEME,
    SHARED_STRINGS,
)
from openpyxl.xml.functions import fromstring

from .models import TableError
from .sheets import MAX_FILE_BYTES, MAX_ROWS, RawRow, Sheet, checked_cells, missing_sheet

#: A workbook's parts, unpacked, may not exceed this in all (a small .xlsx can unpack to gigabytes).
MAX_XLSX_UNPACKED_BYTES = 4 * MAX_FILE_BYTES
#: Nor its shared strings (64 MiB take openpyxl about 11 s and 770 MB).
MAX_XLSX_STRINGS_BYTES = MAX_FILE_BYTES
#: Nor any other part that is not a worksheet: styles, theme, workbook, chart sheets … (a real one is far smaller).
MAX_XLSX_PART_BYTES = 8 * 1024 * 1024

WORKSHEET_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"

#: Parts openpyxl reads by their fixed names.
_FIXED = {ARC_CONTENT_TYPES, ARC_STYLE, ARC_THEME, ARC_CORE, ARC_APP, ARC_CUSTOM}


def _sized(file: str, archive: zipfile.ZipFile, part: str) -> bytes:
    """A part that must be read to find the others, checked against the part limit first."""
    size = archive.getinfo(part).file_size  # the entry zipfile (and so openpyxl) reads: the last of that name
    if size > MAX_XLSX_PART_BYTES:
        raise TableError(file, _too_big(part, size))
    return archive.read(part)


def _too_big(part: str, size: int) -> str:
    return (f"has a part {part!r} of {size:,} bytes unpacked; the limit for a part that is not a worksheet is "
            f"{MAX_XLSX_PART_BYTES:,}")


def _streamed_and_strings(file: str, archive: zipfile.ZipFile) -> tuple[set[str], str | None]:
    """The worksheet parts openpyxl streams in read-only mode, and its shared-strings part, found as openpyxl
    finds them: the manifest, the workbook part it names, that part's relationships."""
    manifest = Manifest.from_tree(fromstring(_sized(file, archive, ARC_CONTENT_TYPES)))
    strings = manifest.find(SHARED_STRINGS)
    workbook = _find_workbook_part(manifest).PartName[1:]
    rels_path = get_rels_path(workbook)
    if rels_path not in archive.namelist():
        return set(), strings.PartName[1:] if strings is not None else None
    _sized(file, archive, rels_path)
    rels = list(get_dependents(archive, rels_path))
    sheets = {r.target for r in rels if r.Type == WORKSHEET_REL}
    # a part that is also the target of another relation (a chart sheet, say) is read whole by that
    others = {r.target for r in rels if r.Type != WORKSHEET_REL}
    strings_part = strings.PartName[1:] if strings is not None else None
    return sheets - others - _FIXED - {workbook, rels_path, strings_part}, strings_part


def _parsed_as_xml(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """Whether a part starts like XML: anything else (a picture, an embedded file) fails openpyxl's parser at
    its first byte if it is parsed at all (openpyxl leaves pictures and embeddings alone in read-only mode)."""
    with archive.open(info) as part:
        head = part.read(64)
    return head.lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n").startswith(b"<")


def check_parts(name: str, data: bytes) -> None:
    """A ``TableError`` if the workbook would unpack past a limit (sizes from the zip's central directory;
    zipfile never unpacks more than a part's declared size)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
        unpacked = sum(info.file_size for info in infos)
        if unpacked > MAX_XLSX_UNPACKED_BYTES:
            raise TableError(name, f"unpacks to {unpacked:,} bytes; the limit is {MAX_XLSX_UNPACKED_BYTES:,}")
        streamed, strings_part = _streamed_and_strings(name, archive)
        for info in infos:
            if info.filename == strings_part:
                if info.file_size > MAX_XLSX_STRINGS_BYTES:
                    raise TableError(name, f"has {info.file_size:,} bytes of shared strings; the limit is "
                                     f"{MAX_XLSX_STRINGS_BYTES:,}")
            elif info.filename not in streamed and info.file_size > MAX_XLSX_PART_BYTES \
                    and _parsed_as_xml(archive, info):
                raise TableError(name, _too_big(info.filename, info.file_size))


def xlsx_sheets(name: str, data: bytes, sheet: str | None) -> Iterator[Sheet]:
    """The worksheets of a workbook in order (or only ``sheet``), each cell as the sheet shows it."""
    # A damaged workbook fails in zipfile, zlib, the XML parser or openpyxl, each with its own
    # exceptions (BadZipFile, zlib.error, NotImplementedError, KeyError, SyntaxError …): any of
    # them means the workbook cannot be read, and is reported as such.
    try:
        check_parts(name, data)
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except TableError:
        raise
    except Exception as exc:  # noqa: BLE001 - see above
        raise TableError(name, f"is not a readable .xlsx workbook ({reason(exc)})") from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise TableError(name, missing_sheet(sheet, book.sheetnames))
        for ws in [book[sheet]] if sheet else book.worksheets:
            yield Sheet(ws.title, _xlsx_rows(name, ws))
    finally:
        book.close()


def _xlsx_rows(name: str, ws) -> Iterator[RawRow]:
    n = 0
    try:
        for n, cells in enumerate(ws.iter_rows(), start=1):
            if n > MAX_ROWS:
                raise TableError(name, f"has more than {MAX_ROWS:,} rows", n)
            texts = [cell_text(c.value, is_percent_format(getattr(c, "number_format", None))) for c in cells]
            yield RawRow(n, checked_cells(name, n, texts))
    except TableError:
        raise
    except Exception as exc:  # noqa: BLE001 - a sheet's XML is parsed as it is read
        raise TableError(name, f"is not a readable .xlsx workbook ({reason(exc)})", n + 1) from None


def reason(exc: BaseException) -> str:
    """An exception as one short line."""
    text = " ".join(str(exc).split())[:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


#: What a number format shows literally: quoted text, an escaped character, [colour] or [$-411], padding.
_LITERAL = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]|[_*].')


@functools.lru_cache(maxsize=256)
def is_percent_format(number_format: str | None) -> bool:
    """Whether a number format shows a number as a percentage (``0%``, ``0.0%``), not a literal ``"%"``."""
    return bool(number_format) and "%" in _LITERAL.sub("", number_format)


def cell_text(value: object, percent: bool = False) -> str:
    """A cell as the sheet shows it: 1 formatted ``0%`` is 「100%」, as in a CSV saved by Excel."""
    if value is None:
        return ""
    if percent and isinstance(value, int | float) and not isinstance(value, bool):
        return f"{round(value * 100, 10):g}%"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime) and value.time() == datetime.time():
        return value.date().isoformat()
    return str(value)
