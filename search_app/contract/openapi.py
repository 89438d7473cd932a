"""The OpenAPI 3 document of the JSON API (served at /api/openapi.json)."""

from __future__ import annotations

import typing

from indexer.models import MEASURE, TEXT_FIELDS, YEAR, ExtraCell, Source, StoredRecord, record_fields

from ..models import FILTERS, MAX_PER_PAGE, SORTS
from ..query import MAX_QUERY_CHARS
from .bodies import HIT_FIELDS

_STR = {"type": "string"}
_INT = {"type": "integer"}
_NULL_INT = {"type": ["integer", "null"]}
_NULL_STR = {"type": ["string", "null"]}
_COUNTS = {"type": "object", "additionalProperties": {"type": "integer"}}


def _param(name: str, schema: dict, description: str, required: bool = False, many: bool = False) -> dict:
    if many:
        schema = {"type": "array", "items": schema}
    out = {"name": name, "in": "query", "required": required, "description": description, "schema": schema}
    if many:
        out.update(style="form", explode=True)
    return out


def _error_response(description: str) -> dict:
    schema = {"$ref": "#/components/schemas/Error"}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_SOURCE = {"type": "object", "required": ["file", "line"], "properties": {"file": _STR, "line": _INT}}
_EXTRA = {"type": "object", "required": ["column", "text"], "properties": {"column": _STR, "text": _STR}}
#: JSON schema of each type a stored record's field has.
_SCHEMAS: dict[object, dict] = {
    str: _STR, int: _INT, int | None: _NULL_INT, str | None: _NULL_STR, Source: _SOURCE,
    tuple[ExtraCell, ...]: {"type": "array", "items": _EXTRA},
}
_TYPES = typing.get_type_hints(StoredRecord)


def _record_schema(names: tuple[str, ...]) -> dict[str, dict]:
    """The JSON schemas of these stored-record fields, from their declared types."""
    return {name: _SCHEMAS[_TYPES[name]] for name in names}


HIT = {
    "type": "object",
    "required": [*HIT_FIELDS, "plan_url", "score", "highlights", "url"],
    "properties": {
        **_record_schema(HIT_FIELDS), "plan_url": {"type": ["string", "null"]}, "score": {"type": "number"},
        "highlights": {"type": "object", "additionalProperties": _STR}, "url": _STR,
        "matching_years": {"type": "array", "items": {
            "type": "object", "required": ["year", "year_label", "url"],
            "properties": {"year": _INT, "year_label": _STR, "url": _STR}}},
    },
}

READING = {
    "type": "object", "required": ["word", "sentence", "concepts", "words", "dropped"],
    "properties": {"word": _STR, "sentence": {"type": "boolean"},
                   "concepts": {"type": "array", "items": {
                       "type": "object", "required": ["phrase", "concept", "terms"],
                       "properties": {"phrase": _STR, "concept": _STR,
                                      "terms": {"type": "array", "items": _STR}}}},
                   "words": {"type": "array", "items": _STR}, "dropped": {"type": "array", "items": _STR}},
}

SEARCH_RESULT = {
    "type": "object",
    "required": ["query", "interpreted", "total", "page", "per_page", "took_ms", "results", "facets"],
    "properties": {
        "query": _STR, "interpreted": _STR, "total": _INT, "page": _INT, "per_page": _INT,
        "took_ms": {"type": "number"}, "results": {"type": "array", "items": HIT},
        "facets": {"type": "object", "additionalProperties": _COUNTS},
        "expansions": {"type": "object", "additionalProperties": {"type": "array", "items": _STR}},
        "ignored": {"type": "array", "items": _STR},
        "municipality_years": {"type": "object", "additionalProperties": _COUNTS},
        "readings": {"type": "array", "items": READING},
        "group": {"type": "string", "enum": ["record", "measure"]}, "total_records": _INT,
    },
}

YEAR_RECORD = {
    "type": "object",
    "required": list(record_fields(YEAR)),
    "properties": _record_schema(record_fields(YEAR)),
}

MEASURE_SCHEMA = {
    "type": "object",
    "required": [*record_fields(MEASURE), "source", "plan_url", "years"],
    "properties": {
        **_record_schema(record_fields(MEASURE)), "source": _SOURCE, "plan_url": {"type": ["string", "null"]},
        "years": {"type": "array", "items": YEAR_RECORD},
        "similar": {"type": "array", "items": {
            "type": "object", "required": ["measure_id", "dataset", "municipality", "title", "score"],
            "properties": {"measure_id": _STR, "dataset": _STR, "municipality": _STR, "title": _STR,
                           "score": {"type": "number"}}}},
    },
}

