"""Helpers for the reader tests: raw cells of a table, and the "nothing lost" check.

Not a test module: the tests import it (pytest puts ``tests/`` on ``sys.path``).
"""

from __future__ import annotations

import csv
import io
import re
import struct
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import openpyxl

from indexer import Dataset, Record
from indexer.reader import clean_cell

BUNDLED = Path(__file__).resolve().parent.parent / "data" / "koganei_jisatsu_taisaku_r2_r3.tsv"
_NUMBERED = re.compile(r"([0-9０-９]+)[\s\u3000.．、)）]+(.*)", re.S)


def tsv_rows(text: str) -> list[list[str]]:
    """Rows of a TSV text as written (a blank line is a row of no cells)."""
    return [line.split("\t") if line else [] for line in text.split("\n")]


def to_tsv(rows: list[list[str]]) -> str:
    return "\n".join("\t".join(row) for row in rows)


def csv_text(rows: list[list[str]], quoting: int = csv.QUOTE_MINIMAL, newline: str = "\n") -> str:
    out = io.StringIO()
    csv.writer(out, quoting=quoting, lineterminator=newline).writerows(rows)
    return out.getvalue()


def padded(rows: list[list[str]]) -> list[list[str]]:
    """Rows as Excel saves them: every row as wide as the widest, short ones filled with empty cells."""
    width = max(len(r) for r in rows)
    return [r + [""] * (width - len(r)) if r else [] for r in rows]


def save_xlsx(path: Path, rows: list[list[str]], above: Sequence[list[str]] = (), sheet: str | None = None) -> Path:
    book = openpyxl.Workbook()
    ws = book.active
    if sheet:
        ws.title = "表紙"
        ws.append(["この表は進捗状況の一覧です"])
        ws = book.create_sheet(sheet)
    for row in [*above, *rows]:
        ws.append(row)
    book.save(path)
    return path


def record_dicts(ds: Dataset | list[Record], drop: tuple[str, ...] = ("source",)) -> list[dict]:
    """``to_dict()`` of every record without the keys in ``drop``, to compare two readings."""
    records = ds.records() if isinstance(ds, Dataset) else ds
    return [{k: v for k, v in r.to_dict().items() if k not in drop} for r in records]


def without_file(ds: Dataset) -> list[dict]:
    """Records as dicts with the source's line but not its file name."""
    dicts = record_dicts(ds, drop=())
    for d in dicts:
        d["source"] = d["source"]["line"]
    return dicts


def _is_title_cell(cell: str, number: str, title: str) -> bool:
    """Whether a source cell is the title cell ``<number> <title>`` of a measure."""
    if number.startswith("x"):  # a title without a number, numbered by position
        return cell == title
    m = _NUMBERED.fullmatch(cell)
    return bool(m) and int(unicodedata.normalize("NFKC", m[1])) == int(number) and m[2] == title


def field_values(ds: Dataset) -> Counter[str]:
    """Every non-empty value the dataset holds, except policies, items and titles."""
    values: Counter[str] = Counter(c for c in (*ds.preamble, *ds.header) if c)
    for m in ds.measures:
        values.update(v for v in (m.plan_page_text, m.department, m.section, m.repost, m.number_text) if v)
        values.update(cell for _, cell in m.extra if cell)
        for e in m.years:
            values.update(v for v in (e.status, e.evaluation, e.achievement, e.plan) if v)
    return values


def unaccounted(ds: Dataset, rows: list[list[str]]) -> dict[str, object]:
    """What does not add up between the source cells and the dataset's fields.

    Every non-empty cell (trimmed) must land in exactly one field of one record or
    of its measure (title cells as ``<number> <title>``), in the header or in the
    preamble. Policies, items and header names repeat by design (an item cell on
    every row, a header repeated down a long table): each policy and item must be
    a source cell, and every cell naming one, or naming a column, is accounted for
    by it. An empty result means nothing was lost and nothing was made up.
    """
    source = Counter(c for c in (clean_cell(c) for row in rows for c in row) if c)  # as the reader cleans
    groups = {g for m in ds.measures for g in (m.policy, m.item) if g}
    problems: dict[str, object] = {}
    invented_groups = sorted(g for g in groups if g not in source)
    titles_not_found = []
    for m in ds.measures:
        if not m.title and m.number.startswith("x"):
            continue  # a row without a title cell: kept as an untitled measure
        cell = next((c for c in source if source[c] and (_is_title_cell(c, m.number, m.title)
                                                       or (m.number_text and c == m.title))), None)
        if cell is None:
            titles_not_found.append(m.measure_id)
        else:
            source[cell] -= 1
    fields = field_values(ds)
    repeated = groups | set(ds.header)
    lost = Counter({c: n for c, n in (source - fields).items() if c not in repeated})
    invented = fields - source
    for name, value in (("lost", lost), ("invented", invented), ("invented policies/items", invented_groups),
                        ("titles not found", titles_not_found)):
        if value:
            problems[name] = dict(value) if isinstance(value, Counter) else value
    return problems


