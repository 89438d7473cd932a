"""The Whoosh schema: one document per record (measure × fiscal year)."""

from __future__ import annotations

from whoosh.fields import ID, NUMERIC, STORED, TEXT, Schema

from .achievement import category, year_changes
from .analysis import bigram_analyzer, ja_analyzer
from .models import TEXT_FIELDS, Measure

#: Searchable texts: the record fields plus ``meta`` (policy, item, department, section).
SEARCH_FIELDS: tuple[str, ...] = (*TEXT_FIELDS, "meta")
#: Keyword fields a search can filter and facet on (index field name → API name).
FACET_FIELDS: dict[str, str] = {
    "year": "year",
    "dataset": "dataset",
    "policy": "policy",
    "department": "department",
    "section": "section",
    "ach_cat": "achievement",
    "changed": "changed",
    "trend": "trend",
}


def morph_field(name: str) -> str:
    return f"t_{name}"


def bigram_field(name: str) -> str:
    return f"b_{name}"


def make_schema() -> Schema:
    ja, bigram = ja_analyzer(), bigram_analyzer()
    fields: dict[str, object] = {
        "rid": ID(stored=True, unique=True),
        "measure_id": ID(stored=True),
        "item": ID(stored=True, sortable=True),
        "plan_page": NUMERIC(int, bits=32, sortable=True, stored=True),
        "doc": STORED(),
    }
    for name in FACET_FIELDS:
        fields[name] = ID(stored=True, sortable=True)
    for name in SEARCH_FIELDS:
        fields[morph_field(name)] = TEXT(analyzer=ja, phrase=True)
        fields[bigram_field(name)] = TEXT(analyzer=bigram, phrase=True)
    return Schema(**fields)


def meta_text(measure: Measure) -> str:
    return "\n".join(t for t in (measure.policy, measure.item, measure.department, measure.section) if t)


def documents(measure: Measure) -> list[dict]:
    """The index documents of one measure, one per year, with change marks."""
    changes = year_changes(measure)
    meta = meta_text(measure)
    docs = []
    for record in measure.records():
        e = record.entry
        changed, trend = changes[e.year]
        stored = record.to_dict()
        stored.update(plan_page_text=measure.plan_page_text, repost=measure.repost,
                      achievement_category=category(e.achievement), changed=changed, trend=trend)
        doc: dict[str, object] = {
            "rid": record.record_id,
            "measure_id": measure.measure_id,
            "item": measure.item,
            "year": str(e.year),
            "dataset": measure.dataset,
            "policy": measure.policy,
            "department": measure.department,
            "section": measure.section,
            "ach_cat": stored["achievement_category"],
            "changed": changed,
            "trend": trend,
            "doc": stored,
        }
        if measure.plan_page is not None:
            doc["plan_page"] = measure.plan_page
        for name in TEXT_FIELDS:
            text = record.text(name)
            if text:
                doc[morph_field(name)] = text
                doc[bigram_field(name)] = text
        if meta:
            doc[morph_field("meta")] = meta
            doc[bigram_field("meta")] = meta
        docs.append(doc)
    return docs


