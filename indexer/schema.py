"""What the index holds of a record (a measure in one fiscal year), and the Whoosh schema it lives in.

Each record's searchable texts (its fields and ``meta``: policy, item, department, section and the cells of
columns the reader does not know) are analysed once, at index time, into lemma keys (子ども → 子供) with their
positions and character offsets. The keys go into one Whoosh field, ``k``, whose posting lists
(``postings.py``) say per record how much the key weighs, in which fields it occurs and where; the record itself
(its ``StoredRecord`` row and each field's key offsets, for snippets) goes into the document store
(``docstore.py``), its facet values and field lengths into NumPy arrays (``arrays.py``), and every morpheme's
written form with its key into the surface list (``surfaces.py``) that query words are matched against.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass

from whoosh.fields import KEYWORD, Schema

from .achievement import category, year_changes
from .analysis import Surface, Token, analyse
from .models import MEASURE, READ_FIELDS, TEXT_FIELDS, YEAR, Measure, StoredRecord

#: Searchable texts: the record fields plus ``meta`` (policy, item, department, section, extra cells).
SEARCH_FIELDS: tuple[str, ...] = (*TEXT_FIELDS, "meta")
#: Keyword facets (index array name → API name).
FACET_FIELDS: dict[str, str] = {
    "year": "year",
    "dataset": "dataset",
    "municipality": "municipality",
    "policy": "policy",
    "department": "department",
    "section": "section",
    "achievement_category": "achievement",
    "changed": "changed",
    "trend": "trend",
}
#: The Whoosh field of every key.
KEY_FIELD = "k"


def make_schema() -> Schema:
    return Schema(**{KEY_FIELD: KEYWORD()})


#: The measure fields searched together as ``meta``.
META_KEYS = ("policy", "item", "department", "section")


def meta_text(record: StoredRecord | Measure) -> str:
    """The ``meta`` text of a measure or record: its policy, item, department and section, then the cells of
    columns the reader does not know (``extra``)."""
    texts = [getattr(record, k) for k in META_KEYS] + [cell.text for cell in record.extra]
    return "\n".join(t for t in texts if t)


def stored_records(measure: Measure) -> list[StoredRecord]:
    """The measure's records as the index stores them, with their achievement category, change marks and the
    year before's achievement."""
    changes = year_changes(measure)
    read = {name: getattr(measure, name) for name, level in READ_FIELDS if level == MEASURE}
    out = []
    for e in measure.years:
        out.append(StoredRecord(**read, **{name: getattr(e, name) for name, level in READ_FIELDS if level == YEAR},
                                achievement_category=category(e.achievement), **changes[e.year]._asdict()))
    return out


@dataclass(frozen=True)
class AnalysedRecord:
    """A record and its searchable texts' keys, field by field (``SEARCH_FIELDS`` order)."""

    record: StoredRecord
    tokens: tuple[list[Token], ...]

    def offsets(self) -> dict[str, bytes]:
        """Each field's keys' (start, end) offsets as uint32 bytes: what snippets are cut from."""
        return {name: array("I", [x for t in tokens for x in (t.start, t.end)]).tobytes()
                for name, tokens in zip(SEARCH_FIELDS, self.tokens, strict=True) if tokens}


def analysed_records(measure: Measure, surfaces: set[Surface] | None = None) -> list[AnalysedRecord]:
    """Each year of a measure, analysed (its title and meta once). Every morpheme's (written form, key, unknown) is
    added to ``surfaces`` (a particle's key is ``""``)."""
    fixed = {"title": analyse(measure.title, surfaces), "meta": analyse(meta_text(measure), surfaces)}
    out = []
    for record in stored_records(measure):
        tokens = tuple(fixed[name] if name in fixed else analyse(getattr(record, name), surfaces)
                       for name in SEARCH_FIELDS)
        out.append(AnalysedRecord(record, tokens))
    return out
