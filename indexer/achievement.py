"""Achievement (達成度): categories for faceting, and how a measure's achievement moved since the year before.

The original text stays for display. Its category groups 100% / 実施 / 3回実施 … into a few values that can be
counted. Two years are compared only when their cells measure the same way (``compare``): two percentages
(80% → 100%: up), counts of the same unit and kind (延べ120件 → 延べ80件: down; 120件 and 80人, or 延べ80人
and 80人, do not compare; a cell of several counts moves only when they all move one way), or two steps of the
scale 達成・実施 > 一部課題あり > 縮小・中止 (実施 → 縮小して実施: down). Identical texts are the same; anything else
is 「比較できない」 (``incomparable``), never up or down.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

from .models import Measure, YearEntry
from .patterns import COUNT, COUNT_KINDS, PERCENT, UNIT_SPELLINGS

DONE = "達成・実施"
PARTIAL = "一部課題あり"
REDUCED = "縮小・中止"
COUNTED = "件数・回数"
OTHER = "その他"
BLANK = "未記入"

#: Categories in display order.
CATEGORIES = (DONE, COUNTED, PARTIAL, REDUCED, OTHER, BLANK)
#: The steps of the achievement scale, lowest first.
STEPS = (REDUCED, PARTIAL, DONE)

#: Trends: how this year's achievement compares with the year before's ("" when there is no year before).
UP, DOWN, SAME, INCOMPARABLE = "up", "down", "same", "incomparable"

#: What a reading measures in (a count's is its kind and unit: 「延べ件数」, 「人数」).
PERCENTAGE = "割合"
SCALE = "達成の段階"

_REDUCED = re.compile(r"縮小|中止|休止|延期|未実施|廃止")
_PARTIAL = re.compile(r"課題|未達成")
_DONE = re.compile(r"実施|達成|完了|予定どおり|予定通り|済")


class Reading(NamedTuple):
    """What a 達成度 cell says as values: what they measure in (``PERCENTAGE``, ``SCALE``, a count's 「延べ件数」;
    joined by ・ when a cell gives several) and how much (a step of ``STEPS`` is its index)."""

    measure: str
    values: tuple[float, ...]


class Comparison(NamedTuple):
    """A year's trend against the year before, and why, in plain Japanese."""

    trend: str
    reason: str


def _plain(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def _counts(t: str) -> list[tuple[str, float]]:
    """Each count in the text with what it measures in, from its unit and the words since the count before it:
    「在籍36名(前年比+8名)」 → 在籍人数 36, 前年比人数 8."""
    out, start = [], 0
    for m in COUNT.finditer(t):
        kind = next((k for word, k in COUNT_KINDS.items() if word in t[start:m.start()]), "")
        out.append((f"{kind}{UNIT_SPELLINGS.get(m.group(2), m.group(2))}数", int(m.group(1).replace(",", ""))))
        start = m.end()
    return out


def reading(text: str) -> Reading | None:
    """The cell as values, or None (blank, or neither a step, a percentage nor a count). A word that qualifies the
    rest comes first (休止期間を除き100% is 縮小・中止), then percentages, counts, a step."""
    t = _plain(text)
    if _REDUCED.search(t):
        return Reading(SCALE, (STEPS.index(REDUCED),))
    if _PARTIAL.search(t):
        return Reading(SCALE, (STEPS.index(PARTIAL),))
    numbers = [(PERCENTAGE, float(n)) for n in PERCENT.findall(t)] or _counts(t)
    if numbers:
        return Reading("・".join(m for m, _ in numbers), tuple(n for _, n in numbers))
    if _DONE.search(t):
        return Reading(SCALE, (STEPS.index(DONE),))
    return None


def category(text: str) -> str:
    if not _plain(text):
        return BLANK
    r = reading(text)
    if r is None:
        return OTHER
    if r.measure == SCALE:
        return STEPS[int(r.values[0])]
    if r.measure.startswith(PERCENTAGE):
        return DONE if r.values[0] >= 100 else PARTIAL
    return COUNTED


def _shown(r: Reading) -> str:
    if r.measure == SCALE:
        return STEPS[int(r.values[0])]
    return "・".join(f"{n:g}%" if r.measure.startswith(PERCENTAGE) else f"{int(n):,}" for n in r.values)


def compare(before: str | None, after: str) -> Comparison:
    """How the 達成度 ``after`` compares with the year before's ``before`` (None: no year before on record)."""
    if before is None:
        return Comparison("", "記録の最初の年度です")
    a, b = _plain(before), _plain(after)
    if not a or not b:
        return Comparison(INCOMPARABLE, "未記入の年度とは比べられません")
    if a == b:
        return Comparison(SAME, "同じ記載です")
    ra, rb = reading(a), reading(b)
    if ra is None or rb is None:
        return Comparison(INCOMPARABLE, "割合・数・達成の段階のどれでもない記載とは比べられません")
    if ra.measure != rb.measure:
        return Comparison(INCOMPARABLE, f"{ra.measure}と{rb.measure}は比べられません")
    moves = {(y > x) - (y < x) for x, y in zip(ra.values, rb.values, strict=True)} - {0}
    shown = f"（{_shown(ra)} → {_shown(rb)}）"
    if len(moves) > 1:
        return Comparison(INCOMPARABLE, f"{ra.measure}のうち、上がった数と下がった数があります{shown}")
    trend = UP if moves == {1} else DOWN if moves == {-1} else SAME
    return Comparison(trend, f"どちらも{ra.measure}です{shown}")


class YearChange(NamedTuple):
    """A year of a measure against the year before, as the stored record's fields of the same names hold it."""

    changed: str
    trend: str
    previous_achievement: str | None


def _texts(e: YearEntry) -> tuple[str, str, str, str]:
    return (e.status, e.evaluation, e.achievement, e.plan)


def year_changes(measure: Measure) -> dict[int, YearChange]:
    """For each year: its change against the same measure's previous year on record.

    changed is ``changed``, ``unchanged`` (every text copied over verbatim) or ``first``; trend and
    previous_achievement compare with the fiscal year just before only (after a gap in the record there is
    none: trend ``""``, previous_achievement None).
    """
    out: dict[int, YearChange] = {}
    previous: YearEntry | None = None
    for entry in sorted(measure.years, key=lambda e: e.year):
        if previous is None:
            out[entry.year] = YearChange("first", "", None)
        else:
            changed = "unchanged" if _texts(entry) == _texts(previous) else "changed"
            before = previous.achievement if previous.year == entry.year - 1 else None
            out[entry.year] = YearChange(changed, compare(before, entry.achievement).trend, before)
        previous = entry
    return out
