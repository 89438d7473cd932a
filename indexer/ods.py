"""Reading an OpenDocument spreadsheet (.ods, as LibreOffice saves it) into raw rows, as a stream.

An .ods is a zip whose ``content.xml`` holds every sheet. It is read here with the standard
library's expat, a chunk at a time, not with calamine (see ``xls.py`` for why): calamine gives
a percentage as a bare number and expands repeated cells into a whole grid before anything can be
checked (a 771-byte .ods took it 37 s and 12 GB), while a stream can check each limit before it
costs anything. So the only part read is ``content.xml`` (a "worksheet part" that may be as large
as a workbook may unpack to, ``MAX_XLSX_UNPACKED_BYTES``, and no larger), read through zipfile,
which never unpacks more than the size the zip declares. A repeated row or cell
(``number-rows-repeated``, ``number-columns-repeated``) is expanded only up to its last non-empty
cell and within ``MAX_ROWS``, ``MAX_COLUMNS`` and ``MAX_CELLS``; a long run of repeated spaces
(``text:s``) is counted, not built, against ``MAX_CELL_CHARS``. Row numbers are the sheet's own.

A cell reads as its value, as from an .xlsx: a number without a needless ".0", a percentage as
「100%」, a date as 2021-04-01; text is its paragraphs joined by line breaks, without comments.
"""

from __future__ import annotations

import datetime
import io
import re
import zipfile
from collections import deque
from collections.abc import Iterator
from xml.parsers import expat

from .models import TableError
from .sheets import MAX_CELL_CHARS, MAX_CELLS, MAX_ROWS, RawRow, Sheet, missing_sheet
from .workbook import MAX_XLSX_UNPACKED_BYTES, cell_text, reason

#: Most columns of a row (as in LibreOffice and Excel).
MAX_COLUMNS = 16_384
#: content.xml is parsed this much at a time.
CHUNK_BYTES = 1 << 20

_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0 "
_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0 "
_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0 "
_DRAW = "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0 "
_SHEET, _ROW = _TABLE + "table", _TABLE + "table-row"
_CELLS = {_TABLE + "table-cell", _TABLE + "covered-table-cell"}
_PARAGRAPHS = {_TEXT + "p", _TEXT + "h"}
#: Inside a cell, not its text: comments, drawings, the reading above ruby text.
_NOT_TEXT = {_OFFICE + "annotation", _TEXT + "ruby-text", _TEXT + "note-citation"}
_DURATION = re.compile(r"PT(\d+)H(\d+)M(\d+(?:\.\d+)?)S")


class _Unreadable(Exception):
    """content.xml is not what an .ods holds."""


