"""Typed requests and results of the search library (no Whoosh or Flask objects)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from indexer.models import TEXT_FIELDS

SORTS = ("relevance", "plan_page", "year")
#: Facet filters a request may carry (API parameter names).
FILTERS = ("dataset", "policy", "department", "section", "achievement", "changed", "trend")
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

    def __post_init__(self) -> None:
        bad = [f for f in self.fields if f not in TEXT_FIELDS]
        if bad:
            raise ValueError(f"unknown field {bad[0]!r}")
        if self.sort not in SORTS:
            raise ValueError(f"unknown sort {self.sort!r}")


@dataclass(frozen=True)
class Hit:
    measure_id: str
    dataset: str
    title: str
    policy: str
    item: str
    plan_page: int | None
    plan_url: str | None
    department: str
    section: str
    year: int
    year_label: str
    achievement: str
    achievement_category: str
    changed: str
    trend: str
    score: float
    highlights: dict[str, str]
    url: str

    def to_dict(self) -> dict:
        return asdict(self)


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

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    def to_dict(self) -> dict:
        return {
            "query": self.query,
            "interpreted": self.interpreted,
            "total": self.total,
            "page": self.page,
            "per_page": self.per_page,
            "took_ms": self.took_ms,
            "results": [h.to_dict() for h in self.results],
            "facets": self.facets,
            "expansions": {k: list(v) for k, v in self.expansions.items()},
            "ignored": list(self.ignored),
        }
