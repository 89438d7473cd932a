"""A whole result set as a file: CSV that Excel opens (a BOM, formula-like cells neutralised), an Excel workbook
with the same rows and columns, and JSON."""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections.abc import Sequence

from indexer.models import record_fields

from ..models import Hit
from .links import Links

#: Most records one export returns.
EXPORT_LIMIT = 10_000
#: The CSV's columns: a record's fields but the measure's details and where it was read from, its plan link and
#: score, then the cells of columns the reader does not know.
EXPORT_COLUMNS = (*(c for name in record_fields(detail=False) if name != "source"
                    for c in ((name, "plan_url") if name == "plan_page" else (name,))), "score", "extra")

#: First characters that make a spreadsheet cell a formula (and their full-width forms, which some accept).
_FORMULA = ("=", "+", "-", "@", "＝", "＋", "－", "＠")


def export_records(hits: Sequence[Hit], links: Links) -> list[dict]:
    """Each hit's record in full, with its plan link and score (the JSON export's records)."""
    return [{**h.to_dict(), "score": h.score, "plan_url": links.plan_url(h.dataset, h.plan_page)} for h in hits]


def export_json(query: str, records: list[dict]) -> str:
    return json.dumps({"query": query, "total": len(records), "records": records}, ensure_ascii=False, indent=1)


def export_csv(records: list[dict]) -> str:
    out = io.StringIO()
    out.write("\ufeff")  # a BOM, so that Excel reads the Japanese as UTF-8
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for rec in records:
        rec = {**rec, "extra": _extra_text(rec)}
        writer.writerow([safe_cell(rec.get(c)) for c in EXPORT_COLUMNS])
    return out.getvalue()


def export_xlsx(records: list[dict]) -> bytes:
    """The CSV's rows as a workbook: the same columns and cells (formula-like starts neutralised, every text cell
    a string, never a formula), numbers as numbers."""
    from openpyxl import Workbook  # imported here: only this export writes workbooks
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    book = Workbook(write_only=True)
    sheet = book.create_sheet("検索結果")

    def cell(value: object) -> WriteOnlyCell:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return WriteOnlyCell(sheet, value=value)
        out = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", safe_cell(value)))
        out.data_type = "s"
        return out

    sheet.append([cell(c) for c in EXPORT_COLUMNS])
    for rec in records:
        rec = {**rec, "extra": _extra_text(rec)}
        sheet.append([cell(rec.get(c)) for c in EXPORT_COLUMNS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _extra_text(rec: dict) -> str:
    return "\n".join(f"{cell['column']}: {cell['text']}" for cell in rec.get("extra") or ())


def safe_cell(value: object) -> str:
    """A CSV cell that a spreadsheet shows as text: formula-like starts are neutralised."""
    text = "" if value is None else str(value)
    if text[:1] in ("\t", "\r") or _first_visible(text) in _FORMULA:
        return "'" + text
    return text


def _first_visible(text: str) -> str:
    """The first character that is neither white space nor an invisible format character (zero-width
    space, BOM, direction marks, soft hyphen …), which a spreadsheet may read past to a formula."""
    for char in text:
        if not (char.isspace() or unicodedata.category(char) == "Cf"):
            return char
    return ""
