"""Typed requests and results of the search library (no Whoosh or Flask objects, no HTML, no URLs).

A result is built from the one declaration of a record's fields, ``indexer.models.StoredRecord``: a ``Hit`` is
a stored record with its score and highlight spans, a ``MeasureAnswer`` a measure's stored records.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

from indexer.generations import IndexInfo
from indexer.models import MEASURE, TEXT_FIELDS, Source, StoredRecord, record_fields

from .highlight import Snippet
from .reading import Reading

SORTS = ("relevance", "plan_page", "year")
#: What a result is: a record (a measure in one year), or a measure with its matching years.
GROUPS = ("record", "measure")
#: Facet filters a request may carry (API parameter names).
FILTERS = ("dataset", "municipality", "policy", "department", "section", "achievement", "changed", "trend")
MAX_PER_PAGE = 100


@dataclass(frozen=True)
class SearchRequest:
    q: str
    years: tuple[int, ...] = ()
    fields: tuple[str, ...] = ()
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    page: int = 1
    per_page: int = 20
    sort: str = "relevance"
    synonyms: bool = True
    disabled_synonyms: tuple[str, ...] = ()  # words whose expansions are switched off
    concepts: bool = True  # the concept dictionary: plain words and short sentences read as their concepts
    group: str = "record"  # "measure": one result per measure (its best year), with its other matching years

    def __post_init__(self) -> None:
        bad = [f for f in self.fields if f not in TEXT_FIELDS]
        if bad:
            raise ValueError(f"unknown field {bad[0]!r}")
        if self.sort not in SORTS:
            raise ValueError(f"unknown sort {self.sort!r}")
        if self.group not in GROUPS:
            raise ValueError(f"unknown group {self.group!r}")


@dataclass(frozen=True)
class Hit(StoredRecord):
    """A record that matched: the stored record, its score and, per field that matched, a snippet."""

    score: float = 0.0
    highlights: Mapping[str, Snippet] = field(default_factory=dict)

    @classmethod
    def of(cls, record: StoredRecord, score: float, highlights: Mapping[str, Snippet] | None = None) -> Hit:
        hit = object.__new__(cls)  # the record's fields as they are (see ``StoredRecord.from_row``)
        hit.__dict__.update(vars(record), score=score, highlights=highlights or {})
        return hit


@dataclass(frozen=True)
class SearchPage:
    query: str
    interpreted: str
    total: int
    page: int
    per_page: int
    took_ms: float
    results: tuple[Hit, ...]
    facets: dict[str, dict[str, int]]
    expansions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    ignored: tuple[str, ...] = ()
    #: Matching records by municipality and fiscal year, when more than one municipality matches.
    municipality_years: dict[str, dict[str, int]] = field(default_factory=dict)
    #: How the words read through the concept dictionary were read (a sentence reduced, a concept found).
    readings: tuple[Reading, ...] = ()
    #: "measure": ``results`` are each measure's best record, ``total`` counts measures, and ``matching_years``
    #: lists, for each result, every year of the measure that matched (best first); facets count measures.
    group: str = "record"
    total_records: int = 0
    matching_years: tuple[tuple[int, ...], ...] = ()

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class SimilarMeasure:
    """A measure like another: in another dataset, or another measure of the same plan."""

    measure_id: str
    dataset: str
    municipality: str
    title: str
    score: float


#: The fields a measure has whatever the year (its title, policy, section …).
MEASURE_FIELDS = record_fields(MEASURE)


@dataclass(frozen=True)
class MeasureAnswer:
    """A measure with every year's record in full, oldest first. The measure's own fields (``title``,
    ``policy`` …, see ``MEASURE_FIELDS``) are read from its records."""

    years: tuple[StoredRecord, ...]
    #: Similar measures in other datasets and in the same plan, best first.
    similar: tuple[SimilarMeasure, ...] = ()
    #: The words (index keys) that characterise it, by which ``similar`` were found.
    similar_words: tuple[str, ...] = ()

    @property
    def source(self) -> Source:
        """Where the measure's first year was read."""
        return self.years[0].source

    def __getattr__(self, name: str) -> object:
        if name in MEASURE_FIELDS and self.years:
            return getattr(self.years[0], name)
        raise AttributeError(name)


@dataclass(frozen=True)
class Stats:
    """Counts of records by year, policy and department, each by achievement category."""

    records: int
    by_year: dict[str, dict[str, int]]
    by_policy: dict[str, int]
    by_department: dict[str, int]
    by_policy_achievement: dict[str, dict[str, int]]
    by_department_achievement: dict[str, dict[str, int]]

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Health:
    """What ``/healthz`` says: ``status`` ``ok`` (a generation is served, checked and answering) or why not;
    ``info`` the generation served (None if none); ``problem`` the damage found, if any."""

    status: str
    info: IndexInfo | None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"
