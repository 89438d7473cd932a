"""A whole result set as a file: CSV that Excel opens (a BOM, formula-like cells neutralised), an Excel workbook
with the same rows and columns, and JSON."""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Callable, Sequence

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


#: Rows written between two looks at the time limit.
_CHECK_EVERY = 256
Check = Callable[[], None]


def _nothing() -> None:
    return None


def export_records(hits: Sequence[Hit], links: Links, check: Check = _nothing) -> list[dict]:
    """Each hit's record in full, with its plan link and score (the JSON export's records). ``check`` is called
    now and then (the request's time limit: it raises to stop)."""
    out = []
    for i, h in enumerate(hits):
        if i % _CHECK_EVERY == 0:
            check()
        out.append({**h.to_dict(), "score": h.score, "plan_url": links.plan_url(h.dataset, h.plan_page)})
    return out


def export_json(query: str, records: list[dict], check: Check = _nothing) -> str:
    check()
    return json.dumps({"query": query, "total": len(records), "records": records}, ensure_ascii=False, indent=1)


def export_csv(records: list[dict], check: Check = _nothing) -> str:
    out = io.StringIO()
    out.write("\ufeff")  # a BOM, so that Excel reads the Japanese as UTF-8
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for i, rec in enumerate(records):
        if i % _CHECK_EVERY == 0:
            check()
        rec = {**rec, "extra": _extra_text(rec)}
        writer.writerow([safe_cell(rec.get(c)) for c in EXPORT_COLUMNS])
    return out.getvalue()


def export_xlsx(records: list[dict], check: Check = _nothing) -> bytes:
    """The CSV's rows as a workbook: the same columns and cells (formula-like starts neutralised, every text cell
    a string, never a formula or a link), numbers as numbers."""
    import xlsxwriter  # imported here: only this export writes workbooks

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                     "strings_to_numbers": False})
    sheet = book.add_worksheet("検索結果")
    sheet.write_row(0, 0, EXPORT_COLUMNS)
    for row, rec in enumerate(records, start=1):
        if row % _CHECK_EVERY == 0:
            check()
        rec = {**rec, "extra": _extra_text(rec)}
        for col, name in enumerate(EXPORT_COLUMNS):
            value = rec.get(name)
            if isinstance(value, int | float) and not isinstance(value, bool):
                sheet.write_number(row, col, value)
            else:
                sheet.write_string(row, col, _XML_ILLEGAL.sub("", safe_cell(value)))
    check()
    book.close()
    return out.getvalue()


#: Characters XML 1.0 cannot hold (a workbook is XML).
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


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
