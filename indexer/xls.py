"""Reading an old Excel .xls workbook (BIFF5/BIFF8 in an OLE2 compound file) into raw rows.

Which reader reads which workbook (python-calamine 0.9.1, calamine 0.37), decided by trying
each on a workbook saved by openpyxl and converted by LibreOffice 7.4 to .xls and .ods (whole
numbers, 0% and 0.0% percentages, dates, date-times, a merged cell, two empty rows and columns at
the top left), on 100,000 rows × 14 columns (60,000 in an .xls), and on crafted files:

- .xls: python-calamine. openpyxl cannot read .xls. calamine gives 1 for 1 (not 1.0), dates as
  dates, a merged cell's value in its top-left cell (as openpyxl does), text in the workbook's
  code page; 60,000 rows in 0.3 s and 235 MB (1.8 s and 280 MB with the scan below).
- .xlsx: openpyxl, as before: calamine gives 1 formatted ``0%`` as 1.0, with no way to tell, so
  「100%」 would read 「1」. calamine is 12× faster (100,000 rows: 1.2 s and 160 MB against
  openpyxl's 15 s and 50 MB), which a city's table of a few hundred rows does not need.
- .ods: our own streaming reader (``ods.py``), with expat: calamine loses the percentages there
  too, and expands repeated cells into a whole grid before anything can be checked: a 771-byte
  .ods (a cell repeated over 10,000 columns, that row over 10,000 rows) took it 37 s and 12 GB.
  The stream reads 100,000 rows in 7 s and 50 MB (calamine: 0.9 s and 230 MB).
- All three keep the sheet's own row numbers (calamine's ``to_python()`` would drop the empty
  rows at the top; ``iter_rows``, used here, does not).

calamine's .xls reader has the same two faults, and worse, so before calamine sees a
workbook ``_scan`` reads it here, in bounded time and memory, to refuse what it cannot hold:

- calamine holds each sheet as the rectangle its cells span (32 bytes a cell), every sheet
  from the moment the workbook is opened, and a copy of the one asked for: a 5.6 KB .xls with
  cells at A1 and IV65536 took 1 GB. The rectangles may not exceed ``MAX_CELLS`` in all (at the
  limit, 10 million cells: 2.6 s and 630 MB).
- calamine reserves room for the size a sheet declares (its DIMENSIONS record); a size past what
  can be allocated (a 6 KB file whose last row comes before its first) aborted the whole process
  (``memory allocation of 1374389503040 bytes failed``), which no ``except`` can catch. A declared
  size may be no more than an .xls sheet holds (65,536 × 256: address space, not memory).
- calamine gives the value of a cell, not its number format: the scan finds the cells whose
  format shows a percentage (``0%``, built in or the workbook's own), so that 1 reads 「100%」,
  as it does from an .xlsx and as Excel saves it to CSV.

Rows keep the sheet's own row and column numbers: calamine's ``iter_rows`` starts at the sheet's
first row (a blank top row is an empty row) but at its first used column; the empty columns on the
left are put back. Empty cells at the end of a row are left out, as in the .ods reader.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field

from .models import TableError
from .sheets import MAX_CELLS, MAX_ROWS, RawRow, Sheet, checked_cells, missing_sheet
from .workbook import cell_text, is_percent_format, reason

_FREE_OR_SPECIAL = 0xFFFFFFFA  # sector numbers from here on mark free sectors, ends of chains and FAT sectors
_END_OF_CHAIN = 0xFFFFFFFE
#: The names calamine looks for, BIFF8's and BIFF5's.
_STREAMS = ("workbook", "book")
#: Formats 9 and 10 are built in: 0% and 0.00%.
_BUILTIN_PERCENT = {9, 10}
#: Records of cells calamine reads (number, label, rich string, bool/error, RK, shared string, MulRK, formula).
_CELLS = {0x0203, 0x0204, 0x00D6, 0x0205, 0x027E, 0x00FD, 0x00BD, 0x0006}
#: Of those, the ones a number can be in, with the cell's format at bytes 4–5.
_NUMBERS = {0x0203, 0x027E, 0x0006}
_BOF, _EOF, _DIMENSIONS, _MULRK = 0x0809, 0x000A, 0x0200, 0x00BD
_BOUNDSHEET, _XF, _FORMAT, _FILEPASS = 0x0085, 0x00E0, 0x041E, 0x002F
_PASSWORD = "is a password-protected workbook; save it without the password"
#: The most cells of a BIFF8 sheet: 65,536 rows × 256 columns.
_SHEET_CELLS = 65_536 * 256


class _Unreadable(Exception):
    """The compound file or the BIFF records are not as they should be."""


class _Refused(Exception):
    """A readable workbook refused: the message says why."""


@dataclass
class _Scan:
    biff8: bool = True
    percent_xfs: set[int] = field(default_factory=set)
    #: where each sheet (worksheet, chart, macro sheet …) starts in the stream, in the workbook's order
    sheets: list[int] = field(default_factory=list)
    cells: int = 0


def _stream(data: bytes) -> bytes:
    """The workbook stream of an OLE2 compound file ([MS-CFB]); every chain is checked, so that a crafted
    file can neither loop nor point outside itself."""
    if len(data) < 512:
        raise _Unreadable("shorter than its header")
    shift, mini_shift = struct.unpack_from("<HH", data, 0x1E)
    if shift not in (9, 12) or mini_shift != 6:
        raise _Unreadable("not an OLE2 compound file (sector size)")
    size = 1 << shift
    base = size  # sector 0 starts after the header, which takes a whole sector
    count = (len(data) - base) // size
    n_fat, first_dir = struct.unpack_from("<II", data, 0x2C)
    cutoff, first_minifat, _, first_difat, _ = struct.unpack_from("<IIIII", data, 0x38)

    def sector(n: int) -> bytes:
        if n >= count:
            raise _Unreadable(f"sector {n} is past the end of the file")
        return data[base + n * size:base + (n + 1) * size]

    fat_sectors = [n for n in struct.unpack_from("<109I", data, 0x4C) if n < _FREE_OR_SPECIAL]
    n, steps = first_difat, 0
    while n < _FREE_OR_SPECIAL and len(fat_sectors) < n_fat:
        steps += 1
        if steps > count:
            raise _Unreadable("its sector table loops")
        block = struct.unpack(f"<{size // 4}I", sector(n))
        fat_sectors += [m for m in block[:-1] if m < _FREE_OR_SPECIAL]
        n = block[-1]
    if len(fat_sectors) > count:
        raise _Unreadable("its sector table is larger than the file")
    fat = b"".join(sector(n) for n in fat_sectors[:n_fat])

    def chain(first: int, table: bytes, limit: int) -> list[int]:
        out, n = [], first
        while n != _END_OF_CHAIN:
            if n >= _FREE_OR_SPECIAL or len(out) >= limit or n * 4 + 4 > len(table):
                raise _Unreadable("a chain of sectors is broken or loops")
            out.append(n)
            n = struct.unpack_from("<I", table, n * 4)[0]
        return out

    directory = b"".join(sector(n) for n in chain(first_dir, fat, count))
    entries = [directory[i:i + 128] for i in range(0, len(directory) - 127, 128)]
    if not entries or entries[0][66] != 5:
        raise _Unreadable("no root entry")
    streams = {}
    for entry in entries:
        length = min(struct.unpack_from("<H", entry, 64)[0], 64)
        if entry[66] == 2:  # a stream
            name = entry[:length].decode("utf-16-le", "replace").rstrip("\x00").lower()
            streams.setdefault(name, struct.unpack_from("<IQ", entry, 116))
    found = next((streams[name] for name in _STREAMS if name in streams), None)
    if found is None:
        if "encryptedpackage" in streams:
            raise _Refused(_PASSWORD)
        raise _Unreadable("no workbook stream in it")
    first, length = found
    if length > len(data):
        raise _Unreadable("its workbook stream is larger than the file")
    if length < cutoff:  # kept in the mini stream, in 64-byte sectors
        root_first = struct.unpack_from("<I", entries[0], 116)[0]
        mini = b"".join(sector(n) for n in chain(root_first, fat, count))
        minifat = b"".join(sector(n) for n in chain(first_minifat, fat, count))
        stream = b"".join(mini[n * 64:n * 64 + 64] for n in chain(first, minifat, len(mini) // 64))
    else:
        stream = b"".join(sector(n) for n in chain(first, fat, count))
    if len(stream) < length:
        raise _Unreadable("its workbook stream is cut short")
    return stream[:length]


def _records(stream: bytes, pos: int) -> Iterator[tuple[int, int, bytes]]:
    """(position, type, data) of the BIFF records from ``pos`` to the end of the stream."""
    while pos + 4 <= len(stream):
        kind, length = struct.unpack_from("<HH", stream, pos)
        if pos + 4 + length > len(stream):
            raise _Unreadable(f"a record at byte {pos} runs past the end of the workbook stream")
        yield pos, kind, stream[pos + 4:pos + 4 + length]
        pos += 4 + length


def _format_text(data: bytes, biff8: bool) -> str:
    if biff8:  # XLUnicodeString: length, a flag for two bytes a character, the characters
        length, wide = struct.unpack_from("<HB", data, 2)
        return data[5:5 + length * (2 if wide & 1 else 1)].decode("utf-16-le" if wide & 1 else "latin-1", "replace")
    return data[3:3 + data[2]].decode("latin-1")  # BIFF5: a byte of length and code-page text ('%' is ASCII)


def _scan(stream: bytes) -> _Scan:
    """The workbook globals (the formats that show a percentage, where each sheet starts) and the size of
    every sheet as calamine would hold it."""
    scan = _Scan()
    formats: dict[int, str] = {}
    xf_formats: list[int] = []
    for _, kind, data in _records(stream, 0):
        if kind == _BOF and len(data) >= 2:
            scan.biff8 = struct.unpack_from("<H", data)[0] >= 0x0600
        elif kind == _FILEPASS:
            raise _Refused(_PASSWORD)
        elif kind == _FORMAT and len(data) >= 3:
            formats[struct.unpack_from("<H", data)[0]] = _format_text(data, scan.biff8)
        elif kind == _XF and len(data) >= 4:
            xf_formats.append(struct.unpack_from("<H", data, 2)[0])
        elif kind == _BOUNDSHEET and len(data) >= 6:
            scan.sheets.append(struct.unpack_from("<I", data)[0])
        elif kind == _EOF:
            break
    scan.percent_xfs = {i for i, f in enumerate(xf_formats)
                        if f in _BUILTIN_PERCENT and f not in formats or is_percent_format(formats.get(f))}
    for start in scan.sheets:
        scan.cells += _sheet_size(stream, start)
        if scan.cells > MAX_CELLS:
            raise _Refused(f"has sheets spanning more than {MAX_CELLS:,} cells in all (rows × columns from the "
                           "first cell to the last), the limit; delete the stray cells far from the table")
    return scan


def _sheet_size(stream: bytes, start: int) -> int:
    """The cells calamine would hold for the sheet starting at ``start``: the rectangle its cells span. The
    size its DIMENSIONS record declares, which calamine reserves room for (address space, not memory, unless
    it cannot be had at all), may be no more than an .xls sheet holds."""
    if start >= len(stream):
        raise _Unreadable("a sheet starts past the end of the workbook stream")
    top = left = 1 << 32
    bottom = right = -1
    depth = 0
    for n, (_, kind, data) in enumerate(_records(stream, start)):
        if kind == _BOF:
            depth += n > 0  # a chart embedded in the sheet: its records are skipped, as calamine does
        elif kind == _EOF:
            if depth == 0:
                break
            depth -= 1
        elif depth:
            continue
        elif kind == _DIMENSIONS:
            declared = _declared(data)
            if declared > _SHEET_CELLS:
                raise _Refused(f"has a sheet that declares {declared:,} cells, more than an .xls sheet holds "
                               f"({_SHEET_CELLS:,}); the file is damaged")
        elif kind in _CELLS and len(data) >= 4:
            row, col = struct.unpack_from("<HH", data)
            last = col + max((len(data) - 6) // 6, 1) - 1 if kind == _MULRK else col
            if kind == _MULRK and len(data) >= 6:
                last = max(last, struct.unpack_from("<H", data, len(data) - 2)[0])
            top, bottom, left, right = min(top, row), max(bottom, row), min(left, col), max(right, last)
    return (bottom - top + 1) * (right - left + 1) if bottom >= 0 else 0


def _declared(data: bytes) -> int:
    """The cells a DIMENSIONS record makes calamine reserve, computed as calamine does (first and last row
    and column; a last before a first wraps round in its unsigned arithmetic, to billions)."""
    if len(data) == 14:
        first_row, end_row, first_col, end_col = struct.unpack_from("<IIHH", data)
    elif len(data) == 10:
        first_row, end_row, first_col, end_col = struct.unpack_from("<HHHH", data)
    else:
        return 0  # calamine refuses the workbook
    if first_col > 0xFF or end_col < first_col:
        first_col = 0
    if end_row < 1 or end_col < 1:
        return 1
    rows = ((end_row - 1 - first_row) & 0xFFFFFFFF) + 1
    cols = ((end_col - 1 - first_col) & 0xFFFFFFFF) + 1
    return rows * cols


def _percent_cells(stream: bytes, start: int, percent_xfs: set[int]) -> set[tuple[int, int]]:
    """Where the sheet starting at ``start`` has a number formatted as a percentage (row, column from 0)."""
    found: set[tuple[int, int]] = set()
    depth = 0
    for n, (_, kind, data) in enumerate(_records(stream, start)):
        if kind == _BOF:
            depth += n > 0
        elif kind == _EOF:
            if depth == 0:
                break
            depth -= 1
        elif depth:
            continue
        elif kind in _NUMBERS and len(data) >= 6:
            row, col, xf = struct.unpack_from("<HHH", data)
            if xf in percent_xfs:
                found.add((row, col))
        elif kind == _MULRK and len(data) >= 6:
            row, col = struct.unpack_from("<HH", data)
            for i in range((len(data) - 6) // 6):
                if struct.unpack_from("<H", data, 4 + 6 * i)[0] in percent_xfs:
                    found.add((row, col + i))
    return found


def xls_sheets(name: str, data: bytes, sheet: str | None) -> Iterator[Sheet]:
    """The worksheets of an .xls workbook in order (or only ``sheet``), each cell as the sheet shows it."""
    try:
        stream = _stream(data)
        scan = _scan(stream)
    except _Refused as exc:
        raise TableError(name, str(exc)) from None
    except (_Unreadable, struct.error) as exc:
        raise TableError(name, f"is not a readable .xls workbook ({exc})") from None
    import python_calamine  # only now: it must not see a workbook the scan refused

    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = [m.name for m in book.sheets_metadata if m.typ == python_calamine.SheetTypeEnum.WorkSheet]
    except python_calamine.PasswordError:
        raise TableError(name, _PASSWORD) from None
    except BaseException as exc:  # noqa: BLE001 - calamine's errors, and a Rust panic (not an Exception)
        _reraise_unless_calamine(exc)
        raise TableError(name, f"is not a readable .xls workbook ({reason(exc)})") from None
    if sheet is not None and sheet not in names:
        raise TableError(name, missing_sheet(sheet, names))
    # calamine's sheets are the BOUNDSHEET records in order (worksheets or not), as the scan's are
    starts = dict(zip([m.name for m in book.sheets_metadata], scan.sheets, strict=False))
    try:
        for sheet_name in [sheet] if sheet is not None else names:
            yield Sheet(sheet_name, _rows(name, book, sheet_name, stream, starts.get(sheet_name), scan))
    finally:
        book.close()


def _rows(name: str, book, sheet_name: str, stream: bytes, start: int | None, scan: _Scan) -> Iterator[RawRow]:
    percent = _percent_cells(stream, start, scan.percent_xfs) if scan.percent_xfs and start is not None else set()
    n = 0
    try:
        ws = book.get_sheet_by_name(sheet_name)
        left = ws.start[1] if ws.start else 0  # iter_rows leaves out the empty columns on the left, not rows
        for n, values in enumerate(ws.iter_rows(), start=1):
            if n > MAX_ROWS:
                raise TableError(name, f"has more than {MAX_ROWS:,} rows", n)
            cells = [cell_text(v, (n - 1, left + i) in percent) for i, v in enumerate(values)]
            while cells and not cells[-1]:
                cells.pop()
            if cells and left:
                cells[:0] = [""] * left
            yield RawRow(n, checked_cells(name, n, cells))
    except TableError:
        raise
    except BaseException as exc:  # noqa: BLE001 - as above
        _reraise_unless_calamine(exc)
        raise TableError(name, f"is not a readable .xls workbook ({reason(exc)})", n + 1) from None


def _reraise_unless_calamine(exc: BaseException) -> None:
    """Let Ctrl-C, exits and a closed generator through: of the BaseExceptions only calamine's Rust panic
    (pyo3's PanicException) is a fault of the workbook."""
    if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
        raise exc
