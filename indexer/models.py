"""Typed records passed between the reader, the index and the web layer."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, NamedTuple

#: Record fields that hold searchable text, in display order.
TEXT_FIELDS: tuple[str, ...] = ("title", "status", "evaluation", "achievement", "plan")

#: Japanese labels of the record fields, as the pages show them.
FIELD_LABELS: dict[str, str] = {
    "title": "実施内容",
    "status": "実施状況",
    "evaluation": "評価",
    "achievement": "達成度",
    "plan": "今後の計画",
}

#: How the numbers the reader gives measures with no number of their own begin (x1, x2 … by position in their item).
POSITIONAL = "x"

#: Labels of the ``highlights`` keys: the fields, and ``extra`` (cells of columns the reader does not know).
HIGHLIGHT_LABELS: dict[str, str] = {**FIELD_LABELS, "extra": "その他の列"}


class PlansearchError(Exception):
    """Base class of every error the library reports to a user."""


class TableError(PlansearchError):
    """A table cannot be read. The message names the file (and line)."""

    def __init__(self, path: str, message: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Source:
    """Where a measure came from."""

    file: str
    line: int

    def to_dict(self) -> dict:
        return {"file": self.file, "line": self.line}


class ExtraCell(NamedTuple):
    """A cell of a column the reader does not know (備考, say): its column's header and its text."""

    column: str
    text: str

    def to_dict(self) -> dict:
        return {"column": self.column, "text": self.text}


@dataclass(frozen=True)
class ReadWarning:
    """A repair or oddity the reader reports, with the line it concerns."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass(frozen=True)
class YearEntry:
    """What one measure's row says about one fiscal year."""

    year: int
    year_label: str
    status: str = ""
    evaluation: str = ""
    achievement: str = ""
    plan: str = ""
    #: The table row it was read from.
    source: Source | None = None

    def is_empty(self) -> bool:
        return not (self.status or self.evaluation or self.achievement or self.plan)


@dataclass(frozen=True)
class Measure:
    """One row of the table: a measure (実施内容) with every year's entry."""

    measure_id: str
    dataset: str
    number: str
    title: str
    policy: str
    item: str
    plan_page: int | None
    department: str
    section: str
    source: Source
    years: tuple[YearEntry, ...]
    plan_page_text: str = ""
    #: The 再掲 cell: a mark or a reference to where else the plan lists this measure (○, 1-2-3).
    repost: str = ""
    #: Cells of columns the reader does not know.
    extra: tuple[ExtraCell, ...] = ()
    #: The municipality of its dataset.
    municipality: str = ""
    #: Its number column's cell, as written (「1-2-3」), when it gave the measure's number.
    number_text: str = ""

    @property
    def written_number(self) -> str:
        """Its number as its table writes it: the number column's cell (「1-2-3」), else the number its title began
        with (「3 もくせい教室の設置」: 3); "" when the reader numbered it by position."""
        if self.number_text:
            return self.number_text
        return "" if self.number.startswith(POSITIONAL) else self.number

    def records(self) -> tuple[Record, ...]:
        return tuple(Record(measure=self, entry=e) for e in self.years)


@dataclass(frozen=True)
class Record:
    """One measure in one fiscal year: the unit of search."""

    measure: Measure
    entry: YearEntry

    @property
    def record_id(self) -> str:
        return f"{self.measure.measure_id}@{self.entry.year}"

    def text(self, name: str) -> str:
        if name == "title":
            return self.measure.title
        return getattr(self.entry, name)

    def to_dict(self) -> dict:
        """What the reader read for this record (the stored record's fields the index does not derive)."""
        return {name: _plain(getattr(self.measure if level == MEASURE else self.entry, name))
                for name, level in _RECORD_DICT}


@dataclass(frozen=True)
class TableInfo:
    """One source table of a dataset, as read."""

    file: str
    path: str
    years: tuple[int, ...]
    rows: int  # measure rows read
    warnings: int

    def to_dict(self) -> dict:
        return {"file": self.file, "years": list(self.years), "rows": self.rows, "warnings": self.warnings}


@dataclass(frozen=True)
class Dataset:
    """One plan of one municipality, read from one or more source tables (its yearly reports)."""

    slug: str
    path: str  # its first table (the only one of a dataset read by ``read_table``)
    measures: tuple[Measure, ...]
    warnings: tuple[ReadWarning, ...] = field(default=())
    #: The plan's name (自殺総合対策計画), from the configuration, a title row or the file name; else "".
    name: str = ""
    #: Cells above the header (a workbook's title rows), kept so nothing is lost.
    preamble: tuple[str, ...] = ()
    #: The header row's cells as written (「令和2年度実施状況」, 「達成度 (%)」 …).
    header: tuple[str, ...] = ()
    #: The municipality (小金井市), from the configuration, a title row or the file name; else "".
    municipality: str = ""
    #: The source tables, oldest report first.
    tables: tuple[TableInfo, ...] = ()
    #: What merging its tables reported (also among ``warnings``): measures renumbered, retitled, added or dropped,
    #: cells that differ between two reports of one year.
    merge_notes: tuple[ReadWarning, ...] = ()

    def records(self) -> list[Record]:
        return [r for m in self.measures for r in m.records()]

    @property
    def years(self) -> list[int]:
        return sorted({e.year for m in self.measures for e in m.years})

    @property
    def paths(self) -> list[str]:
        return [t.path for t in self.tables] or [self.path]


