"""The JSON API of shared/API.md over the bundled table: /api/search, /api/measures, /api/stats, /healthz, OpenAPI."""

from __future__ import annotations

import json
import re
from datetime import datetime

import pytest

#: The fields of docs API.md (additions are allowed, these must all be there).
SEARCH_FIELDS = {"query": str, "interpreted": str, "total": int, "page": int, "per_page": int,
                 "took_ms": (int, float), "results": list, "facets": dict}
HIT_FIELDS = {"measure_id": str, "dataset": str, "title": str, "policy": str, "item": str,
              "plan_page": (int, type(None)), "plan_url": (str, type(None)), "department": str, "section": str,
              "year": int, "year_label": str, "achievement": str, "score": (int, float), "highlights": dict,
              "url": str}
FACETS = {"year", "policy", "department", "section", "field", "achievement"}
TEXT_FIELDS = ("title", "status", "evaluation", "achievement", "plan")
YEAR_FIELDS = ("year", "year_label", "status", "evaluation", "achievement", "plan")


def search(client, query: str = "コロナ", **params) -> dict:
    response = client.get("/api/search", query_string={"q": query, **params})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def keys(page: dict) -> list[tuple[str, int]]:
    return [(r["measure_id"], r["year"]) for r in page["results"]]


# -- /api/search: the response ----------------------------------------------------------------------------------


def test_search_response_has_every_contract_field(client):
    page = search(client)
    for name, kind in SEARCH_FIELDS.items():
        assert isinstance(page[name], kind), name
    assert (page["query"], page["page"], page["per_page"]) == ("コロナ", 1, 20)
    assert page["took_ms"] >= 0
    assert page["total"] == len(page["results"]) > 0
    assert FACETS <= set(page["facets"])
    for hit in page["results"]:
        for name, kind in HIT_FIELDS.items():
            assert isinstance(hit[name], kind), name
        assert hit["measure_id"].startswith(f"{hit['dataset']}/")
        assert re.fullmatch(r"koganei/\d+-\d+-\d+", hit["measure_id"])
        assert hit["url"] == f"/measures/{hit['measure_id']}#y{hit['year']}"
        assert hit["year_label"] == {2020: "令和2年度", 2021: "令和3年度"}[hit["year"]]
        assert hit["plan_url"] is None  # no plan document configured for the bundled data
        assert hit["highlights"] and set(hit["highlights"]) <= set(TEXT_FIELDS)


def test_search_example_of_the_contract(client):
    page = search(client)
    hit = next(h for h in page["results"] if h["measure_id"] == "koganei/2-2-2" and h["year"] == 2020)
    assert hit["title"] == "健康づくりフォローアップ指導事業"
    assert hit["policy"] == "重点施策2 高齢者に関する自殺対策の推進"
    assert hit["item"] == "(2) 高齢者の健康づくりに向けた支援"
    assert (hit["plan_page"], hit["department"], hit["section"]) == (46, "福祉保健部", "健康課")
    assert hit["achievement"] == "縮小して実施"
    assert "<mark>新型コロナウイルス感染症</mark>" in hit["highlights"]["status"]


def test_search_json_is_utf8_not_escaped(client):
    response = client.get("/api/search?q=コロナ")
    assert response.mimetype == "application/json"
    assert "コロナ".encode() in response.data
    assert "健康づくりフォローアップ指導事業".encode() in response.data
    assert b"\\u30b3" not in response.data.lower()


