"""The Whoosh schema and the documents written into it: one document per record (measure × fiscal year).

Text is analysed once, at index time, into three kinds of terms, each stored in
a plain keyword field so that Whoosh does no analysis of its own:

* ``k_<field>``: the lemma keys of each field (子ども → 子供), with term frequencies (BM25F);
* ``p_<field>``: adjacent key pairs (新型·コロナ, コロナ·ウイルス), so a word of several keys is
  matched as a phrase (its pairs all present) without reading positions;
* ``c_all``: the distinct character bigrams of the record's folded text, the fallback that finds
  words the dictionary splits differently in the query and in the text.

Each record is stored as a ``StoredRecord`` row, with its keys and their character
offsets, so snippets are cut without running the tokenizer again.
"""

from __future__ import annotations

from array import array

from whoosh.fields import ID, KEYWORD, STORED, Schema

from .achievement import category, year_changes
from .analysis import analyse, gram_spans
from .models import MEASURE, READ_FIELDS, TEXT_FIELDS, YEAR, Measure, StoredRecord
from .normalize import normalize

#: Searchable texts: the record fields plus ``meta`` (policy, item, department, section).
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
PAIR_SEP = "\x1f"
CHAR_FIELD = "c_all"


def key_field(name: str) -> str:
    return f"k_{name}"


def pair_field(name: str) -> str:
    return f"p_{name}"


def pair(a: str, b: str) -> str:
    return f"{a}{PAIR_SEP}{b}"


def make_schema() -> Schema:
    fields: dict[str, object] = {
        "rid": ID(stored=True, unique=True),
        "measure_id": ID(),
        "doc": STORED(),
        "tok": STORED(),
        CHAR_FIELD: KEYWORD(scorable=True),
    }
    for name in SEARCH_FIELDS:
        fields[key_field(name)] = KEYWORD(scorable=True)
        fields[pair_field(name)] = KEYWORD(scorable=True)
    return Schema(**fields)


def analysed(text: str) -> tuple[list[str], bytes]:
    """The index keys of ``text`` and their source offsets (start, end, start, end … as uint32 bytes)."""
    tokens = analyse(text)
    return [t.key for t in tokens], array("I", [x for t in tokens for x in (t.start, t.end)]).tobytes()


def char_bigrams(text: str) -> set[str]:
    folded = normalize(text).text
    return {folded[s:e] for s, e in gram_spans(folded) if e - s == 2}


#: The measure fields searched together as ``meta``.
META_KEYS = ("policy", "item", "department", "section")


def meta_text(record: StoredRecord | Measure) -> str:
    """The ``meta`` text of a measure or record: its policy, item, department and section, then the cells of
    columns the reader does not know (``extra``)."""
    texts = [getattr(record, k) for k in META_KEYS] + [cell.text for cell in record.extra]
    return "\n".join(t for t in texts if t)


def stored_records(measure: Measure) -> list[StoredRecord]:
    """The measure's records as the index stores them, with their achievement category and change marks."""
    changes = year_changes(measure)
    read = {name: getattr(measure, name) for name, level in READ_FIELDS if level == MEASURE}
    out = []
    for e in measure.years:
        changed, trend = changes[e.year]
        out.append(StoredRecord(**read, **{name: getattr(e, name) for name, level in READ_FIELDS if level == YEAR},
                                achievement_category=category(e.achievement), changed=changed, trend=trend))
    return out


def documents(measure: Measure) -> list[tuple[dict[str, list[str]], dict[str, object], dict]]:
    """(terms per field, stored values, array row) for each year of a measure."""
    fixed = {"title": measure.title, "meta": meta_text(measure)}
    fixed_tok = {name: analysed(text) for name, text in fixed.items()}
    fixed_grams = set().union(*(char_bigrams(t) for t in fixed.values()))
    out = []
    for record in stored_records(measure):
        tok = dict(fixed_tok)
        grams = set(fixed_grams)
        for name in ("status", "evaluation", "achievement", "plan"):
            text = getattr(record, name)
            tok[name] = analysed(text) if text else ([], b"")
            if text:
                grams |= char_bigrams(text)
        rid = f"{record.measure_id}@{record.year}"
        stored = {"rid": rid, "doc": record.to_row(),
                  "tok": {name: (" ".join(keys), offs) for name, (keys, offs) in tok.items()}}
        terms: dict[str, list[str]] = {"rid": [rid], "measure_id": [record.measure_id], CHAR_FIELD: list(grams)}
        row: dict[str, object] = {
            "year": str(record.year), "dataset": record.dataset, "municipality": record.municipality,
            "measure_id": record.measure_id,
            "policy": record.policy,
            "department": record.department, "section": record.section,
            "achievement_category": record.achievement_category, "changed": record.changed, "trend": record.trend,
            "plan_page": record.plan_page if record.plan_page is not None else -1,
        }
        for name, (keys, _) in tok.items():
            if keys:
                terms[key_field(name)] = keys
                if len(keys) > 1:
                    terms[pair_field(name)] = [pair(a, b) for a, b in zip(keys, keys[1:], strict=False)]
            row[f"len_{name}"] = len(keys)
        out.append((terms, stored, row))
    return out