def clean_rows(bundled_rows: list[list[str]]) -> tuple[list[list[str]], list[int]]:
    """The bundled table as it should have been written, and each row's line in the bundled file.

    Blank lines dropped, the empty 再掲 cell put back in the rows that lack it, and
    令和2年度 達成度/今後の実施計画 of lines 16 and 17 swapped back.
    """
    rows, lines = [], []
    for line, row in enumerate(bundled_rows, start=1):
        if not any(row):
            continue
        row = list(row)
        if len(row) == 13:
            row.insert(5, "")
        if line in (16, 17):
            row[8], row[9] = row[9], row[8]
        rows.append(row)
        lines.append(line)
    return rows, lines


def unreported(ds: Dataset, rows: list[list[str]]) -> dict[str, object]:
    """``unaccounted`` less the cells a warning quotes: what was dropped silently or made up."""
    problems = unaccounted(ds, rows)
    said = " ".join(w.message for w in ds.warnings)
    silent = {c: n for c, n in problems.pop("lost", {}).items() if f"「{c[:20]}" not in said}
    return {**problems, "lost": silent} if silent else problems


# -- crafted workbooks: .xls (BIFF8 records in an OLE2 compound file) and .ods -----------------------------------


def biff(kind: int, data: bytes = b"") -> bytes:
    """One BIFF record."""
    return struct.pack("<HH", kind, len(data)) + data


def _bof(sheet: bool) -> bytes:
    return biff(0x0809, struct.pack("<HHHHII", 0x0600, 0x0010 if sheet else 0x0005, 0x0DBB, 0x07CC, 0, 6))


def xls_cell(row: int, col: int, value: str | float, xf: int = 15) -> bytes:
    """A LABEL (text, as BIFF8 allows: 16-bit characters) or NUMBER record."""
    if isinstance(value, str):
        return biff(0x0204, struct.pack("<HHHHB", row, col, xf, len(value), 1) + value.encode("utf-16-le"))
    return biff(0x0203, struct.pack("<HHHd", row, col, xf, value))


def xls_dimensions(first_row: int, end_row: int, first_col: int, end_col: int) -> bytes:
    return biff(0x0200, struct.pack("<IIHHH", first_row, end_row, first_col, end_col, 0))


#: Format 9 is 0%: XF 15 is the default cell format, XF 16 shows a percentage.
XLS_PERCENT_XF = 16


def xls_bytes(sheets: dict[str, list[bytes]], extra: bytes = b"") -> bytes:
    """An .xls workbook of ``sheets`` (name → its cell records), as calamine reads one: a BIFF8 workbook stream
    (globals with 16 style XFs, one cell XF and one showing a percentage; each sheet's records between a BOF
    and an EOF; ``extra`` records in the globals) in a compound file of 512-byte sectors."""
    xfs = [struct.pack("<HHHBBBBIIH", 0, 0, 0xFFF5, 0x20, 0, 0, 0, 0, 0, 0x20C0)] * 15
    xfs += [struct.pack("<HHHBBBBIIH", 0, 0, 0x0001, 0x20, 0, 0, 0, 0, 0, 0x20C0),
            struct.pack("<HHHBBBBIIH", 0, 9, 0x0001, 0x20, 0, 0, 0, 0, 0, 0x20C0)]
    font = biff(0x0031, struct.pack("<HHHHHBBBB", 200, 0, 0x7FFF, 400, 0, 0, 0, 0, 0)
                + b"\x05\x01" + "Arial".encode("utf-16-le"))
    head = _bof(False) + extra + biff(0x0042, struct.pack("<H", 1200)) + font * 5
    head += b"".join(biff(0x00E0, x) for x in xfs)
    names = [(name, name.encode("utf-16-le")) for name in sheets]
    bound = [biff(0x0085, struct.pack("<IBBBB", 0, 0, 0, len(name), 1) + raw) for name, raw in names]
    globals_size = len(head) + sum(len(b) for b in bound) + 4  # and its EOF
    stream, offsets = b"", []
    for records in sheets.values():
        offsets.append(globals_size + len(stream))
        stream += _bof(True) + b"".join(records) + biff(0x000A)
    bound = [biff(0x0085, struct.pack("<I", off) + b[8:]) for off, b in zip(offsets, bound, strict=True)]
    workbook = head + b"".join(bound) + biff(0x000A) + stream
    workbook += b"\x00" * (-len(workbook) % 512)
    if len(workbook) < 4096:  # kept out of the mini stream
        workbook += b"\x00" * (4096 - len(workbook))
    return _compound_file(workbook)


