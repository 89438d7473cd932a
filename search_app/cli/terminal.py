"""Printing a result page on a terminal: colour where the output is one, plain when piped."""

from __future__ import annotations

import json
import re

from indexer.models import HIGHLIGHT_LABELS

from ..highlight import Snippet
from ..logs import printable
from ..models import SearchPage

ELLIPSIS = "…"
#: What JSON with ``ensure_ascii`` off leaves raw: DEL, C1 controls, lone surrogates (C0 are escaped).
_JSON_RAW = re.compile(r"[\x7f-\x9f\ud800-\udfff]")


def json_line(value: object) -> str:
    """``value`` as one line of JSON, Japanese readable, and no raw control character or lone surrogate
    (those are written as ``\\u`` escapes, which JSON readers decode back)."""
    text = json.dumps(value, ensure_ascii=False)
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _drawn(found: Snippet, color: bool) -> str:
    """A snippet for a terminal: matches in bold yellow, or in [brackets] when the output is not a terminal."""
    out = [ELLIPSIS] if found.cut_before else []
    for piece, marked in found.pieces():
        text = printable(piece)
        out.append((f"\x1b[1;33m{text}\x1b[0m" if color else f"[{text}]") if marked else text)
    if found.cut_after:
        out.append(ELLIPSIS)
    return (f"{printable(found.label)}: " if found.label else "") + "".join(out)


def print_page(page: SearchPage, color: bool = False) -> None:
    bold = (lambda s: f"\x1b[1m{s}\x1b[0m") if color else (lambda s: s)
    p = printable
    print(p(f"{page.total} results for {page.interpreted} ({page.took_ms} ms)"))
    for n, hit in enumerate(page.results, start=(page.page - 1) * page.per_page + 1):
        where = f"P.{hit.plan_page}" if hit.plan_page else ""
        town = f"{hit.municipality} " if hit.municipality else ""
        print(f"\n{n}. {bold(p(hit.title))}  {p(f'[{town}{hit.year_label}] {hit.measure_id}  {where}')}")
        before = "" if hit.previous_achievement is None else f"（前年度: {hit.previous_achievement or '未記入'}）"
        print(p(f"   {hit.policy} › {hit.item} / {hit.department} {hit.section} / 達成度: {hit.achievement}{before}"))
        for field, found in hit.highlights.items():
            print(f"   {HIGHLIGHT_LABELS[field]}: {_drawn(found, color)}")
