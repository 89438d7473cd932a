"""A dataset's municipality (自治体名) and plan name, as a table's title row or its file name writes them.

「令和5年度 ○○町いのち支える自殺対策計画 進捗状況」 names the municipality ○○町 and the plan
いのち支える自殺対策計画: the fiscal years and the report's own words (進捗状況, 評価シート …) are not part
of either. Only what the text shows is taken: a title without a municipality gives none.
"""

from __future__ import annotations

import re
import unicodedata

#: Fiscal years and spans of them: 令和5年度, 令和2・3年度, R4〜R5, 2023年度, 平成31年度.
_YEARS = re.compile(
    r"(?:令和|平成|昭和|(?<![A-Za-z])[RHS](?=\s*\d))\s*(?:元|\d{1,2})(?:\s*[・、,~〜～\-－]\s*(?:[RHS]\s*)?(?:元|\d{1,2}))*"
    r"\s*(?:年度|年)?"
    r"|(?<!\d)(?:19|20)\d{2}(?:\s*[・、,~〜～\-－]\s*\d{2,4})*\s*(?:年度|年)?")
#: The end of a plan's name (and what may follow it: 第2期, (第3次), 改定版).
_PLAN_END = re.compile(r"(計画|プラン|大綱|戦略|ビジョン)"
                       r"(?:\s*[（(]?\s*(?:第\s*\d+\s*[期次版]|改定版|改訂版)\s*[）)]?)?")
#: A municipality at the start of a text: up to two 郡/都道府県 parts, then a name ending in 市, 区, 町 or 村.
_MUNICIPALITY_END = "市区町村"
#: Words ending in 市区町村 that name no municipality.
_NOT_MUNICIPALITIES = {"市町村", "区市町村", "市区町村", "本市", "当市", "本町", "当町", "本村", "当村", "本区", "当区",
                       "全市", "全町", "全村", "各市町村", "都市", "全区"}
#: The longest municipality name taken from the start of a plan's name (北海道○○郡○○町 is 9).
MAX_MUNICIPALITY_CHARS = 10


def names_from_title(text: str) -> tuple[str, str]:
    """(municipality, plan name) written in a title (or a file name's words); ``""`` for what it does not show."""
    text = unicodedata.normalize("NFKC", text or "").replace("_", " ")
    text = " ".join(_YEARS.sub(" ", text).split())
    end = None
    for m in _PLAN_END.finditer(text):
        end = m.end()
    head = (text[:end] if end is not None else text).replace(" ", "")
    municipality = _leading_municipality(head)
    plan = head[len(municipality):] if end is not None else ""
    return municipality, plan.strip("・、 ")


def _leading_municipality(text: str) -> str:
    """The longest start of ``text`` that ends in 市, 区, 町 or 村 and leaves something after it."""
    best = ""
    for i in range(1, min(len(text) - 1, MAX_MUNICIPALITY_CHARS)):
        if text[i] in _MUNICIPALITY_END:
            candidate = text[:i + 1]
            if (candidate not in _NOT_MUNICIPALITIES and not set(candidate) <= set(_MUNICIPALITY_END)
                    and not any(c.isdigit() or c in "・、,()（）" for c in candidate)):
                best = candidate
    return best