# -- the stored record: the one declaration of a record's fields ------------------------------------------------

#: Where a field of a record belongs: to its measure (the same every year) or to its fiscal year.
MEASURE, YEAR = "measure", "year"


def _field(level: str, *, hit: bool = False, derived: bool = False, detail: bool = False) -> Any:
    """A stored-record field: its ``level``; ``hit`` if search results carry it; ``derived`` if the index computes
    it rather than reads it from the table; ``detail`` if only the measure's page shows it."""
    return field(metadata={"level": level, "hit": hit, "derived": derived, "detail": detail})


@dataclass(frozen=True)
class StoredRecord:
    """One record (a measure in one fiscal year) as the index stores it and the library returns it.

    The one declaration of a record's fields: search hits, measure answers, exports and the OpenAPI schemas are
    derived from these fields and their metadata (``record_fields``).
    """

    measure_id: str = _field(MEASURE, hit=True)
    dataset: str = _field(MEASURE, hit=True)
    municipality: str = _field(MEASURE, hit=True)
    #: The measure's number as its table writes it (「1-2-3」, 「3」); "" when it had none.
    written_number: str = _field(MEASURE, detail=True)
    title: str = _field(MEASURE, hit=True)
    policy: str = _field(MEASURE, hit=True)
    item: str = _field(MEASURE, hit=True)
    plan_page: int | None = _field(MEASURE, hit=True)
    plan_page_text: str = _field(MEASURE, detail=True)
    department: str = _field(MEASURE, hit=True)
    section: str = _field(MEASURE, hit=True)
    repost: str = _field(MEASURE, detail=True)
    extra: tuple[ExtraCell, ...] = _field(MEASURE, detail=True)
    year: int = _field(YEAR, hit=True)
    year_label: str = _field(YEAR, hit=True)
    status: str = _field(YEAR)
    evaluation: str = _field(YEAR)
    achievement: str = _field(YEAR, hit=True)
    achievement_category: str = _field(YEAR, hit=True, derived=True)
    plan: str = _field(YEAR)
    changed: str = _field(YEAR, hit=True, derived=True)
    trend: str = _field(YEAR, hit=True, derived=True)
    #: The 達成度 of the fiscal year before, which ``trend`` compares with (None when that year is not on record).
    previous_achievement: str | None = _field(YEAR, hit=True, derived=True)
    #: The table row this year was read from (a measure's years may come from different tables).
    source: Source = _field(YEAR)

    def to_row(self) -> tuple:
        """The values in field order, nested values as tuples: what the index stores."""
        values = [getattr(self, name) for name in _NAMES]
        values[_SOURCE] = (self.source.file, self.source.line)
        values[_EXTRA] = tuple(tuple(cell) for cell in self.extra)
        return tuple(values)

    @classmethod
    def from_row(cls, row: tuple) -> StoredRecord:
        """The record ``to_row`` stored. Its fields are set straight into the new instance: a row is a record's
        values as the index wrote them, so ``__init__``'s per-field work (a frozen class sets each field through
        ``object.__setattr__``, three times slower) is not needed; a search reads one per result shown."""
        values = list(row)
        values[_SOURCE] = Source(*values[_SOURCE])
        values[_EXTRA] = tuple(ExtraCell(*cell) for cell in values[_EXTRA])
        record = object.__new__(cls)
        record.__dict__.update(zip(_NAMES, values, strict=True))
        return record

    def to_dict(self) -> dict:
        """Every field, JSON-ready (nested values as dicts and lists)."""
        return {name: _plain(getattr(self, name)) for name in _NAMES}


_NAMES = tuple(f.name for f in fields(StoredRecord))
_SOURCE, _EXTRA = _NAMES.index("source"), _NAMES.index("extra")


def record_fields(level: str | None = None, **metadata: bool) -> tuple[str, ...]:
    """Names of the stored record's fields, in order, at ``level`` and with the given metadata
    (``hit``, ``derived``, ``detail``)."""
    return tuple(f.name for f in fields(StoredRecord)
                 if (level is None or f.metadata["level"] == level)
                 and all(f.metadata[key] == value for key, value in metadata.items()))


#: What the reader reads for a record (the fields the index does not derive), with the level each comes from.
READ_FIELDS: tuple[tuple[str, str], ...] = tuple(
    (f.name, f.metadata["level"]) for f in fields(StoredRecord) if not f.metadata["derived"])
#: A record as ``Record.to_dict`` gives it: what the reader read, but the measure's details.
_RECORD_DICT = tuple((name, level) for name, level in READ_FIELDS if name in record_fields(detail=False))


def _plain(value: object) -> object:
    """A field's value as JSON has it: nested records as dicts, tuples as lists."""
    if isinstance(value, Source | ExtraCell):  # before tuple: an ExtraCell is one
        return value.to_dict()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value