class _Content:
    """content.xml parsed a chunk at a time into events: ("sheet", name), ("row", line, cells, repeat) for
    each row with a non-empty cell, and ("end", None) at the end of a sheet."""

    def __init__(self, name: str, part: io.BufferedIOBase) -> None:
        self.name = name
        self.part = part
        self.events: deque[tuple] = deque()
        self.parser = expat.ParserCreate(namespace_separator=" ")
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.parser.CharacterDataHandler = self._characters
        self.parser.buffer_text = True
        self.depth = 0  # of the elements open
        self.sheet_depth = 0  # the depth of the sheet's element while in one
        self.line = 0  # rows of the sheet so far, blank ones too
        self.cells_read = 0
        self.row: list[str] | None = None
        self.row_depth = 0
        self.row_repeat = 1
        self.pending_empty = 0  # empty cells not yet put in the row: only if a non-empty cell follows
        self.cell: dict | None = None  # the cell being read
        self.cell_depth = 0
        self.paragraph_depth = 0  # text counts only inside a paragraph
        self.skip_depth = 0  # the depth of an element whose content is not text, while in one

    def __iter__(self) -> Iterator[tuple]:
        while True:
            while self.events:
                yield self.events.popleft()
            chunk = self.part.read(CHUNK_BYTES)
            self.parser.Parse(chunk, not chunk)
            if not chunk:
                yield from self.events
                return

    def where(self) -> int | None:
        return self.line + 1 if self.sheet_depth else None

    def _start(self, tag: str, attrs: dict[str, str]) -> None:
        self.depth += 1
        if self.skip_depth:
            return
        if self.cell is not None:  # inside a cell: its text
            if tag in _PARAGRAPHS:
                if self.cell["paragraphs"]:
                    self._add("\n")
                self.cell["paragraphs"] += 1
                self.paragraph_depth += 1
            elif tag == _TEXT + "s":
                self._add(" ", _count(attrs.get(_TEXT + "c", "1")))
            elif tag == _TEXT + "tab":
                self._add("\t")
            elif tag == _TEXT + "line-break":
                self._add("\n")
            elif tag in _NOT_TEXT or tag.startswith(_DRAW) or tag == _SHEET:
                self.skip_depth = self.depth
        elif tag == _SHEET and not self.sheet_depth:
            self.sheet_depth, self.line, self.cells_read = self.depth, 0, 0
            self.events.append(("sheet", attrs.get(_TABLE + "name", "")))
        elif tag == _ROW and self.sheet_depth and self.row is None:
            self.row, self.row_depth, self.pending_empty = [], self.depth, 0
            self.row_repeat = _count(attrs.get(_TABLE + "number-rows-repeated", "1"))
        elif tag in _CELLS and self.row is not None:
            self.cell, self.cell_depth = {"attrs": attrs, "text": [], "length": 0, "paragraphs": 0}, self.depth
            self.cell["repeat"] = _count(attrs.get(_TABLE + "number-columns-repeated", "1"))

    def _end(self, tag: str) -> None:
        self.depth -= 1
        if self.skip_depth:
            if self.depth < self.skip_depth:
                self.skip_depth = 0
            return
        depth = self.depth + 1  # the element's own
        if self.cell is not None:
            if depth == self.cell_depth:
                self._end_cell()
            elif tag in _PARAGRAPHS:
                self.paragraph_depth -= 1
        elif depth == self.row_depth and self.row is not None:
            self._end_row()
        elif depth == self.sheet_depth:
            self.sheet_depth = 0
            self.events.append(("end", None))

    def _characters(self, data: str) -> None:
        if self.paragraph_depth and not self.skip_depth:
            self._add(data)

    def _add(self, text: str, times: int = 1) -> None:
        cell = self.cell
        assert cell is not None
        cell["length"] += len(text) * times
        if cell["length"] <= MAX_CELL_CHARS:
            cell["text"].append(text * times)

    def _end_cell(self) -> None:
        cell, self.cell, self.paragraph_depth = self.cell, None, 0
        assert cell is not None and self.row is not None
        if cell["length"] > MAX_CELL_CHARS:
            raise TableError(self.name, f"has a cell of {cell['length']:,} characters; the limit is "
                             f"{MAX_CELL_CHARS:,}", self.line + 1)
        text = _value(cell["attrs"], "".join(cell["text"]))
        if not text:
            self.pending_empty += cell["repeat"]
            return
        width = len(self.row) + self.pending_empty + cell["repeat"]
        if width > MAX_COLUMNS:
            raise TableError(self.name, f"has a row of more than {MAX_COLUMNS:,} columns", self.line + 1)
        self.row += [""] * self.pending_empty + [text] * cell["repeat"]
        self.pending_empty = 0

    def _end_row(self) -> None:
        row, self.row = self.row, None
        assert row is not None
        if row:
            if self.line + self.row_repeat > MAX_ROWS:
                raise TableError(self.name, f"has more than {MAX_ROWS:,} rows", MAX_ROWS + 1)
            self.cells_read += len(row) * self.row_repeat
            if self.cells_read > MAX_CELLS:
                raise TableError(self.name, f"has a sheet of more than {MAX_CELLS:,} cells", self.line + 1)
            self.events.append(("row", self.line + 1, row, self.row_repeat))
        self.line += self.row_repeat


def _count(text: str) -> int:
    """A repeat count: a whole number of at least 1 (an absurd one is capped by the limits it runs into)."""
    try:
        return max(1, int(text))
    except ValueError:
        raise _Unreadable(f"a repeat count {text[:20]!r} is not a number") from None


