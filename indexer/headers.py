"""Map a table's header row to record fields, by header text, never by position.

``HEADER_ALIASES`` is the one table of header names the reader knows. A header
matches a role when, after NFKC and removal of spaces, it equals an alias or
contains one; roles are tried in the order of the table, so the more specific
roles (the yearly ones, whose headers often mention 実施 or 担当課 too) come
first. A data folder's ``plansearch.toml`` may add aliases under
``[header_aliases]``; those are tried before the built-in ones.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .years import find_year, year_label

#: Fields repeated for every fiscal year.
YEARLY_ROLES = ("status", "evaluation", "achievement", "plan")
#: Fields of a measure, one column each.
STATIC_ROLES = ("policy", "item", "number", "title", "plan_page", "department", "section", "repost")

HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    # yearly fields (a year in the header, or the year group they sit in)
    "plan": ("今後の実施計画", "今後", "実施計画", "次年度以降", "方向性", "今後の予定", "次年度の予定", "次年度計画",
             "来年度"),
    "evaluation": ("評価", "課題", "所見"),
    "achievement": ("達成度", "実績値", "達成状況", "進捗度", "指標"),
    "status": ("実施状況", "取組状況", "取組実績", "事業実績", "実施実績", "進捗状況", "実績"),
    # measure fields
    "plan_page": ("計画書ページ", "計画ページ", "掲載ページ", "ページ", "頁"),
    "repost": ("再掲",),
    "policy": ("重点施策", "基本施策", "施策分野", "基本目標", "施策の柱"),
    "department": ("担当部署", "所管部署", "担当部", "所管部", "部署", "部局"),
    "section": ("担当課", "所管課", "担当課名", "課名", "担当係", "所管", "担当"),
    # a measure's number in its plan (1-2-3, or 3): before item and title, whose aliases 施策番号 and 事業番号 contain
    "number": ("番号", "No.", "NO.", "No", "項番"),
    "item": ("計画における項目", "項目", "施策の方向", "取組の方向", "施策"),
    "title": ("実施内容", "事業名", "取組名", "事業内容", "具体的な取組", "取組内容", "取組", "事業"),
}


def normalize_header(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "")
    return re.sub(r"\s+", "", text)


@dataclass(frozen=True)
class YearColumns:
    year: int
    label: str
    columns: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class HeaderMap:
    """Which column holds what. Columns not listed are reported as extra."""

    line: int
    names: tuple[str, ...]
    static: dict[str, int]
    years: tuple[YearColumns, ...]
    unknown: dict[int, str]

    @property
    def width(self) -> int:
        return len(self.names)

    @property
    def role_of(self) -> dict[int, str]:
        roles = {col: role for role, col in self.static.items()}
        for group in self.years:
            roles.update({col: f"{role}@{group.year}" for role, col in group.columns.items()})
        return roles


def merged_aliases(extra: Mapping[str, Sequence[str]] | None = None) -> list[tuple[str, str]]:
    """(role, alias) pairs in match order: user aliases first, then built-ins."""
    pairs: list[tuple[str, str]] = []
    for role, names in (extra or {}).items():
        if role not in HEADER_ALIASES:
            raise ValueError(f"unknown role {role!r} in header_aliases (known: {', '.join(HEADER_ALIASES)})")
        pairs.extend((role, normalize_header(n)) for n in names)
    for role, names in HEADER_ALIASES.items():
        pairs.extend((role, normalize_header(n)) for n in names)
    return pairs


def role_of_header(text: str, aliases: list[tuple[str, str]]) -> str | None:
    norm = normalize_header(text)
    if not norm:
        return None
    for role, alias in aliases:
        if norm == alias:
            return role
    for role, alias in aliases:
        if alias and alias in norm:
            return role
    return None


def header_score(cells: Sequence[str], aliases: list[tuple[str, str]]) -> int:
    """How header-like a row is: the number of distinct roles it names."""
    roles = {role_of_header(c, aliases) for c in cells if len(c) <= 40}
    roles.discard(None)
    if "title" not in roles:
        return 0
    return len(roles)


#: What becomes of the cells of a column the reader does not know.
EXTRA = "kept with each measure (shown on its page, searched with its policy and section)"


def map_header(
    cells: Sequence[str],
    line: int,
    aliases: list[tuple[str, str]],
    above: Sequence[str] = (),
    default_year: int | None = None,
) -> tuple[HeaderMap, list[str]]:
    """Map header cells to roles. ``above`` is the row above (merged year labels)."""
    notes: list[str] = []
    static: dict[str, int] = {}
    groups: dict[int, YearColumns] = {}
    order: list[int] = []
    unknown: dict[int, str] = {}
    roles = [role_of_header(cell, aliases) for cell in cells]
    above_years = _forward_filled_years(above, [role in YEARLY_ROLES for role in roles])
    current: int | None = None
    for col, cell in enumerate(cells):
        role = roles[col]
        if role is None:
            if cell.strip():
                unknown[col] = name = cell.strip()
                notes.append(f"column {col + 1} 「{name}」 is not a column plansearch knows; its cells are {EXTRA}")
            continue
        if role in STATIC_ROLES:
            if role in static:
                notes.append(f"column {col + 1} 「{cell}」 repeats {role}; its cells are {EXTRA}")
                unknown[col] = cell.strip()
            else:
                static[role] = col
            continue
        found = find_year(cell)
        if found and role != "plan":
            year: int | None = found[0]
        elif role == "plan" and current is not None:
            year = current  # 今後(令和3年度以降)の実施計画 belongs to the group it sits in
        elif above_years[col] is not None:
            year = above_years[col]
        elif current is not None:
            year = current
        elif found:  # a plan column before any year group: the year before the one it names
            year = found[0] - 1 if "以降" in cell or "次年度" in cell else found[0]
        else:
            year = default_year
        if year is None:
            unknown[col] = cell.strip()
            notes.append(f"column {col + 1} 「{cell}」 names no fiscal year; set 'year' in plansearch.toml")
            continue
        if year not in groups:
            groups[year] = YearColumns(year, year_label(year))
            order.append(year)
        group = groups[year]
        if role in group.columns:
            notes.append(f"column {col + 1} 「{cell}」 repeats {role} of {group.label}; its cells are {EXTRA}")
            unknown[col] = cell.strip()
            continue
        group.columns[role] = col
        current = year
    years = tuple(groups[y] for y in order)
    names = tuple(c.strip() for c in cells)
    return HeaderMap(line=line, names=names, static=static, years=years, unknown=unknown), notes


def is_year_band(cells: Sequence[str], header: HeaderMap) -> bool:
    """Whether a row above the header only names the years of the yearly columns below it."""
    yearly = {col for group in header.years for col in group.columns.values()}
    filled = [(col, cell) for col, cell in enumerate(cells) if cell.strip()]
    return bool(filled) and all(col in yearly and find_year(cell) for col, cell in filled)


def _forward_filled_years(cells: Sequence[str], yearly: Sequence[bool]) -> list[int | None]:
    """Years of a row above the header, spread right across merged cells.

    Only cells over yearly columns count: a title row above the header
    (「…令和3年度 進捗状況」 in A1) names a year too, but is no year band.
    """
    out: list[int | None] = [None] * len(yearly)
    last = None
    for col, is_yearly in enumerate(yearly):
        cell = cells[col] if col < len(cells) else ""
        if cell.strip():
            found = find_year(cell) if is_yearly else None
            last = found[0] if found else None
        out[col] = last
    return out
