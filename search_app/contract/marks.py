"""Highlights as HTML: a snippet's text escaped, each match wrapped in ``<mark>`` and no other markup."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from indexer.models import ExtraCell

from .. import highlight
from ..highlight import Pattern, Snippet, Tokens

ELLIPSIS = "…"
#: The characters ``html.escape`` replaces.
_SPECIAL = re.compile(r"[&<>\"']")


def snippet_html(found: Snippet) -> str:
    """The escaped text with ``<mark>`` around each match, ``…`` where the field goes on, ``column: `` first
    for an extra cell."""
    text = found.text
    special = _SPECIAL.search(text) is not None  # most texts have nothing to escape
    out = [ELLIPSIS] if found.cut_before else []
    pos = 0
    for s, e in found.spans:
        if s > pos:
            out.append(html.escape(text[pos:s]) if special else text[pos:s])
        out += ("<mark>", html.escape(text[s:e]) if special else text[s:e], "</mark>")
        pos = e
    if pos < len(text):
        out.append(html.escape(text[pos:]) if special else text[pos:])
    if found.cut_after:
        out.append(ELLIPSIS)
    text = "".join(out)
    return f"{html.escape(found.label)}: {text}" if found.label else text


def snippet(text: str, patterns: Sequence[Pattern], length: int = 120, tokens: Tokens | None = None) -> str:
    """The HTML of ``highlight.snippet``."""
    return snippet_html(highlight.snippet(text, patterns, length, tokens))


def extra_snippet(meta: str, cells: Sequence[ExtraCell], patterns: Sequence[Pattern], length: int = 120,
                  tokens: Tokens | None = None) -> str | None:
    """The HTML of ``highlight.extra_snippet``."""
    found = highlight.extra_snippet(meta, cells, patterns, length, tokens)
    return snippet_html(found) if found is not None else None
