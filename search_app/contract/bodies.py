"""The JSON API's response bodies (``../shared/API.md``), and the hits and pages they are made of as shown.

A ``ShownHit`` is a library ``Hit`` with what a person is shown of it: its highlights as HTML, a link to its
measure page and one to its page of the plan. Pages and the API render the same shown hits.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from indexer.generations import IndexInfo
from indexer.models import MEASURE, YEAR, record_fields
from indexer.years import year_label

from ..models import Health, Hit, MeasureAnswer, SearchPage, Stats
from ..reading import Reading
from .links import Links, measure_url
from .marks import snippet_html

#: The record fields a search result carries (the rest are on the measure's page).
HIT_FIELDS = record_fields(hit=True)


@dataclass(frozen=True)
class ShownHit:
    """A hit as pages and the API show it; every field of the ``Hit`` is readable here too."""

    hit: Hit
    highlights: dict[str, str]  # field → HTML fragment
    url: str
    plan_url: str | None

    def __getattr__(self, name: str) -> object:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.hit, name)


@dataclass(frozen=True)
class ShownPage:
    """A result page as shown: the library's page with its hits shown; its other fields are readable here."""

    found: SearchPage
    results: tuple[ShownHit, ...]

    def __getattr__(self, name: str) -> object:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.found, name)


class Presenter:
    """Turns the library's results into what is shown, with the links of one data folder."""

    def __init__(self, links: Links) -> None:
        self.links = links

    def hit(self, hit: Hit) -> ShownHit:
        return ShownHit(hit, {f: snippet_html(s) for f, s in hit.highlights.items()},
                        measure_url(hit.measure_id, hit.year), self.links.plan_url(hit.dataset, hit.plan_page))

    def page(self, page: SearchPage) -> ShownPage:
        return ShownPage(page, tuple(self.hit(h) for h in page.results))

    # -- bodies ------------------------------------------------------------------------------------------------
    def hit_body(self, shown: ShownHit) -> dict:
        fields = vars(shown.hit)
        body = {name: fields[name] for name in HIT_FIELDS}
        body.update(plan_url=shown.plan_url, score=shown.hit.score, highlights=shown.highlights, url=shown.url)
        return body

    def search_body(self, shown: ShownPage) -> dict:
        """``GET /api/search``."""
        page = shown.found
        return {
            "query": page.query,
            "interpreted": page.interpreted,
            "total": page.total,
            "page": page.page,
            "per_page": page.per_page,
            "took_ms": page.took_ms,
            "results": [self.hit_body(h) for h in shown.results] if page.group == "record" else [
                {**self.hit_body(h), "matching_years": [self.year_body(h, y) for y in years]}
                for h, years in zip(shown.results, page.matching_years, strict=True)],
            "facets": page.facets,
            "expansions": {k: list(v) for k, v in page.expansions.items()},
            "ignored": list(page.ignored),
            "municipality_years": page.municipality_years,
            "readings": [reading_body(r) for r in page.readings],
            "group": page.group,
            "total_records": page.total_records,
        }

    @staticmethod
    def year_body(hit: Hit, year: int) -> dict:
        """One matching year of a measure result: the year, its label and its place on the measure page."""
        return {"year": year, "year_label": year_label(year), "url": f"{measure_url(hit.measure_id)}#y{year}"}

    def measure_body(self, measure: MeasureAnswer) -> dict:
        """``GET /api/measures/{measure_id}``: the measure's fields, its plan link and every year's record."""
        first = measure.years[0].to_dict()
        body = {name: first[name] for name in record_fields(MEASURE)}
        body["source"] = measure.source.to_dict()
        body["plan_url"] = self.links.plan_url(measure.dataset, measure.plan_page)
        body["years"] = [{name: value for name, value in r.to_dict().items() if name in YEAR_FIELDS}
                         for r in measure.years]
        body["similar"] = [asdict(s) for s in measure.similar]
        return body


YEAR_FIELDS = frozenset(record_fields(YEAR))


def reading_body(reading: Reading) -> dict:
    """How a query word was read through the concept dictionary (``readings`` of ``/api/search``)."""
    return {"word": reading.text, "sentence": reading.sentence,
            "concepts": [{"phrase": u.phrase, "concept": u.concept.head, "terms": list(u.finds)}
                         for u in reading.concepts],
            "words": list(reading.words), "dropped": list(reading.dropped)}


def stats_body(stats: Stats) -> dict:
    """``GET /api/stats``."""
    return stats.to_dict()


def datasets_body(info: IndexInfo) -> dict:
    """``GET /api/datasets``: every dataset of the live index, ordered by id."""
    return {"datasets": [{"id": d.slug, "municipality": d.municipality, "name": d.name, "years": list(d.years),
                          "measures": d.measures, "records": d.records, "warnings": d.warnings,
                          "sources": list(d.sources), "read_at": d.read_at}
                         for d in sorted(info.datasets, key=lambda d: d.slug)]}


def health_body(health: Health) -> dict:
    """``GET /healthz``: the same keys whatever the status (``records`` 0 and no datasets when nothing is served);
    ``problem`` says what is wrong, or what was found damaged and dropped (empty when nothing was)."""
    info = health.info
    return {"status": health.status, "records": info.records if info else 0,
            "datasets": info.dataset_slugs if info else [], "index_built_at": info.built_at if info else None,
            "generation": info.generation if info else None, "problem": health.problem}
