"""Typed records passed between the reader, the index and the web layer."""

from __future__ import annotations

from dataclasses import dataclass, field

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
    repost: str = ""
    #: (header, cell) of cells in columns the reader does not know.
    extra: tuple[tuple[str, str], ...] = ()

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
        m, e = self.measure, self.entry
        return {
            "measure_id": m.measure_id,
            "dataset": m.dataset,
            "title": m.title,
            "policy": m.policy,
            "item": m.item,
            "plan_page": m.plan_page,
            "department": m.department,
            "section": m.section,
            "year": e.year,
            "year_label": e.year_label,
            "status": e.status,
            "evaluation": e.evaluation,
            "achievement": e.achievement,
            "plan": e.plan,
            "source": m.source.to_dict(),
        }


@dataclass(frozen=True)
class Dataset:
    """One source table, read."""

    slug: str
    path: str
    measures: tuple[Measure, ...]
    warnings: tuple[ReadWarning, ...] = field(default=())
    name: str = ""
    #: Cells above the header (a workbook's title rows), kept so nothing is lost.
    preamble: tuple[str, ...] = ()
    #: The header row's cells as written (「令和2年度実施状況」, 「達成度 (%)」 …).
    header: tuple[str, ...] = ()

    def records(self) -> list[Record]:
        return [r for m in self.measures for r in m.records()]

    @property
    def years(self) -> list[int]:
        return sorted({e.year for m in self.measures for e in m.years})