DATASETS = {
    "type": "object",
    "required": ["datasets"],
    "properties": {"datasets": {"type": "array", "items": {
        "type": "object",
        "required": ["id", "municipality", "name", "years", "measures", "records", "sources"],
        "properties": {
            "id": _STR, "municipality": _STR, "name": _STR, "years": {"type": "array", "items": _INT},
            "measures": _INT, "records": _INT, "warnings": _INT, "read_at": _STR,
            "sources": {"type": "array", "items": {
                "type": "object", "required": ["file", "years", "rows", "warnings"],
                "properties": {"file": _STR, "years": {"type": "array", "items": _INT}, "rows": _INT,
                               "warnings": _INT, "modified": {"type": ["string", "null"]}}}},
        }}}},
}

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["status", "code", "message", "parameter"], "properties": {
        "status": _INT, "code": _STR, "message": _STR, "parameter": {"type": ["string", "null"]}}}},
}


HEALTH = {"type": "object", "required": ["status", "records", "datasets", "index_built_at"],
          "properties": {"status": {"type": "string", "enum": ["ok", "rebuilding", "index_damaged", "no_index"]},
                         "records": {"type": "integer"}, "datasets": {"type": "array", "items": {"type": "string"}},
                         "index_built_at": {"type": ["string", "null"]}, "generation": {"type": ["string", "null"]},
                         "problem": {"type": "string"}}}


def openapi_document() -> dict:
    search_params = [
        _param("q", {"type": "string", "maxLength": MAX_QUERY_CHARS},
               "the query: words ANDed, OR, -word, \"phrase\"; empty or absent: every record the filters allow"),
        _param("year", {"type": "integer", "minimum": 1900, "maximum": 2200}, "fiscal year, e.g. 2021", many=True),
        _param("field", {"type": "string", "enum": list(TEXT_FIELDS)}, "restrict matching to fields", many=True),
        *[_param(f, _STR, f"facet filter: exact {f} value", many=True) for f in FILTERS],
        _param("page", {"type": "integer", "minimum": 1}, "1-based page"),
        _param("per_page", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE}, "results per page"),
        _param("sort", {"type": "string", "enum": list(SORTS)}, "order of results"),
        _param("synonyms", {"type": "string", "enum": ["on", "off"]}, "expand synonyms (default on)"),
        _param("nosyn", _STR, "a query word whose synonyms are not expanded", many=True),
        _param("group", {"type": "string", "enum": ["record", "measure"]},
               "record (default): a result per record; measure: a result per measure, with its matching years"),
        _param("concepts", {"type": "string", "enum": ["on", "off"]},
               "read plain words and short sentences through the concept dictionary (default on)"),
    ]
    return {
        "openapi": "3.1.0",
        "info": {"title": "plansearch", "version": "1.0",
                 "description": "Japanese full-text search over municipal plan-evaluation tables."},
        "paths": {
            "/api/search": {"get": {"summary": "Ranked search over records", "operationId": "search",
                                    "parameters": search_params, "responses": {
                                        "200": {"description": "a page of results", "content": {
                                            "application/json": {"schema": {"$ref": "#/components/schemas/Search"}}}},
                                        "400": _error_response("a bad parameter")}}},
            "/api/measures/{measure_id}": {"get": {
                "summary": "A measure with every year's record", "operationId": "measure",
                "parameters": [{"name": "measure_id", "in": "path", "required": True, "schema": _STR}],
                "responses": {"200": {"description": "the measure", "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Measure"}}}},
                    "404": _error_response("no such measure")}}},
            "/api/datasets": {"get": {"summary": "Every dataset: municipality, plan, years and source tables",
                                      "operationId": "datasets", "responses": {"200": {
                                          "description": "the datasets", "content": {"application/json": {
                                              "schema": {"$ref": "#/components/schemas/Datasets"}}}}}}},
            "/api/stats": {"get": {"summary": "Counts by year × achievement, policy, department",
                                   "operationId": "stats", "responses": {"200": {
                                       "description": "counts", "content": {"application/json": {"schema": {
                                           "type": "object"}}}}}}},
            "/healthz": {"get": {"summary": "Service health", "operationId": "health", "responses": {
                "200": {"description": "a generation is served, checked and answering",
                        "content": {"application/json": {"schema": HEALTH}}},
                "503": {"description": "no generation can be served: status rebuilding, index_damaged or no_index",
                        "content": {"application/json": {"schema": HEALTH}}}}}},
        },
        "components": {"schemas": {"Search": SEARCH_RESULT, "Measure": MEASURE_SCHEMA, "Datasets": DATASETS,
                                   "Error": ERROR}},
    }