def _compound_file(stream: bytes) -> bytes:
    """A version 3 compound file holding one stream, "Workbook": the sectors are the stream's, then the
    directory, then the FAT (one sector: up to 127 sectors of data)."""
    n = len(stream) // 512
    assert n + 2 <= 128, "a workbook this size needs more than one FAT sector"
    fat = list(range(1, n)) + [0xFFFFFFFE]  # the stream's chain
    fat += [0xFFFFFFFE, 0xFFFFFFFD]  # the directory's one sector; the FAT's own
    fat += [0xFFFFFFFF] * (128 - len(fat))

    def entry(name: str, kind: int, start: int, size: int, child: int = 0xFFFFFFFF) -> bytes:
        raw = (name + "\x00").encode("utf-16-le")
        return (raw.ljust(64, b"\x00") + struct.pack("<HBB", len(raw), kind, 1)
                + struct.pack("<III", 0xFFFFFFFF, 0xFFFFFFFF, child) + bytes(36)
                + struct.pack("<IQ", start, size))

    directory = (entry("Root Entry", 5, 0xFFFFFFFE, 0, child=1) + entry("Workbook", 2, 0, len(stream))
                 + bytes(256))
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16)
              + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + bytes(6)
              + struct.pack("<IIIIIIIII", 0, 1, n, 0, 4096, 0xFFFFFFFE, 0, 0xFFFFFFFE, 0)
              + struct.pack("<I", n + 1) + b"\xff" * (4 * 108))
    return header + stream + directory + struct.pack("<128I", *fat)


ODS_NAMESPACES = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
                  'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
                  'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')


ODS_MANIFEST = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry '
                'manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                "</manifest:manifest>")


def ods_cell(text: str = "", repeat: int = 1, attrs: str = "") -> str:
    """A string cell (an empty one without text), repeated across ``repeat`` columns."""
    body = f"<text:p>{text}</text:p>" if text else ""
    return f'<table:table-cell table:number-columns-repeated="{repeat}" {attrs}>{body}</table:table-cell>'


def ods_row(*cells: str, repeat: int = 1) -> str:
    return f'<table:table-row table:number-rows-repeated="{repeat}">{"".join(cells)}</table:table-row>'


def ods_content(sheets: dict[str, list[str]]) -> str:
    tables = "".join(f'<table:table table:name="{name}">{"".join(rows)}</table:table>' for name, rows in sheets.items())
    return (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODS_NAMESPACES} office:version="1.3">'
            f"<office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body></office:document-content>")


def ods_bytes(sheets: dict[str, list[str]] | None = None, content: str | bytes | None = None,
              parts: dict[str, bytes] | None = None) -> bytes:
    """An .ods as LibreOffice writes one: ``mimetype`` first and stored, then ``content.xml`` (of ``sheets``,
    or ``content`` as given), a manifest and any other ``parts``."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        z.writestr("content.xml", content if content is not None else ods_content(sheets or {}))
        parts = dict(parts or {})
        z.writestr("META-INF/manifest.xml", parts.pop("META-INF/manifest.xml", None) or ODS_MANIFEST)
        for name, data in parts.items():
            z.writestr(name, data)
    return out.getvalue()