def _value(attrs: dict[str, str], text: str) -> str:
    """A cell as the sheet shows it, from its value where it has one (as from an .xlsx), else its text."""
    kind = attrs.get(_OFFICE + "value-type", "")
    try:
        if kind in ("float", "percentage", "currency") and _OFFICE + "value" in attrs:
            return cell_text(float(attrs[_OFFICE + "value"]), kind == "percentage")
        if kind == "date" and _OFFICE + "date-value" in attrs:
            value = attrs[_OFFICE + "date-value"]
            return cell_text(datetime.datetime.fromisoformat(value)) if "T" in value else value
        if kind == "time" and _OFFICE + "time-value" in attrs:
            m = _DURATION.fullmatch(attrs[_OFFICE + "time-value"])
            if m and int(m[1]) < 24:
                return cell_text(datetime.time(int(m[1]), int(m[2]), int(float(m[3]))))
        if kind == "boolean" and _OFFICE + "boolean-value" in attrs:
            return cell_text(attrs[_OFFICE + "boolean-value"].lower() == "true")
        if kind == "string" and _OFFICE + "string-value" in attrs:
            return attrs[_OFFICE + "string-value"]
    except ValueError:
        pass  # a value that is not one: the text the sheet shows
    return text


def ods_sheets(name: str, data: bytes, sheet: str | None) -> Iterator[Sheet]:
    """The sheets of an .ods in order (or only ``sheet``), each read as the one before it is left."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_XLSX_UNPACKED_BYTES:
            raise TableError(name, f"unpacks to {unpacked:,} bytes; the limit is {MAX_XLSX_UNPACKED_BYTES:,}")
        if _encrypted(archive):
            raise TableError(name, "is a password-protected workbook; save it without the password")
        part = archive.open("content.xml")
    except TableError:
        raise
    except Exception as exc:  # noqa: BLE001 - BadZipFile, KeyError (no content.xml), zlib.error …
        raise TableError(name, f"is not a readable .ods workbook ({reason(exc)})") from None
    content = _Content(name, part)
    events = iter(content)
    names: list[str] = []  # the first few, for a message
    count = 0
    try:
        # The rows (and the end) of a sheet not asked for, or left part-read, are passed over here.
        for event in _guarded(name, content, events):
            if event[0] != "sheet":
                continue
            count += 1
            if len(names) < 20:
                names.append(event[1])
            if sheet is None or event[1] == sheet:
                yield Sheet(event[1], _rows(name, content, events))
                if sheet is not None:
                    return
        if sheet is not None:
            raise TableError(name, missing_sheet(sheet, names, count))
    finally:
        part.close()
        archive.close()


def _encrypted(archive: zipfile.ZipFile) -> bool:
    """Whether the manifest says the parts are encrypted (read in chunks: it is not held whole)."""
    if "META-INF/manifest.xml" not in archive.namelist():
        return False
    tail = b""
    with archive.open("META-INF/manifest.xml") as manifest:
        while chunk := manifest.read(CHUNK_BYTES):
            if b"encryption-data" in tail + chunk:
                return True
            tail = chunk[-20:]
    return False


def _guarded(name: str, content: _Content, events: Iterator[tuple]) -> Iterator[tuple]:
    """The events, with any failure of the zip or the XML as one ``TableError`` naming the row."""
    while True:
        try:
            event = next(events)
        except StopIteration:
            return
        except TableError:
            raise
        except Exception as exc:  # noqa: BLE001 - ExpatError, BadZipFile (a bad CRC), zlib.error, _Unreadable …
            raise TableError(name, f"is not a readable .ods workbook ({reason(exc)})", content.where()) from None
        yield event


def _rows(name: str, content: _Content, events: Iterator[tuple]) -> Iterator[RawRow]:
    """The rows of the sheet just begun, blank ones between non-empty ones too (not those after the last)."""
    last = 0
    for event in _guarded(name, content, events):
        if event[0] == "end":
            return
        _, line, cells, repeat = event
        for blank in range(last + 1, line):
            yield RawRow(blank, [])
        for n in range(line, line + repeat):
            yield RawRow(n, cells)
        last = line + repeat - 1