def test_search_json_is_the_json_pythons_encoder_writes(client):
    """orjson writes the answers: the same JSON as Python's json with the app's settings (UTF-8, keys in the
    order built, no spaces), a newline after it."""
    response = client.get("/api/search?q=コロナ&year=2021")
    body = response.get_json()
    assert response.data == (json.dumps(body, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


@pytest.mark.parametrize(("value", "expected"), [
    ({"年度": {2021: 3}}, b'{"\xe5\xb9\xb4\xe5\xba\xa6":{"2021":3}}\n'),  # a key that is no string: as json writes it
    ({"x": "\ud800", "y": 2**70}, b'{"x":"\\ud800","y":1180591620717411303424}\n'),  # orjson refuses both
])
def test_json_answers_that_orjson_does_not_write_as_is(app, value, expected):
    with app.app_context():
        assert app.json.response(value).get_data() == expected


def test_interpreted_query_shows_synonym_expansions(client):
    page = search(client)
    assert "コロナ" in page["interpreted"]
    assert "新型コロナウイルス" in page["interpreted"]
    assert " OR " in page["interpreted"]


def test_highlights_hold_only_mark_tags(client):
    for query in ("コロナ", "相談", "高齢者 虐待", "いじめ OR 自殺"):
        for hit in search(client, query, per_page=100)["results"]:
            for fragment in hit["highlights"].values():
                assert "<mark>" in fragment
                assert "<" not in re.sub(r"</?mark>", "", fragment), fragment


def test_facets_count_the_whole_result_set(client):
    page = search(client, per_page=1)
    total = page["total"]
    assert len(page["results"]) == 1
    for name in ("year", "policy", "department", "section", "achievement"):
        assert sum(page["facets"][name].values()) == total, name
    assert page["facets"]["year"] == {"2020": 5, "2021": 3}


def test_no_match_is_200_with_nothing(client):
    page = search(client, "該当なしの語ぽぽぽ")
    assert (page["total"], page["results"]) == (0, [])
    assert FACETS <= set(page["facets"])


# -- /api/search: filters -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("facet", ["policy", "department", "section", "achievement"])
def test_facet_filter_gives_the_facet_count(client, facet):
    facets = search(client)["facets"][facet]
    assert len(facets) > 1
    key = "achievement_category" if facet == "achievement" else facet
    for value, count in facets.items():
        page = search(client, **{facet: value})
        assert page["total"] == count
        assert {hit[key] for hit in page["results"]} == {value}


def test_year_filter(client):
    page = search(client, year="2021")
    assert page["total"] == 3
    assert {hit["year"] for hit in page["results"]} == {2021}
    assert page["facets"]["year"] == {"2021": 3}


def test_repeated_filter_values_are_or(client):
    both = client.get("/api/search?q=コロナ&year=2020&year=2021").get_json()
    assert both["total"] == search(client)["total"]
    facets = search(client)["facets"]["section"]
    a, b = list(facets)[:2]
    page = client.get("/api/search", query_string=[("q", "コロナ"), ("section", a), ("section", b)]).get_json()
    assert page["total"] == facets[a] + facets[b]


def test_filters_combine_with_and(client):
    page = search(client, year="2020", department="福祉保健部")
    assert page["total"] > 0
    assert all(h["year"] == 2020 and h["department"] == "福祉保健部" for h in page["results"])
    assert page["total"] < search(client, year="2020")["total"]


def test_dataset_filter(client):
    assert search(client, dataset="koganei")["total"] == search(client)["total"]
    assert search(client, dataset="other")["total"] == 0


@pytest.mark.parametrize("field", ["status", "evaluation", "plan"])
def test_field_restricts_matching(client, field):
    expected = search(client)["facets"]["field"][field]
    page = search(client, field=field)
    assert page["total"] == expected
    assert all(set(hit["highlights"]) == {field} for hit in page["results"])


def test_title_field(client):
    page = search(client, "スクールカウンセラー", field="title")
    assert page["total"] == 2
    assert all("スクールカウンセラー" in h["title"] for h in page["results"])


# -- /api/search: paging, sorting, synonyms -----------------------------------------------------------------------


def test_pages_cover_the_result_set(client):
    everything = search(client, "相談", per_page=100)
    assert everything["total"] > 5
    pages = [search(client, "相談", per_page=5, page=n) for n in range(1, 6)]
    assert all(p["per_page"] == 5 and p["total"] == everything["total"] for p in pages)
    assert [k for p in pages for k in keys(p)] == keys(everything)[:25]
    assert [p["page"] for p in pages] == [1, 2, 3, 4, 5]


def test_page_past_the_end_is_empty(client):
    page = search(client, page=50)
    assert page["results"] == [] and page["total"] == 8 and page["page"] == 50


def test_default_per_page_is_20(client):
    page = search(client, "相談")
    assert page["per_page"] == 20 and len(page["results"]) == min(20, page["total"])


def test_sort_plan_page(client):
    page = search(client, sort="plan_page")
    pages = [h["plan_page"] for h in page["results"]]
    assert pages == sorted(pages)
    assert sorted(keys(page)) == sorted(keys(search(client)))


def test_sort_year(client):
    page = search(client, sort="year")
    years = [h["year"] for h in page["results"]]
    assert years in (sorted(years), sorted(years, reverse=True))
    assert sorted(keys(page)) == sorted(keys(search(client)))


def test_sort_relevance_is_the_default(client):
    assert keys(search(client, sort="relevance")) == keys(search(client))


def test_synonyms_off(client):
    assert search(client, "COVID")["total"] > 0  # only the Japanese words are in the table
    off = search(client, "COVID", synonyms="off")
    assert off["total"] == 0
    assert off["interpreted"] == "COVID"
    page = search(client, synonyms="off")
    assert "新型コロナウイルス" not in page["interpreted"] and " OR " not in page["interpreted"]


def test_one_word_without_synonyms(client):
    assert search(client, "COVID", nosyn="COVID")["total"] == 0


# -- achievement trends: each year against the year before ---------------------------------------------------------

#: Measures of the bundled table whose 達成度 changes from 令和2 to 令和3年度: (measure, 令和3年度's trend,
#: 令和2年度's 達成度)
TRENDS = [
    ("koganei/2-2-2", "up", "縮小して実施"),  # → 実施: two steps of the scale
    ("koganei/4-2-1", "up", "31件(融資実行件数)"),  # → 165件(融資実行件数): two counts of 件
    ("koganei/1-2-1", "incomparable", "100%"),  # → 実施: a percentage and a step
    ("koganei/1-2-4", "incomparable", "1回実施(9/27)"),  # → 100%: a count and a percentage
    ("koganei/1-2-2", "same", "一部課題あり"),  # → 一部課題あり
]


@pytest.mark.parametrize(("measure_id", "trend", "previous"), TRENDS)
def test_a_measure_gives_each_year_its_trend_and_the_year_before(client, measure_id, trend, previous):
    years = client.get(f"/api/measures/{measure_id}").get_json()["years"]
    assert [(y["year"], y["changed"], y["trend"], y["previous_achievement"]) for y in years] == [
        (2020, "first", "", None), (2021, "changed", trend, previous)]


@pytest.mark.parametrize(("measure_id", "trend", "previous"), TRENDS)
def test_a_result_gives_its_trend_and_the_year_before(client, measure_id, trend, previous):
    title = client.get(f"/api/measures/{measure_id}").get_json()["title"]
    hits = {h["year"]: h for h in search(client, title, field="title")["results"] if h["measure_id"] == measure_id}
    assert (hits[2021]["trend"], hits[2021]["previous_achievement"]) == (trend, previous)
    assert (hits[2020]["changed"], hits[2020]["trend"], hits[2020]["previous_achievement"]) == ("first", "", None)


@pytest.mark.parametrize("trend", ["up", "same", "incomparable"])
def test_trend_filter_gives_the_facet_count(client, trend):
    facets = search(client, "実施")["facets"]["trend"]
    assert set(facets) == {"up", "same", "incomparable"}  # no year of the bundled table went down
    page = search(client, "実施", trend=trend, per_page=100)
    assert page["total"] == facets[trend]
    assert {hit["trend"] for hit in page["results"]} == {trend}


# -- /api/measures ------------------------------------------------------------------------------------------------


def test_measure_has_every_year_in_full(client, bundled):
    response = client.get("/api/measures/koganei/2-2-2")
    assert response.status_code == 200
    measure = response.get_json()
    assert measure["measure_id"] == "koganei/2-2-2"
    assert measure["title"] == "健康づくりフォローアップ指導事業"
    assert (measure["department"], measure["section"], measure["plan_page"]) == ("福祉保健部", "健康課", 46)
    records = [r.to_dict() for r in bundled.records() if r.to_dict()["measure_id"] == "koganei/2-2-2"]
    assert [y["year"] for y in measure["years"]] == [2020, 2021]
    for year, record in zip(measure["years"], records, strict=True):
        assert {k: year[k] for k in YEAR_FIELDS} == {k: record[k] for k in YEAR_FIELDS}
    assert len(measure["years"][0]["status"]) > 150  # in full, not a snippet
    assert measure["source"] == {"file": "koganei_jisatsu_taisaku_r2_r3.tsv", "line": 19}
    assert measure["source"] == records[0]["source"]


def test_every_measure_is_served(client, bundled):
    ids = {r.to_dict()["measure_id"] for r in bundled.records()}
    assert len(ids) == 25
    for measure_id in ids:
        measure = client.get(f"/api/measures/{measure_id}").get_json()
        assert len(measure["years"]) == 2
        assert set(measure["source"]) == {"file", "line"}


# -- /api/stats, /healthz -----------------------------------------------------------------------------------------


def test_stats_counts_sum_to_every_record(client):
    stats = client.get("/api/stats").get_json()
    assert stats["records"] == 50
    assert set(stats["by_year"]) == {"2020", "2021"}
    assert {y: sum(c.values()) for y, c in stats["by_year"].items()} == {"2020": 25, "2021": 25}
    assert sum(stats["by_policy"].values()) == 50
    assert sum(stats["by_department"].values()) == 50
    assert len(stats["by_policy"]) == 4
    assert stats["by_department"]["福祉保健部"] == 24
    for counts in stats["by_year"].values():
        assert all(isinstance(n, int) and n > 0 for n in counts.values())
        assert "達成・実施" in counts


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    health = response.get_json()
    assert {k: health[k] for k in ("status", "records", "datasets")} == {
        "status": "ok", "records": 50, "datasets": ["koganei"]}
    assert datetime.fromisoformat(health["index_built_at"]).year >= 2024


# -- /api/openapi.json --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def openapi(app) -> dict:
    response = app.test_client().get("/api/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def test_openapi_is_a_valid_openapi_3_document(openapi):
    from openapi_spec_validator import validate

    validate(openapi)
    assert openapi["openapi"].startswith("3.")


def test_openapi_describes_the_routes(openapi, app):
    assert {"/api/search", "/api/measures/{measure_id}", "/api/stats", "/healthz"} <= set(openapi["paths"])
    rules = {re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", r.rule) for r in app.url_map.iter_rules()}
    assert set(openapi["paths"]) <= rules
    search_params = {p["name"] for p in openapi["paths"]["/api/search"]["get"]["parameters"]}
    assert {"q", "year", "field", "dataset", "policy", "department", "section", "achievement", "page", "per_page",
            "sort", "synonyms"} <= search_params


def test_openapi_gives_the_year_before_achievement_as_string_or_null(openapi):
    schemas = openapi["components"]["schemas"]
    for record in (schemas["Search"]["properties"]["results"]["items"],
                   schemas["Measure"]["properties"]["years"]["items"]):
        assert record["properties"]["previous_achievement"] == {"type": ["string", "null"]}
        assert "previous_achievement" in record["required"]


def _validator(openapi: dict, schema: str):
    from jsonschema import Draft202012Validator

    return Draft202012Validator({"$ref": f"#/components/schemas/{schema}", "components": openapi["components"]})


@pytest.mark.parametrize(("path", "schema"), [
    ("/api/search?q=コロナ", "Search"), ("/api/search?q=該当なしの語ぽぽぽ", "Search"),
    ("/api/measures/koganei/2-2-2", "Measure"), ("/api/search?q=実施&trend=incomparable", "Search"),
    ("/api/search?q=コロナ&year=x", "Error"),
    ("/api/measures/nothing", "Error"), ("/api/nothing", "Error"),
])
def test_responses_match_the_openapi_schemas(client, openapi, path, schema):
    errors = [e.message for e in _validator(openapi, schema).iter_errors(client.get(path).get_json())]
    assert errors == []


@pytest.mark.parametrize(("params", "expected"), [
    ({"year": "２０２１"}, {"2021": 3}),            # full-width digits, as an IME types them
    ({"year": " 2020 "}, {"2020": 5}),
    ({"year": "2021", "per_page": "２"}, {"2021": 3}),
])
def test_numbers_in_full_width_digits_are_read(client, params, expected):
    page = search(client, "コロナ", **params)
    assert page["facets"]["year"] == expected
    assert page["per_page"] == (2 if "per_page" in params else 20)


@pytest.mark.parametrize("q", ["", "%20%E3%80%80%20"])  # none, or spaces and an ideographic space
def test_no_query_browses_in_plan_order(client, q):
    """API.md: an empty or absent q lists every record the filters allow, sorted by plan page."""
    everything = client.get(f"/api/search?q={q}&per_page=100").get_json()
    assert everything["total"] == 50 and everything["interpreted"] == ""
    pages = [r["plan_page"] for r in everything["results"]]
    assert pages == sorted(pages)
    filtered = client.get("/api/search?year=2020&achievement=縮小・中止&per_page=100").get_json()
    assert filtered["total"] == len(filtered["results"]) > 0
    assert {(r["year"], r["achievement_category"]) for r in filtered["results"]} == {(2020, "縮小・中止")}
    by_year = client.get("/api/search?sort=year&per_page=5").get_json()
    assert [r["year"] for r in by_year["results"]] == [2021] * 5


def test_group_by_measure_gives_one_result_per_measure_with_its_years(client):
    records = client.get("/api/search?q=コロナ&per_page=100").get_json()
    measures = client.get("/api/search?q=コロナ&per_page=100&group=measure").get_json()
    by_measure: dict[str, list[dict]] = {}
    for r in records["results"]:
        by_measure.setdefault(r["measure_id"], []).append(r)
    assert measures["group"] == "measure" and records["group"] == "record"
    assert measures["total"] == len(by_measure) < records["total"] == measures["total_records"]
    assert [r["measure_id"] for r in measures["results"]] == list(by_measure)  # ranked by each one's best year
    for result in measures["results"]:
        mine = by_measure[result["measure_id"]]
        assert (result["year"], result["score"]) == (mine[0]["year"], mine[0]["score"])  # its best year
        assert sorted(y["year"] for y in result["matching_years"]) == sorted(r["year"] for r in mine)
        assert all(y["url"] == f"/measures/{result['measure_id']}#y{y['year']}" and y["year_label"].endswith("年度")
                   for y in result["matching_years"])
    # facets count measures: a measure that matches in both years counts once for its policy
    assert sum(measures["facets"]["policy"].values()) == len(by_measure)
    per_year = {str(y): sum(1 for rs in by_measure.values() if any(r["year"] == y for r in rs)) for y in (2020, 2021)}
    assert measures["facets"]["year"] == {y: n for y, n in per_year.items() if n}
