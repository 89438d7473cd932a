"""Snippets: escaped text around the matches, each match in <mark> in the source's own spelling.

Expected snippets are written with [brackets] for <mark>…</mark>, so they read at a glance.
"""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.analysis import keys
from indexer.models import ExtraCell
from indexer.normalize import fold
from search_app.contract.marks import ELLIPSIS, snippet
from search_app.highlight import Pattern

TAG = re.compile(r"<[^>]*>")
MARKED = re.compile(r"<mark>(.*?)</mark>")


def pattern(word: str) -> Pattern:
    """What the compiler marks for a query word: its index keys and its folded surface."""
    return Pattern(tuple(keys(word)), "".join(fold(word).split()))


def bracketed(text: str, *words: str, length: int = 120) -> str:
    return snippet(text, [pattern(w) for w in words], length).replace("<mark>", "[").replace("</mark>", "]")


def visible(fragment: str) -> str:
    return html.unescape(TAG.sub("", fragment))


#: (text, query words, snippet)
SNIPPETS = [
    ("新型コロナウイルス感染症予防のため中止。", ["新型コロナウイルス"], "[新型コロナウイルス]感染症予防のため中止。"),
    ("新型コロナウイルス感染症予防のため中止。", ["ｺﾛﾅ"], "新型[コロナ]ウイルス感染症予防のため中止。"),
    # synonyms of one query word: the longest match is marked once
    ("新型コロナウイルス感染症予防のため中止。", ["COVID", "コロナ", "新型コロナウイルス"],
     "[新型コロナウイルス]感染症予防のため中止。"),
    # a lemma match is marked as the city wrote it
    ("家族の対話を促すことで、コロナ禍における子どもの不安軽減の一助とすることができた。", ["子供"],
     "家族の対話を促すことで、コロナ禍における[子ども]の不安軽減の一助とすることができた。"),
    ("児童・生徒のSOSをきめ細やかに把握する。", ["ＳＯＳ"], "児童・生徒の[SOS]をきめ細やかに把握する。"),
    ("ＳＯＳの出し方", ["sos"], "[ＳＯＳ]の出し方"),
    # a match only the bigrams see (京都 inside 東京都) is marked too
    ("東京都が定める「自殺対策強化月間」", ["京都"], "東[京都]が定める「自殺対策強化月間」"),
    # NFKC changes lengths before the match: the right characters are still marked
    ("ｶﾞｲﾄﾞ㍻のコロナ禍", ["コロナ"], "ｶﾞｲﾄﾞ㍻の[コロナ]禍"),
    ("㍻31年度ｶﾞｲﾄﾞ", ["平成"], "[㍻]31年度ｶﾞｲﾄﾞ"),
    ("ｶﾞｲﾄﾞを配布", ["ガイド"], "[ｶﾞｲﾄﾞ]を配布"),
    # escaped, and no markup but the marks
    ("<script>alert(1)</script>コロナ禍で", ["コロナ"], "&lt;script&gt;alert(1)&lt;/script&gt;[コロナ]禍で"),
    ('A&B <b>相談</b> "窓口"', ["相談"], "A&amp;B &lt;b&gt;[相談]&lt;/b&gt; &quot;窓口&quot;"),
    ("年6回、継続実施。", ["見つからない"], "年6回、継続実施。"),
]


@pytest.mark.parametrize(("text", "words", "expected"), SNIPPETS)
def test_snippet(text, words, expected):
    assert bracketed(text, *words) == expected


LONG = ("プログラム策定件数については、平成27年4月にマザーズハローワーク立川が開設され、市を経由することなく"
        "ハローワークを利用する人が増えたことから、減少傾向にある。令和2年度の件数は0件となったが、これは就労支援の"
        "迅速化と相談者の負担軽減を図るため(本事業の実施要件として、2回以上の面接と複数の申込書提出が必要となる)、"
        "就労関係の相談があった場合に、迅速にハローワーク等につないだ結果である。")

CUT = [
    ("申込書", 60, "…の実施要件として、2回以上の面接と複数の[申込書]提出が必要となる)、就労関係の相談があった場合に、"
                  "迅速にハローワーク等につ…"),
    ("ハローワーク", 60, "プログラム策定件数については、平成27年4月にマザーズ[ハローワーク]立川が開設され、"
                       "市を経由することなく[ハローワーク]を利用…"),
]


@pytest.mark.parametrize(("word", "length", "expected"), CUT)
def test_long_text_is_cut_with_an_ellipsis(word, length, expected):
    assert bracketed(LONG, word, length=length) == expected


@pytest.mark.parametrize("word", ["プログラム", "ハローワーク", "迅速化", "申込書", "結果", "見つからない"])
def test_snippet_length(word):
    shown = visible(snippet(LONG, [pattern(word)], 120))
    assert len(LONG) > 190
    assert len(shown) <= 200
    assert shown.startswith(ELLIPSIS) or LONG.startswith(shown[:10])
    assert shown.strip(ELLIPSIS) in LONG


