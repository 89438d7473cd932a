"""Request parameters → ``SearchRequest``, with an ``ApiError`` naming the parameter at fault."""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import unquote, unquote_to_bytes

from werkzeug.datastructures import MultiDict

from indexer.models import TEXT_FIELDS

from ..models import FILTERS, GROUPS, MAX_PER_PAGE, SORTS, SearchRequest
from ..query import MAX_QUERY_CHARS, QueryError, parse
from .errors import ApiError

KNOWN = {"q", "year", "field", "page", "per_page", "sort", "synonyms", "nosyn", "concepts", "group", "browse",
         "score", *FILTERS}
MAX_VALUES = 50
MAX_PAGE = 10_000


def _bad(parameter: str, message: str) -> ApiError:
    return ApiError(400, "bad_parameter", message, parameter)


_DIGITS = re.compile(r"[0-9]{1,9}")
_FULL_WIDTH = str.maketrans("０１２３４５６７８９", "0123456789")


def _number(raw: str) -> int:
    """A whole number written in ASCII or full-width digits (２０２１); ValueError for anything else
    (signs, ``1_000``, other scripts' digits, which ``int()`` would take)."""
    text = raw.translate(_FULL_WIDTH).strip()
    if not _DIGITS.fullmatch(text):
        raise ValueError(raw)
    return int(text)


def _int(args: MultiDict, name: str, default: int, low: int, high: int, what: str) -> int:
    raw = _first(args, name)
    if raw is None:
        return default
    try:
        value = _number(raw)
    except ValueError:
        raise _bad(name, f"{name} must be {what}") from None
    if not low <= value <= high:
        raise _bad(name, f"{name} must be {what}")
    return value


def check_utf8(query_string: bytes) -> None:
    """An ``ApiError`` naming the first parameter whose %-decoded bytes are not UTF-8.

    werkzeug keeps such a value as the literal text ``%FF``, which would then be searched for.
    """
    try:  # the whole at once: a character's bytes never span "&" or "=", so it is UTF-8 if every part is
        unquote_to_bytes(query_string.replace(b"+", b" ")).decode("utf-8")
        return
    except UnicodeDecodeError:
        pass
    for pair in query_string.split(b"&"):
        name, _, value = pair.partition(b"=")
        for part in (name, value):
            try:
                unquote_to_bytes(part.replace(b"+", b" ")).decode("utf-8")
            except UnicodeDecodeError:
                shown = unquote(name.decode("latin-1"), errors="replace")
                raise ApiError(400, "bad_parameter",
                               f"{shown} is not UTF-8 text once %-decoded; send text as UTF-8 (いじめ is "
                               "%E3%81%84%E3%81%98%E3%82%81)", shown if part is value and shown in KNOWN else None,
                               ja="アドレスの文字が読めません（UTF-8 ではありません）。検索欄に入れ直してください。",
                               ) from None


def check_repeats(args: MultiDict) -> None:
    """An ``ApiError`` naming the first parameter given more than ``MAX_VALUES`` times (any parameter, known or
    not: no page reads more)."""
    for name, values in args.lists():
        if len(values) > MAX_VALUES:
            shown = name if name in KNOWN else None
            raise _bad(shown, f"{name[:40]} may be given at most {MAX_VALUES} times")


def search_request(args: MultiDict, default_per_page: int = 20, default_group: str = "record") -> SearchRequest:
    q = (_first(args, "q") or "").strip()
    if len(q) > MAX_QUERY_CHARS:
        raise _bad("q", f"q must be at most {MAX_QUERY_CHARS} characters")
    if q:
        try:
            parse(q)
        except QueryError as exc:
            raise ApiError(400, "bad_query", str(exc), "q") from None
    years = []
    for raw in _many(args, "year"):
        try:
            year = _number(raw)
        except ValueError:
            raise _bad("year", "year must be a fiscal year such as 2021") from None
        if not 1900 <= year <= 2200:
            raise _bad("year", "year must be a fiscal year such as 2021")
        years.append(year)
    fields = _many(args, "field")
    for f in fields:
        if f not in TEXT_FIELDS:
            raise _bad("field", f"field must be one of {', '.join(TEXT_FIELDS)}")
    sort = _first(args, "sort", "relevance" if q else "plan_page")  # browsing: in the plan's order
    if sort not in SORTS:
        raise _bad("sort", f"sort must be one of {', '.join(SORTS)}")
    filters = {name: tuple(v for v in _many(args, name) if v) for name in FILTERS if args.getlist(name)}
    synonyms = _switch(args, "synonyms", True)
    concepts = _switch(args, "concepts", True)
    group = _first(args, "group", default_group)
    if group not in GROUPS:
        raise _bad("group", f"group must be one of {', '.join(GROUPS)}")
    return SearchRequest(
        q=q,
        years=tuple(dict.fromkeys(years)),
        fields=tuple(dict.fromkeys(fields)),
        filters=filters,
        page=_int(args, "page", 1, 1, MAX_PAGE, f"a page number from 1 to {MAX_PAGE}"),
        per_page=_int(args, "per_page", default_per_page, 1, MAX_PER_PAGE, f"between 1 and {MAX_PER_PAGE}"),
        sort=sort,
        synonyms=synonyms,
        disabled_synonyms=tuple(w for w in _many(args, "nosyn") if w),
        concepts=concepts,
        group=group,
    )


def export_score(args: MultiDict) -> bool:
    """Whether an export has a column of each record's search score (``score=on``; off unless asked)."""
    return _switch(args, "score", False)


def _switch(args: MultiDict, name: str, default: bool) -> bool:
    raw = _first(args, name)
    if raw is None:
        return default
    if raw.lower() not in ("on", "off"):
        raise _bad(name, f"{name} must be on or off")
    return raw.lower() == "on"


def _first(args: MultiDict, name: str, default: str | None = None) -> str | None:
    """The parameter's first value, else ``default`` (``args.get`` builds an exception for every parameter a
    request leaves out, most of them for a search)."""
    values = args.getlist(name)
    return values[0] if values else default


def _many(args: MultiDict, name: str) -> list[str]:
    values = args.getlist(name)
    if len(values) > MAX_VALUES:
        raise _bad(name, f"{name} may be given at most {MAX_VALUES} times")
    for v in values:
        if len(v) > MAX_QUERY_CHARS:
            raise _bad(name, f"{name} must be at most {MAX_QUERY_CHARS} characters")
    return values


def page_args(args: Mapping, **changes: object) -> dict:
    """The current page's parameters with some changed (None removes one): for facet and page links."""
    out: dict[str, list[str]] = {k: list(args.getlist(k)) for k in args if k in KNOWN}
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, list | tuple):
            out[key] = [str(v) for v in value]
        else:
            out[key] = [str(value)]
    if "page" not in changes:  # a changed filter starts again at page 1
        out.pop("page", None)
    return out
