"""The query language: words ANDed, OR, -exclusion, "phrases", parentheses; odd input parses, nothing crashes."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search_app.models import SearchPage, SearchRequest
from search_app.query import MAX_QUERY_CHARS, MAX_TERMS, QueryError, parse

#: (query as typed, how it was understood)
PARSED = [
    ("高齢者 虐待", "高齢者 虐待"),
    ("高齢者 AND 虐待", "高齢者 虐待"),
    ("もくせい教室 OR 給付金", "もくせい教室 OR 給付金"),
    ("もくせい教室 ＯＲ 給付金", "もくせい教室 OR 給付金"),
    ("相談 -高齢者", "相談 -高齢者"),
    ("相談 －高齢者", "相談 -高齢者"),
    ("相談 −高齢者", "相談 -高齢者"),  # U+2212, the minus a macOS IME types
    ("相談 NOT 高齢者", "相談 -高齢者"),
    ('"新型コロナウイルス"', '"新型コロナウイルス"'),
    ("「福祉総合相談窓口」", '"福祉総合相談窓口"'),
    ("『いじめ防止』 研修", '"いじめ防止" 研修'),
    ('相談 -"高齢者虐待"', '相談 -"高齢者虐待"'),
    ("(もくせい教室 OR 給付金) 連携", "(もくせい教室 OR 給付金) 連携"),
    ("相談 -(高齢者 OR 虐待)", "相談 -(高齢者 OR 虐待)"),
    ("相談 NOT (高齢者 OR 虐待)", "相談 -(高齢者 OR 虐待)"),
    ("COVID-19", "COVID-19"),
    ("school counselor", "school counselor"),
    # odd input is read as well as it can be
    ('"新型コロナ', '"新型コロナ"'),  # an unclosed quote runs to the end
    ("(相談 窓口", "相談 窓口"),  # an unclosed parenthesis
    ("相談) 窓口)", "相談 窓口"),  # stray closing parentheses
    ("((相談))", "相談"),
    ("相談\t\n窓口\x00", "相談 窓口"),
    ("\u3000相談\u3000", "相談"),
    ("いじ\u200bめ", "いじめ"),  # a zero-width space pasted with the word joins it, as in the index
    ("-\u00ad子ども 相談", "-子ども 相談"),  # a soft hyphen keeps the minus on its word
    ("\ufeff相談", "相談"),
    ("相談 -", "相談"),
    ('相談 ""', "相談"),
    ("OR 相談 OR", "相談"),
    ("x" * MAX_QUERY_CHARS, "x" * MAX_QUERY_CHARS),
    (" ".join(["相談"] * MAX_TERMS), " ".join(["相談"] * MAX_TERMS)),
]


@pytest.mark.parametrize(("q", "understood"), PARSED)
def test_parse(q, understood):
    assert str(parse(q)) == understood


def test_length_is_counted_as_typed():
    """The limit applies to what was typed (as the API says), not to its NFKC form: ㍻ is 平成."""
    assert str(parse("㍻" * MAX_QUERY_CHARS)) == "平成" * MAX_QUERY_CHARS
    with pytest.raises(QueryError, match="longer than 256"):
        parse("㍻" * (MAX_QUERY_CHARS + 1))


#: (query, what the error says)
BAD = [
    ("", "empty"),
    ("   \u3000", "empty"),
    ("-相談", "at least one word"),
    ("-相談 -窓口", "at least one word"),
    ("NOT 相談", "at least one word"),
    ("-(相談 OR 窓口)", "at least one word"),
    ("OR", "at least one word"),
    ("()", "at least one word"),
    ('""', "at least one word"),
    ("-", "at least one word"),
    ("x" * (MAX_QUERY_CHARS + 1), "longer than 256 characters"),
    (" ".join(["相談"] * (MAX_TERMS + 1)), "more than 64 words"),
]


@pytest.mark.parametrize(("q", "message"), BAD)
def test_bad_query(q, message):
    with pytest.raises(QueryError, match=message):
        parse(q)


# -- the operators on the bundled table --------------------------------------------------------------------------


def records(page: SearchPage) -> set[tuple[str, int]]:
    return {(h.measure_id, h.year) for h in page.results}


def measures(page: SearchPage) -> set[str]:
    return {h.measure_id for h in page.results}


def mentions(engine, hit, word: str) -> bool:
    """Whether any text of a hit's record (or its policy, item, department, section) contains ``word``."""
    measure = engine.measure(hit.measure_id)
    year = next(y for y in measure.years if y.year == hit.year)
    texts = [getattr(measure, k) for k in ("title", "policy", "item", "department", "section")]
    texts += [getattr(year, k) for k in ("status", "evaluation", "achievement", "plan")]
    return any(word in t for t in texts if t)


