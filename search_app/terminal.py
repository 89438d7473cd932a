"""Printing a result page on a terminal: colour where the output is one, plain when piped."""

from __future__ import annotations

import html
import re

from indexer.models import HIGHLIGHT_LABELS

from .models import SearchPage

_MARK = re.compile(r"<mark>(.*?)</mark>", re.S)


def _plain(fragment: str, color: bool) -> str:
    marked = _MARK.sub((lambda m: f"\x1b[1;33m{m.group(1)}\x1b[0m") if color else (lambda m: f"[{m.group(1)}]"),
                       fragment)
    return html.unescape(marked)


def print_page(page: SearchPage, color: bool = False) -> None:
    bold = (lambda s: f"\x1b[1m{s}\x1b[0m") if color else (lambda s: s)
    print(f"{page.total} results for {page.interpreted} ({page.took_ms} ms)")
    for n, hit in enumerate(page.results, start=(page.page - 1) * page.per_page + 1):
        where = f"P.{hit.plan_page}" if hit.plan_page else ""
        print(f"\n{n}. {bold(hit.title)}  [{hit.year_label}] {hit.measure_id}  {where}")
        print(f"   {hit.policy} › {hit.item} / {hit.department} {hit.section} / 達成度: {hit.achievement}")
        for field, fragment in hit.highlights.items():
            print(f"   {HIGHLIGHT_LABELS[field]}: {_plain(fragment, color)}")
