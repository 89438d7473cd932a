"""The Whoosh schema and the documents written into it: one document per record (measure × fiscal year).

Text is analysed once, at index time, into three kinds of terms, each stored in
a plain keyword field so that Whoosh does no analysis of its own:

* ``k_<field>``: the lemma keys of each field (子ども → 子供), with term frequencies (BM25F);
* ``p_<field>``: adjacent key pairs (新型·コロナ, コロナ·ウイルス), so a word of several keys is
  matched as a phrase (its pairs all present) without reading positions;
* ``c_all``: the distinct character bigrams of the record's folded text, the fallback that finds
  words the dictionary splits differently in the query and in the text.

Each record's keys and their character offsets are stored too, so snippets are
cut without running the tokenizer again.
"""

from __future__ import annotations

from collections.abc import Mapping

from whoosh.fields import ID, KEYWORD, STORED, Schema

from .achievement import category, year_changes
from .analysis import gram_spans, index_terms
from .models import TEXT_FIELDS, Measure
from .normalize import normalize

#: Searchable texts: the record fields plus ``meta`` (policy, item, department, section).
SEARCH_FIELDS: tuple[str, ...] = (*TEXT_FIELDS, "meta")
#: Keyword facets (index array name → API name).
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
        CHAR_FIELD: KEYWORD(scorable=True),
    }
    for name in SEARCH_FIELDS:
        fields[key_field(name)] = KEYWORD(scorable=True)
        fields[pair_field(name)] = KEYWORD(scorable=True)
    return Schema(**fields)


def analyse(text: str) -> tuple[list[str], bytes]:
    """The index keys of ``text`` and their source offsets (start, end, start, end … as uint32 bytes)."""
    keys, offsets = index_terms(text)
    return keys, offsets.tobytes()




def char_bigrams(text: str) -> set[str]:
    folded = normalize(text).text
    return {folded[s:e] for s, e in gram_spans(folded) if e - s == 2}


#: The measure fields searched together as ``meta``.
META_KEYS = ("policy", "item", "department", "section")


def meta_text(values: Mapping[str, object] | Measure) -> str:
    """The ``meta`` text of a measure, or of a stored record (a mapping with the same keys): its policy,
    item, department and section, then the cells of columns the reader does not know (``extra``)."""
    if isinstance(values, Mapping):
        texts = [str(values.get(k) or "") for k in META_KEYS]
        texts += [cell["text"] for cell in values.get("extra") or ()]  # type: ignore[union-attr]
    else:
        texts = [getattr(values, k) for k in META_KEYS] + [text for _, text in values.extra]
    return "\n".join(t for t in texts if t)


def extra_cells(measure: Measure) -> list[dict[str, str]]:
    """The measure's cells in columns the reader does not know, as stored and served: column header and text."""
    return [{"column": column, "text": text} for column, text in measure.extra]


def documents(measure: Measure) -> list[tuple[dict[str, list[str]], dict[str, object], dict]]:
    """(terms per field, stored values, array row) for each year of a measure, with its change marks."""
    changes = year_changes(measure)
    fixed = {"title": measure.title, "meta": meta_text(measure)}
    fixed_tok = {name: analyse(text) for name, text in fixed.items()}
    fixed_grams = set().union(*(char_bigrams(t) for t in fixed.values()))
    out = []
    for record in measure.records():
        e = record.entry
        changed, trend = changes[e.year]
        stored = record.to_dict()
        stored.update(plan_page_text=measure.plan_page_text, repost=measure.repost, extra=extra_cells(measure),
                      achievement_category=category(e.achievement), changed=changed, trend=trend)
        tok = dict(fixed_tok)
        grams = set(fixed_grams)
        for name in ("status", "evaluation", "achievement", "plan"):
            text = getattr(e, name)
            tok[name] = analyse(text) if text else ([], b"")
            if text:
                grams |= char_bigrams(text)
        stored["tok"] = {name: (" ".join(keys), offs) for name, (keys, offs) in tok.items()}
        terms: dict[str, list[str]] = {"rid": [record.record_id], "measure_id": [measure.measure_id],
                                       CHAR_FIELD: list(grams)}
        row: dict[str, object] = {
            "year": str(e.year), "dataset": measure.dataset, "policy": measure.policy,
            "department": measure.department, "section": measure.section,
            "ach_cat": stored["achievement_category"], "changed": changed, "trend": trend,
            "plan_page": measure.plan_page if measure.plan_page is not None else -1,
        }
        for name, (keys, _) in tok.items():
            if keys:
                terms[key_field(name)] = keys
                if len(keys) > 1:
                    terms[pair_field(name)] = [pair(a, b) for a, b in zip(keys, keys[1:], strict=False)]
            row[f"len_{name}"] = len(keys)
        out.append((terms, {"rid": record.record_id, "doc": stored}, row))
    return out
