"""A whole result set as a file. For people (a meeting): CSV that Excel opens (a BOM, formula-like cells
neutralised) and an Excel workbook with the same rows, both with the table's Japanese column names and values in
words. For programs: JSON with the records' machine fields."""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from urllib.parse import urljoin

from indexer.years import year_label

from ..models import Hit
from .labels import code_label
from .links import Links

#: Most records one export returns.
EXPORT_LIMIT = 10_000

#: First characters that make a spreadsheet cell a formula (and their full-width forms, which some accept).
_FORMULA = ("=", "+", "-", "@", "＝", "＋", "－", "＠")


#: Rows written between two looks at the time limit.
_CHECK_EVERY = 256
Check = Callable[[], None]


def _nothing() -> None:
    return None


@dataclass(frozen=True)
class Column:
    """A column of the CSV and the workbook: its header, its cell of an export record, its width in the workbook."""

    header: str
    cell: Callable[[dict], object]
    width: int = 12


def _field(name: str) -> Callable[[dict], object]:
    return lambda rec: rec.get(name)


def _label(facet: str) -> Callable[[dict], object]:
    """A code in words, looked up when the row is written (a label added later is used)."""
    return lambda rec: code_label(facet, rec.get(facet) or "")


def _extra_text(rec: dict) -> str:
    return "\n".join(f"{cell['column']}: {cell['text']}" for cell in rec.get("extra") or ())


#: The columns every export has, in order, named as the city's table names them.
COLUMNS = (
    Column("施策番号", _field("written_number"), 8),
    Column("自治体", _field("municipality")),
    Column("重点施策", _field("policy"), 24),
    Column("項目", _field("item"), 20),
    Column("実施内容", _field("title"), 30),
    Column("年度", lambda rec: year_label(rec["year"]), 11),
    Column("実施状況", _field("status"), 50),
    Column("評価", _field("evaluation"), 50),
    Column("達成度", _field("achievement")),
    Column("今後の実施計画", _field("plan"), 50),
    Column("計画書ページ", lambda rec: rec.get("plan_page_text") or rec.get("plan_page"), 8),
    Column("担当部署", _field("department")),
    Column("担当課", _field("section")),
    Column("前年度からの変更", _label("changed"), 16),
    Column("達成度の推移", _label("trend"), 16),
    Column("前年度の達成度", _field("previous_achievement"), 12),
)
#: Columns an export has when one of its records has a cell in them.
IF_ANY = (
    Column("該当する年度", lambda rec: "・".join(year_label(y) for y in rec.get("matching_years") or ()), 16),
    Column("計画書へのリンク", _field("plan_url"), 30),
    Column("その他の列", _extra_text, 30),  # cells of columns the reader does not know
)
#: Each record's search score, when asked for (``score=on``).
SCORE = Column("関連度スコア", _field("score"), 10)
#: Last: the measure's id in plansearch (its page is /measures/<施策ID>).
MEASURE_ID = Column("施策ID", _field("measure_id"), 16)


def export_records(hits: Sequence[Hit], links: Links, check: Check = _nothing) -> list[dict]:
    """Each hit's record in full, with its plan link and score (the JSON export's records, and what the CSV and the
    workbook are made of). ``check`` is called now and then (the request's time limit: it raises to stop)."""
    out = []
    for i, h in enumerate(hits):
        if i % _CHECK_EVERY == 0:
            check()
        out.append({**h.to_dict(), "score": h.score, "plan_url": links.plan_url(h.dataset, h.plan_page)})
    return out


def with_site(records: Sequence[dict], site: str) -> list[dict]:
    """The records with their plan links whole (``/plans/…`` → ``https://host/plans/…``): a file read away from
    the site has no site to resolve them against."""
    return [{**rec, "plan_url": urljoin(site, rec["plan_url"])} if rec.get("plan_url") else rec for rec in records]


def export_columns(records: Sequence[dict], score: bool = False) -> tuple[Column, ...]:
    """The columns of these records' export: ``COLUMNS``, those of ``IF_ANY`` some record fills, the score if
    asked for, the measure's id."""
    return (*COLUMNS, *(c for c in IF_ANY if any(c.cell(rec) for rec in records)), *((SCORE,) if score else ()),
            MEASURE_ID)


def export_rows(records: Sequence[dict], columns: Sequence[Column], check: Check = _nothing) -> Iterator[list]:
    """The header, then a row per record: what the CSV and the workbook hold (values as they are; the writers
    neutralise formula-like text)."""
    yield [c.header for c in columns]
    for i, rec in enumerate(records):
        if i % _CHECK_EVERY == 0:
            check()
        yield [c.cell(rec) for c in columns]


def export_json(query: str, records: list[dict], check: Check = _nothing) -> str:
    check()
    return json.dumps({"query": query, "total": len(records), "records": records}, ensure_ascii=False, indent=1)


def export_csv(records: list[dict], check: Check = _nothing, *, score: bool = False) -> str:
    out = io.StringIO()
    out.write("\ufeff")  # a BOM, so that Excel reads the Japanese as UTF-8
    writer = csv.writer(out, lineterminator="\r\n")
    for row in export_rows(records, export_columns(records, score), check):
        writer.writerow([safe_cell(value) for value in row])
    return out.getvalue()


def export_xlsx(records: list[dict], check: Check = _nothing, *, score: bool = False) -> bytes:
    """The CSV's rows as a workbook: the same columns and cells (formula-like starts neutralised, every text cell
    a string, never a formula or a link), numbers as numbers; the header row bold, kept in view and filterable."""
    import xlsxwriter  # imported here: only this export writes workbooks

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                     "strings_to_numbers": False})
    sheet = book.add_worksheet("検索結果")
    head, text = book.add_format({"bold": True, "valign": "top"}), book.add_format({"text_wrap": True,
                                                                                   "valign": "top"})
    columns = export_columns(records, score)
    rows = export_rows(records, columns, check)
    sheet.write_row(0, 0, next(rows), head)
    for col, column in enumerate(columns):
        sheet.set_column(col, col, column.width)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, len(records), len(columns) - 1)
    for row, values in enumerate(rows, start=1):
        for col, value in enumerate(values):
            if isinstance(value, int | float) and not isinstance(value, bool):
                sheet.write_number(row, col, value, text)
            else:
                sheet.write_string(row, col, _XML_ILLEGAL.sub("", safe_cell(value)), text)
    check()
    book.close()
    return out.getvalue()


#: Characters XML 1.0 cannot hold (a workbook is XML).
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


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
