"""Whatever a client sends to /api/search, / and the exports, the answer is a 2xx or a 4xx, never a 5xx (hypothesis)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

NAMES = ["q", "year", "field", "dataset", "policy", "department", "section", "achievement", "changed", "trend",
         "page", "per_page", "sort", "synonyms", "nosyn", "other"]
WORDS = ["コロナ", "相談", "高齢者", "いじめ", "COVID", "OR", "AND", "NOT", "-", '"', "(", ")", "*", "?", "~", "^",
         ":", "title:", "\u3000", "ｺﾛﾅ", "２０２１", "令和3年度", "2021", "達成・実施", "福祉保健部", "relevance",
         "plan_page", "year", "off", "on", "status", "plan", "<mark>", "&amp;", "%", "\\", "\x00", "\n", "🙂"]

words = st.sampled_from(WORDS)
texts = st.one_of(
    st.text(max_size=40),
    st.lists(st.one_of(words, st.text(max_size=8)), max_size=8).map(" ".join),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.text(min_size=250, max_size=300),
)
queries = st.lists(st.tuples(st.sampled_from(NAMES), texts), max_size=12)
#: A query string always carrying some q, so that the search itself runs, not only the check for a missing q.
with_q = st.tuples(texts, queries).map(lambda t: [("q", t[0]), *t[1]])
#: Mostly valid parameters around a query of real and odd words: these reach the search engine and the pages.
VALID = {
    "year": st.sampled_from(["2020", "2021", "2019"]), "field": st.sampled_from(["title", "status", "evaluation",
                                                                               "achievement", "plan"]),
    "sort": st.sampled_from(["relevance", "plan_page", "year"]), "synonyms": st.sampled_from(["on", "off"]),
    "page": st.integers(1, 5).map(str), "per_page": st.integers(1, 100).map(str), "nosyn": words,
    "department": st.sampled_from(["福祉保健部", "学校教育部", "市民部", "x"]),
    "achievement": st.sampled_from(["達成・実施", "件数・回数", "一部課題あり", "縮小・中止"]),
    "changed": st.sampled_from(["first", "changed", "unchanged"]),
    "trend": st.sampled_from(["up", "down", "same", "incomparable"]),
}
searches = st.tuples(
    st.lists(st.one_of(words, words, st.text(min_size=1, max_size=6)), min_size=1, max_size=6).map(" ".join),
    st.lists(st.sampled_from(sorted(VALID)).flatmap(lambda n: st.tuples(st.just(n), VALID[n])), max_size=6),
).map(lambda t: [("q", t[0]), *t[1]])
args_strategy = st.one_of(searches, searches, with_q, queries)
FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def assert_no_server_error(client, path: str, args: list[tuple[str, str]]) -> None:
    with client.get(path, query_string=MultiDict(args)) as response:
        assert response.status_code < 500, (path, args, response.get_data(as_text=True)[:500])
        if path.startswith("/api/") and response.status_code >= 400:
            assert set(response.get_json()["error"]) == {"status", "code", "message", "parameter"}


@FUZZ
@given(args=args_strategy)
def test_api_search_never_fails(client, args):
    assert_no_server_error(client, "/api/search", args)


@FUZZ
@given(args=args_strategy)
def test_search_page_never_fails(client, args):
    assert_no_server_error(client, "/", args)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(args=st.one_of(searches, with_q), path=st.sampled_from(["/export.csv", "/export.json"]))
def test_exports_never_fail(client, args, path):
    assert_no_server_error(client, path, args)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(measure_id=st.text(min_size=1, max_size=60).filter(lambda s: "/" not in s[:1]))
def test_measure_ids_never_fail(client, measure_id):
    for path in (f"/api/measures/{measure_id}", f"/measures/{measure_id}"):
        with client.get(path) as response:
            assert response.status_code in (200, 404, 308), (path, response.status_code)