def test_invisible_characters_in_a_word_find_it(search):
    assert measures(search("いじ\u200bめ")) == measures(search("いじめ")) != set()
    assert measures(search("子\u00adども")) == measures(search("子ども")) != set()


def test_words_are_all_required(search):
    assert measures(search("高齢者 虐待")) == {"koganei/2-1-2"}
    assert measures(search("高齢者 AND 虐待")) == {"koganei/2-1-2"}


def test_or_is_the_union(search):
    union = search("もくせい教室 OR 給付金")
    assert records(union) == records(search("もくせい教室")) | records(search("給付金"))
    assert measures(union) == {"koganei/1-2-2", "koganei/1-2-3", "koganei/3-1-1", "koganei/4-1-2"}


def test_full_width_or_is_or(search):
    assert records(search("もくせい教室 ＯＲ 給付金")) == records(search("もくせい教室 OR 給付金"))


def test_minus_excludes(search, engine):
    everything = search("相談")
    kept = search("相談 -高齢者")
    assert kept.total > 0
    assert records(kept) < records(everything)
    assert not any(mentions(engine, h, "高齢者") for h in kept.results)
    dropped = [h for h in everything.results if (h.measure_id, h.year) not in records(kept)]
    assert dropped and all(mentions(engine, h, "高齢者") for h in dropped)


def test_minus_sign_excludes(search):
    assert records(search("相談 −高齢者")) == records(search("相談 -高齢者")) == records(search("相談 －高齢者"))


def test_minus_excludes_a_group(search):
    """-( … ) excludes what the group finds; it never turns into a required group."""
    assert records(search("相談 -(高齢者 OR 虐待)")) == records(search("相談 -高齢者 -虐待"))
    assert records(search("相談 NOT (高齢者 OR 虐待)")) == records(search("相談 -高齢者 -虐待"))


@pytest.mark.parametrize("q", ['"福祉総合相談窓口"', "「福祉総合相談窓口」", "“福祉総合相談窓口”"])
def test_quoted_phrase(search, q):
    assert measures(search(q)) == {"koganei/3-2-1", "koganei/3-2-2"}


def test_quoted_phrase_has_no_synonyms(search):
    assert search("COVID").total > 0
    assert search('"COVID"').total == 0


def test_parentheses_group(search):
    grouped = search("(もくせい教室 OR 給付金) 連携")
    assert records(grouped) == records(search("もくせい教室 OR 給付金")) & records(search("連携"))
    assert measures(grouped) == {"koganei/1-2-2", "koganei/1-2-3"}


@pytest.mark.parametrize("q", ["-相談", "OR", "x" * 300])
def test_bad_query_from_the_engine(search, q):
    with pytest.raises(QueryError):
        search(q)


#: Operators, quotes, brackets, folding traps and words of the data, in any order.
QUERY_PIECES = [
    "OR", "ＯＲ", "AND", "NOT", "-", "－", '"', "「", "」", "(", ")", "（", "）", " ", "\u3000",
    "コロナ", "相談", "COVID", "school", "counselor", "hello", "work", "の", "、", "ｶﾞ", "㍻",
    "\x00", "\n", "😀", "e\u0301", "ΑΣ", "*", "?", "~", "^", ":", "\\", "1", "a",
]
QUERIES = st.one_of(st.text(), st.lists(st.sampled_from(QUERY_PIECES) | st.characters(), max_size=40).map("".join))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(q=QUERIES)
def test_any_query_gives_a_page_or_a_query_error(engine, q):
    try:
        page = engine.search(SearchRequest(q=q))
    except QueryError:
        return
    assert isinstance(page, SearchPage)
    assert page.total >= len(page.results)


def test_words_with_nothing_to_match_are_ignored(search):
    page = search("の 相談")
    assert page.ignored == ("の",)
    assert records(page) == records(search("相談"))


def test_multi_word_terms_in_or_branches(search):
    assert measures(search("school counselor OR hello work")) == {"koganei/1-1-3", "koganei/4-1-1", "koganei/4-1-3"}
    assert measures(search("school counselor 配置")) == {"koganei/1-1-3"}


def test_interpreted_shows_each_word_with_its_synonyms(search):
    page = search("高齢者 虐待")
    assert page.interpreted == " ".join(f"({' OR '.join([w, *page.expansions[w]])})" for w in ("高齢者", "虐待"))


def test_interpreted_when_one_word_contains_another(search):
    page = search("新型コロナウイルス コロナ")
    words = ("新型コロナウイルス", "コロナ")
    assert page.interpreted == " ".join(f"({' OR '.join([w, *page.expansions[w]])})" for w in words)
