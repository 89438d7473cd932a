"""Cell patterns shared by the reader, the repairs and the achievement rules: each written once.

A measure's place in the plan is written in its cells: a policy heading (「重点施策3 …」, 「【基本施策2】…」),
an item (「(2) 自立に向けた支援」) and a numbered title (「3 もくせい教室の設置」). Achievements count things
(「3回」, 「延べ120件」) or give a percentage (「100%」).
"""

from __future__ import annotations

import re
import unicodedata

#: A policy heading and its number: 重点施策3 …, 【基本施策2】…, 基本目標1 …
POLICY_HEADING = re.compile(r"^\s*[【\[［]?\s*(重点施策|基本施策|重点取組|施策|基本目標|目標)\s*([0-9０-９]+)")
#: An item and its number: (2) …, （２） …
ITEM_NO = re.compile(r"^\s*[\(（]\s*([0-9０-９]+)\s*[\)）]")
#: A measure title's leading number: 「3 もくせい教室の設置」, 「３．…」, 「3) …」
TITLE_NO = re.compile(r"^\s*([0-9０-９]+)[\s　.．、)）]+")
#: A number column's cell: a measure's whole place in its plan (1-2-3, 2.1.3) or its number alone (3).
NUMBER_PATH = re.compile(r"[0-9]+(?:\s*[-‐－―.．・]\s*[0-9]+)*")
#: A plan page cell: P.43, p43, 43頁, P.43-44, 43ページ
PLAN_PAGE = re.compile(r"^\s*(?:[PpＰｐ]\s*[.．]?\s*)?[0-9０-９]+(?:\s*[-~〜～、,]\s*[0-9０-９]+)*"
                       r"\s*(?:頁|ページ)?\s*$")
#: The first number in a cell (a plan page's number, after NFKC).
FIRST_NUMBER = re.compile(r"([0-9]+)")

#: Units an achievement counts in (「3回」, 「延べ120件」, 「14校」, 「25,011食」); matched after NFKC.
COUNT_UNITS = ("回", "件", "人", "名", "か所", "ヶ所", "ケ所", "カ所", "箇所", "校", "部", "団体", "食", "世帯", "日")
#: Units written two ways: each spelling and the unit it is (「36名」 counts people as 「36人」 does).
UNIT_SPELLINGS = {"名": "人", "ヶ所": "か所", "ケ所": "か所", "カ所": "か所", "箇所": "か所"}
#: Words before a count that say how it counts, and the kind each names: 「延べ120件」 counts every visit, so it is
#: not the same count as 「120件」.
COUNT_KINDS = {"延べ": "延べ", "のべ": "延べ", "累計": "累計", "新規": "新規", "在籍": "在籍", "平均": "平均",
               "前年比": "前年比"}
#: A count and its unit.
COUNT = re.compile(r"([0-9][0-9,]*)\s*(" + "|".join(COUNT_UNITS) + ")")
#: A percentage (after NFKC).
PERCENT = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*%")


def as_int(digits: str) -> int:
    """``３`` or ``3`` as 3."""
    return int(unicodedata.normalize("NFKC", digits))
