"""Printing a result page on a terminal: colour where the output is one, plain when piped."""

from __future__ import annotations

import json
import re

from indexer.models import HIGHLIGHT_LABELS

from ..highlight import Snippet
from ..models import SearchPage

ELLIPSIS = "…"
#: Control characters a terminal would act on (escape sequences, bells, carriage returns …), not tab or newline;
#: and lone surrogates: the bytes of a file name that is not UTF-8 (0x9b is an 8-bit escape) or that no
#: strict encoder writes.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
#: What JSON with ``ensure_ascii`` off leaves raw: DEL, C1 controls, lone surrogates (C0 are escaped).
_JSON_RAW = re.compile(r"[\x7f-\x9f\ud800-\udfff]")


def _shown(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte, as Python's file system encoding keeps it
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: object) -> str:
    """``text`` safe to print on a terminal: control characters shown as ``\\x1b`` rather than obeyed."""
    return _CONTROL.sub(lambda m: _shown(m.group()), str(text))


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
        print(p(f"   {hit.policy} › {hit.item} / {hit.department} {hit.section} / 達成度: {hit.achievement}"))
        for field, found in hit.highlights.items():
            print(f"   {HIGHLIGHT_LABELS[field]}: {_drawn(found, color)}")
