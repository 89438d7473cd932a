"""Achievement (達成度) categories for faceting, and year-on-year change of a measure.

The original text stays for display; the category groups 100% / 実施 / 3回実施 …
into a few values that can be counted and compared across years.
"""

from __future__ import annotations

import re
import unicodedata

from .models import Measure, YearEntry
from .patterns import COUNT, PERCENT

DONE = "達成・実施"
PARTIAL = "一部課題あり"
REDUCED = "縮小・中止"
COUNTED = "件数・回数"
OTHER = "その他"
BLANK = "未記入"

#: Categories in display order.
CATEGORIES = (DONE, COUNTED, PARTIAL, REDUCED, OTHER, BLANK)
#: How far along each category is, for "went up / went down" (None: not comparable).
RANK: dict[str, int | None] = {REDUCED: 0, PARTIAL: 1, DONE: 2, COUNTED: 2, OTHER: None, BLANK: None}



def category(text: str) -> str:
    t = unicodedata.normalize("NFKC", text).strip()
    if not t:
        return BLANK
    if re.search(r"縮小|中止|休止|延期|未実施|廃止", t):
        return REDUCED
    if "課題" in t:
        return PARTIAL
    m = PERCENT.search(t)
    if m:
        return DONE if float(m.group(1)) >= 100 else PARTIAL
    if COUNT.search(t):
        return COUNTED
    if re.search(r"実施|達成|完了|予定どおり|予定通り|済", t):
        return DONE
    return OTHER


def _texts(e: YearEntry) -> tuple[str, str, str, str]:
    return (e.status, e.evaluation, e.achievement, e.plan)


def year_changes(measure: Measure) -> dict[int, tuple[str, str]]:
    """For each year: (changed, trend) against the same measure's previous year.

    changed is ``changed``, ``unchanged`` (every text copied over verbatim) or
    ``first``; trend is ``up``, ``down``, ``same`` or ``""`` (not comparable).
    """
    out: dict[int, tuple[str, str]] = {}
    previous: YearEntry | None = None
    for entry in sorted(measure.years, key=lambda e: e.year):
        if previous is None:
            out[entry.year] = ("first", "")
        else:
            changed = "unchanged" if _texts(entry) == _texts(previous) else "changed"
            a, b = RANK[category(previous.achievement)], RANK[category(entry.achievement)]
            trend = "" if a is None or b is None else ("up" if b > a else "down" if b < a else "same")
            out[entry.year] = (changed, trend)
        previous = entry
    return out