#: Pieces that NFKC lengthens, shortens or composes, and characters HTML must escape.
BEFORE = ["ｶﾞ", "ﾊﾟ", "ｳﾞ", "㍻", "㍿", "㌔", "ＳＯＳ", "e\u0301", "\u304b\u3099", "😀", "子ども", "令和2年度", "<", "&",
          '"', "ΑΣ", "\u1100\u1161", "、", "。"]


@settings(max_examples=60, deadline=None)
@given(before=st.lists(st.sampled_from(BEFORE), max_size=12).map("".join),
       after=st.lists(st.sampled_from(BEFORE), max_size=6).map("".join))
def test_marks_the_source_characters_whatever_comes_before(before, after):
    text = f"{before}。コロナ禍で{after}"
    fragment = snippet(text, [pattern("ｺﾛﾅ")], length=1000)
    assert MARKED.findall(fragment) == ["コロナ"]
    head, tail = fragment.split("<mark>コロナ</mark>")
    assert html.unescape(head) == f"{before}。"
    assert html.unescape(tail) == f"禍で{after}"


# -- snippets of real searches -------------------------------------------------------------------------------------

QUERIES = ["コロナ", "COVID", "相談", "子供", "高齢者 虐待", "ハローワーク", "いじめ防止", "支援 -高齢者", "実施",
           "もくせい教室 OR 給付金", "迅速"]


def field_text(engine, hit, field: str) -> str:
    measure = engine.measure(hit.measure_id)
    if field == "title":
        return measure.title
    return getattr(next(y for y in measure.years if y.year == hit.year), field)


@pytest.mark.parametrize("q", QUERIES)
def test_real_snippets_hold_only_marks(search, engine, q):
    page = search(q)
    assert page.total > 0
    for hit in page.results:
        for field, fragment in hit.highlights.items():
            assert set(TAG.findall(fragment)) <= {"<mark>", "</mark>"}
            assert fragment.count("<mark>") == fragment.count("</mark>") >= 1
            shown = visible(fragment)
            assert len(shown) <= 200
            assert shown.strip(ELLIPSIS) in field_text(engine, hit, field)


#: (query, options, every marked string must be one of these)
MARKS = [
    ("ｺﾛﾅ", {"synonyms": False}, {"コロナ"}),
    ("COVID", {}, {"新型コロナウイルス感染症", "新型コロナウイルス", "コロナ禍"}),
    ("子供", {"synonyms": False}, {"子ども"}),
    ("bullying", {}, {"いじめ"}),
    ("hello work", {}, {"ハローワーク"}),
]


@pytest.mark.parametrize(("q", "options", "allowed"), MARKS)
def test_real_marks_are_the_source_spelling(search, q, options, allowed):
    page = search(q, **options)
    marked = {html.unescape(m) for h in page.results for f in h.highlights.values() for m in MARKED.findall(f)}
    assert marked == allowed



def test_match_near_the_end_still_fills_the_snippet(bundled):
    """高齢者食の自立支援事業, 令和2年度 評価: 168 characters, the match in its short last sentence."""
    text = next(r.entry.evaluation for r in bundled.records() if r.record_id == "koganei/2-2-1@2020")
    assert len(text) == 168
    assert len(visible(snippet(text, [pattern("休止")], 120))) >= 60


@pytest.mark.parametrize("q", ["京都", "京都。", "、生活困窮", "児童・生徒", "相談件数848件", "ＳＯＳ、"])
def test_every_highlighted_field_has_a_mark(search, q):
    """Punctuation and spaces in a query word, and matches only the characters find, still mark what matched."""
    for hit in search(q, synonyms=False).results:
        for fragment in hit.highlights.values():
            assert "<mark>" in fragment


@given(st.lists(st.integers(0, 2_000), max_size=60, unique=True), st.integers(1, 300))
def test_the_densest_window_is_found_in_one_pass(starts, length):
    from search_app.highlight import _densest

    spans = [(s, s + 1) for s in sorted(starts)]
    brute = max(spans, key=lambda sp: sum(1 for s, _ in spans if sp[0] <= s < sp[0] + length))[0] if spans else 0
    assert _densest(spans, length) == brute


def test_extra_snippet_marks_only_inside_the_cells():
    from search_app.contract.marks import extra_snippet

    meta = "重点施策1 子ども・若者に関する自殺対策の推進\n(1) 学校における取組\n教育部\n指導室\nスクールロイヤーと連携"
    cells = [ExtraCell("若者<欄>", "スクールロイヤーと連携")]
    patterns = [Pattern(tuple(keys("若者")), fold("若者"))]
    assert extra_snippet(meta, cells, patterns) is None  # 若者 is in the policy and the column name only
    patterns = [Pattern(tuple(keys("連携")), fold("連携"))]
    assert extra_snippet(meta, cells, patterns) == "若者&lt;欄&gt;: スクールロイヤーと<mark>連携</mark>"
    patterns = [Pattern(tuple(keys("指導室スクール")), fold("指導室スクール"))]  # across the section and the cell
    assert extra_snippet(meta, cells, patterns) is None
