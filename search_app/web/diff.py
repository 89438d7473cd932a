"""Token-level differences between one year's text and the year before, as escaped HTML."""

from __future__ import annotations

import difflib
import html

from indexer.analysis import morphemes
from indexer.normalize import normalize


def pieces(text: str) -> list[str]:
    """``text`` cut into morphemes, the whitespace between them kept: ``"".join(pieces(t)) == t``."""
    norm = normalize(text)
    out: list[str] = []
    pos = 0
    for _, _, _, start, end in morphemes(norm):
        s, e = norm.span(start, end)
        if s < pos:
            continue
        if s > pos:
            out.append(text[pos:s])
        out.append(text[s:e])
        pos = e
    if pos < len(text):
        out.append(text[pos:])
    return out


def diff_html(previous: str | None, current: str) -> tuple[str, str]:
    """(html, state): ``current`` escaped, with what is new since ``previous`` in ``<ins>``.

    state is ``same`` (copied over unchanged), ``changed``, ``new`` (no previous year) or ``empty``.
    """
    if not current:
        return "", "empty"
    if previous is None:
        return html.escape(current), "new"
    if previous == current:
        return html.escape(current), "same"
    a, b = pieces(previous), pieces(current)
    out: list[str] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for op, _, _, j1, j2 in matcher.get_opcodes():
        chunk = html.escape("".join(b[j1:j2]))
        if not chunk:
            continue
        out.append(chunk if op == "equal" else f"<ins>{chunk}</ins>")
    return "".join(out), "changed"
