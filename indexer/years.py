"""Japanese fiscal years: 令和2年度 = 2020, 平成31年度 = 2019, 2021年度 = 2021."""

from __future__ import annotations

import re
import unicodedata

ERA_START = {"令和": 2018, "R": 2018, "平成": 1988, "H": 1988, "昭和": 1925, "S": 1925}

_ERA_YEAR = re.compile(r"(令和|平成|昭和|(?<![A-Za-z])[RHS](?=\s*\d))\s*(元|\d{1,2})\s*(?:年度?)?")
_WESTERN_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年度?")


def find_year(text: str) -> tuple[int, str] | None:
    """The first fiscal year named in ``text`` and the words that named it."""
    norm = unicodedata.normalize("NFKC", text)
    m = _ERA_YEAR.search(norm)
    if m:
        n = 1 if m.group(2) == "元" else int(m.group(2))
        return ERA_START[m.group(1)] + n, m.group(0).strip()
    m = _WESTERN_YEAR.search(norm)
    if m:
        return int(m.group(1)), m.group(0).strip()
    return None


def year_label(year: int) -> str:
    """The usual Japanese label of a fiscal year (2019 is 令和元年度)."""
    if year >= 2019:
        n = year - 2018
        return f"令和{'元' if n == 1 else n}年度"
    if year >= 1989:
        n = year - 1988
        return f"平成{'元' if n == 1 else n}年度"
    return f"{year}年度"
