"""Repairs of rows whose cells sit in the wrong columns.

Each function returns the repaired cells and a sentence for the warning, or
``None`` when nothing was wrong. Cell kinds are judged by what the columns
hold: a plan page looks like ``P.43``, a section ends in 課, an achievement is
short (``100%``, ``実施``, ``一部課題あり``, ``3回実施``), a plan is prose.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Sequence
from functools import lru_cache
from itertools import accumulate, combinations

from .patterns import COUNT, ITEM_NO, PLAN_PAGE, TITLE_NO

_ACHIEVEMENT = re.compile(
    r"^\s*[0-9.]+\s*[%％]"
    r"|^[A-EＡ-Ｅ◎○〇△×▲]$"
    r"|実施|未実施|中止|縮小|延期|達成|課題|完了|継続|休止|廃止|拡充|見直し|予定どおり|予定通り"
    r"|" + COUNT.pattern
)
_DEPARTMENT = re.compile(r"(部|局|本部|委員会|事務局)$")
_SECTION = re.compile(r"(課|室|館|所|係|センター|担当)$")

#: The longest text still read as an achievement rather than prose.
ACHIEVEMENT_MAX_CHARS = 40


def is_achievement_like(text: str) -> bool:
    text = unicodedata.normalize("NFKC", text).strip()
    return bool(text) and len(text) <= ACHIEVEMENT_MAX_CHARS and bool(_ACHIEVEMENT.search(text))


def is_prose(text: str) -> bool:
    text = text.strip()
    return len(text) >= 25 or ("。" in text and len(text) >= 8)


@lru_cache(maxsize=65536)  # the same cells are weighed in every layout tried
def _fit(role: str, cell: str) -> int:
    """How well a cell fits a column role: positive fits, negative does not."""
    text = cell.strip()
    if not text:
        return 1 if role in ("repost", "extra") else (-2 if role == "title" else 0)
    long = len(text) > 40
    if role == "item":
        return 2 if ITEM_NO.match(text) else (-2 if long else 0)
    if role == "title":
        return 2 if TITLE_NO.match(text) and not ITEM_NO.match(text) else (-1 if len(text) > 80 else 0)
    if role == "plan_page":
        return 3 if PLAN_PAGE.match(text) else -3
    if role == "department":
        return 2 if len(text) <= 15 and _DEPARTMENT.search(text) else (-2 if long else -1)
    if role == "section":
        return 2 if len(text) <= 20 and _SECTION.search(text) else (-2 if long else -1)
    if role in ("repost", "extra"):  # 再掲 holds a mark or a reference (○, 1-2-3), never a sentence
        return -3 if long else (-2 if role == "repost" and is_prose(text) else 0)
    if role == "achievement":
        return 2 if is_achievement_like(text) else (-2 if is_prose(text) else 0)
    if role in ("status", "evaluation", "plan"):
        return 1 if is_prose(text) else 0
    return 0


def _score(roles: Sequence[str], cells: Sequence[str]) -> int:
    """How well cells fit their columns, once swapped 達成度/今後の実施計画 pairs are swapped back."""
    fits = [_fit(role, cell) for role, cell in zip(roles, cells, strict=False)]
    total = sum(fits)
    for a, p in _year_pairs(tuple(roles)):
        if p < len(cells) and unswap(cells[a], cells[p]):  # the reader swaps these back after aligning
            total += _fit("achievement", cells[p]) + _fit("plan", cells[a]) - fits[a] - fits[p]
    return total


@lru_cache(maxsize=64)
def _year_pairs(roles: tuple[str, ...]) -> list[tuple[int, int]]:
    """(achievement, plan) columns of each year: a plan column after its 達成度, before the next one."""
    pairs = []
    for a, role in enumerate(roles):
        if role == "achievement":
            p = next((j for j in range(a + 1, len(roles)) if roles[j] in ("plan", "achievement")), None)
            if p is not None and roles[p] == "plan":
                pairs.append((a, p))
    return pairs


def realign(
    cells: list[str], roles: Sequence[str], empty_ratio: Sequence[float], names: Sequence[str]
) -> tuple[list[str], str] | None:
    """Insert empty cells into a row that is ``k`` cells short, where they fit best.

    ``roles`` gives each column's role (``status``, ``title`` …), ``empty_ratio``
    how often each column is empty in well-formed rows, ``names`` the headers.
    """
    width = len(roles)
    missing = width - len(cells)
    if missing <= 0:
        return None
    if missing > 2:  # too many layouts to weigh: the cells were cut off at the end
        return cells + [""] * missing, f"{len(cells)} cells for {width} columns; padded the end with empty cells"
    best: tuple[float, tuple[int, ...]] | None = None
    score_of = _insertion_scorer(cells, tuple(roles), missing)
    for positions in combinations(range(width), missing):
        score = score_of(positions) + sum(empty_ratio[p] for p in positions) * 0.5
        if best is None or score > best[0]:
            best = (score, positions)
    assert best is not None
    row = list(cells)
    for pos in best[1]:
        row.insert(pos, "")
    where = "、".join(f"「{names[p]}」 (column {p + 1})" for p in best[1])
    return row, (
        f"{len(cells)} cells for {width} columns; inserted an empty {where} cell, "
        "moving the cells after it one column right"
    )


def _insertion_scorer(cells: Sequence[str], roles: tuple[str, ...], missing: int):
    """``score(positions)``: ``_score`` of the row with empty cells inserted at ``positions``, in O(missing).

    A cell left of the first insertion keeps its column, one between the first and the second moves one
    column right, and so on: the fits of each shift are summed once into prefix sums, so a layout costs a
    few lookups instead of weighing every cell again.
    """
    width = len(roles)
    shifted = [[_fit(roles[i], cells[i - s]) if 0 <= i - s < len(cells) else 0 for i in range(width)]
               for s in range(missing + 1)]
    prefix = [list(accumulate(row, initial=0)) for row in shifted]
    empty = [_fit(role, "") for role in roles]
    # a swapped 達成度/今後の実施計画 pair counts as swapped back, as in _score; what that adds depends only on
    # how far each of the pair's cells has moved
    swaps = []
    for a, p in _year_pairs(roles):
        adjust = {}
        for sa in range(missing + 1):
            for sp in range(sa, missing + 1):
                if 0 <= a - sa < len(cells) and 0 <= p - sp < len(cells) and unswap(cells[a - sa], cells[p - sp]):
                    cell_a, cell_p = cells[a - sa], cells[p - sp]
                    adjust[sa, sp] = (_fit("achievement", cell_p) + _fit("plan", cell_a)
                                      - shifted[sa][a] - shifted[sp][p])
        if adjust:
            swaps.append((a, p, adjust))

    def score(positions: tuple[int, ...]) -> int:
        total, start = 0, 0
        for s, pos in enumerate(positions):
            total += prefix[s][pos] - prefix[s][start] + empty[pos]
            start = pos + 1
        total += prefix[missing][width] - prefix[missing][start]
        for a, p, adjust in swaps:
            if a not in positions and p not in positions:  # an inserted empty cell is never swapped
                total += adjust.get((bisect_left(positions, a), bisect_left(positions, p)), 0)
        return total

    return score


#: How much better a padded row must fit once moved right before it is moved.
PADDED_MARGIN = 3


def realign_padded(
    cells: list[str], roles: Sequence[str], empty_ratio: Sequence[float], names: Sequence[str]
) -> tuple[list[str], str] | None:
    """Re-place a short row that a spreadsheet padded to full width with empty cells at its end.

    A row saved from Excel (or read from a workbook) is as wide as the sheet even
    when a cell is missing, so the row looks complete while its cells sit one
    column left of their headers. Its last one or two empty cells are dropped and
    the row realigned, but only when that fits clearly better than the row as it is.
    """
    width = len(roles)
    if len(cells) != width:
        return None
    current = _score(roles, cells)
    best: tuple[int, list[str], str] | None = None
    for n in (1, 2):
        if n >= width or any(c.strip() for c in cells[width - n:]):
            break
        fixed = realign(cells[:width - n], roles, empty_ratio, names)
        if fixed is None or fixed[0] == cells:
            continue
        score = _score(roles, fixed[0])
        if score >= current + PADDED_MARGIN and (best is None or score > best[0]):
            inserted = fixed[1].split("; ", 1)[1]
            best = (score, fixed[0], f"the last {n} cell(s) are empty padding and the cells sit left of their "
                    f"columns; {inserted}")
    if best is None:
        return None
    return best[1], best[2]


def drop_surplus(cells: list[str], roles: Sequence[str], names: Sequence[str]) -> tuple[list[str], str] | None:
    """Remove surplus empty cells from a row that is too long, where that fits best."""
    width = len(roles)
    surplus = len(cells) - width
    if surplus <= 0:
        return None
    if not any(c.strip() for c in cells[width:]):
        return cells[:width], ""
    empties = [i for i, c in enumerate(cells) if not c.strip()]
    if surplus > 2 or len(empties) < surplus:
        return None
    current = _score(roles, cells[:width])
    best: tuple[int, tuple[int, ...]] | None = None
    for positions in combinations(empties, surplus):
        row = [c for i, c in enumerate(cells) if i not in positions]
        score = _score(roles, row)
        if best is None or score > best[0]:
            best = (score, positions)
    if best is None or best[0] <= current:
        return None
    row = [c for i, c in enumerate(cells) if i not in best[1]]
    where = ", ".join(str(p + 1) for p in best[1])
    return row, f"{len(cells)} cells for {width} columns; removed the surplus empty cell(s) at {where}"


def unswap(achievement: str, plan: str) -> bool:
    """True when an achievement cell holds prose and the plan cell an achievement."""
    return is_prose(achievement) and not is_achievement_like(achievement) and (
        is_achievement_like(plan) and not is_prose(plan)
    )
