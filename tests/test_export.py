"""Export of a whole result set: CSV and Excel with Japanese headers and values in words (a BOM for Excel, formula-like
cells neutralised), JSON with the machine fields; every record, the filters kept."""

from __future__ import annotations

import csv
import io
import json

import openpyxl
import pytest
from web_tools import PLAN_URL, plan_app

from indexer.years import find_year
from search_app.contract.exports import COLUMNS, export_columns, export_rows, safe_cell
from search_app.contract.labels import VALUE_LABELS

BOM = "\ufeff".encode()
#: The columns every CSV and workbook has, in order; 施策ID last.
HEADERS = ["施策番号", "自治体", "重点施策", "項目", "実施内容", "年度", "実施状況", "評価", "達成度", "今後の実施計画",
           "計画書ページ", "担当部署", "担当課", "前年度からの変更", "達成度の推移", "前年度の達成度"]


def api_total(client, query: str = "コロナ", **params) -> int:
    return client.get("/api/search", query_string={"q": query, **params}).get_json()["total"]


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(BOM)
    return list(csv.reader(io.StringIO(data[len(BOM):].decode("utf-8"), newline="")))


def xlsx_rows(data: bytes) -> list[list[str]]:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    return [["" if v is None else str(v) for v in row] for row in book.active.iter_rows(values_only=True)]


def cells(rows: list[list[str]], measure_id: str, year: str) -> dict[str, str]:
    """The row of one record (by 施策ID and 年度) as {header: cell}."""
    header = rows[0]
    [row] = [r for r in rows[1:] if r[header.index("施策ID")] == measure_id and r[header.index("年度")] == year]
    return dict(zip(header, row, strict=True))


def test_csv_export(client):
    response = client.get("/export.csv?q=コロナ")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert ".csv" in response.headers["Content-Disposition"]
    rows = csv_rows(response.data)
    assert rows[0] == [*HEADERS, "施策ID"]
    assert len(rows) - 1 == api_total(client) == 8
    assert all(len(row) == len(rows[0]) for row in rows)
    assert b"\r\n" in response.data


#: (request, the CSV's and the workbook's header): the plan link and その他の列 only where a record has one, the
#: score only when asked for.
EXPORT_HEADERS = [
    ({"q": "コロナ"}, [*HEADERS, "施策ID"]),
    ({"q": "いじめ", "year": "2021"}, [*HEADERS, "施策ID"]),
    ({"q": "コロナ", "score": "on"}, [*HEADERS, "関連度スコア", "施策ID"]),
    ({"q": "コロナ", "score": "OFF"}, [*HEADERS, "施策ID"]),
    ({"q": "該当なしの語ぽぽぽ"}, [*HEADERS, "施策ID"]),
]


@pytest.mark.parametrize(("params", "header"), EXPORT_HEADERS)
def test_export_headers(client, params, header):
    csv_data = csv_rows(client.get("/export.csv", query_string=params).data)
    assert csv_data[0] == header
    assert xlsx_rows(client.get("/export.xlsx", query_string=params).data) == csv_data


#: (query, 施策ID, 年度, {header: cell}) of the bundled table: the number as the table writes it (「4 いじめ防止対策」),
#: the year and plan page as people write them, codes in words. A code's words are looked up in VALUE_LABELS.
EXPORT_VALUES = [
    ("いじめ", "koganei/1-1-4", "令和3年度", {
        "施策番号": "4", "実施内容": "いじめ防止対策", "重点施策": "重点施策1 子ども・若者に関する自殺対策の推進",
        "項目": "(1) 学校における支援", "計画書ページ": "P.44", "担当部署": "学校教育部", "担当課": "指導室",
        "達成度": "実施", "前年度からの変更": ("changed", "changed"), "達成度の推移": ("trend", "same")}),
    ("いじめ", "koganei/1-1-4", "令和2年度", {
        "施策番号": "4", "前年度からの変更": ("changed", "first"), "達成度の推移": ""}),
    ("コロナ", "koganei/2-2-2", "令和3年度", {
        "施策番号": "2", "実施内容": "健康づくりフォローアップ指導事業", "計画書ページ": "P.46",
        "前年度からの変更": ("changed", "changed"), "達成度の推移": ("trend", "up")}),
    ("就労支援", "koganei/4-1-1", "令和3年度", {
        "施策番号": "1", "実施内容": "就労支援事業", "計画書ページ": "P.49",
        "前年度からの変更": ("changed", "unchanged"), "達成度の推移": ("trend", "same")}),
]


@pytest.mark.parametrize(("query", "measure_id", "year", "expected"), EXPORT_VALUES)
def test_export_values(client, query, measure_id, year, expected):
    rows = csv_rows(client.get("/export.csv", query_string={"q": query}).data)
    row = cells(rows, measure_id, year)
    assert row == {**row, **{k: VALUE_LABELS[v[0]][v[1]] if isinstance(v, tuple) else v for k, v in expected.items()}}
    record = client.get(f"/api/measures/{measure_id}").get_json()
    [entry] = [y for y in record["years"] if y["year"] == find_year(year)[0]]
    texts = {"実施状況": "status", "評価": "evaluation", "今後の実施計画": "plan"}
    assert {h: row[h] for h in texts} == {h: entry[f] for h, f in texts.items()}  # in full


def test_no_code_is_shown_in_place_of_words(client):
    rows = csv_rows(client.get("/export.csv", query_string={"q": "自殺"}).data)
    header, body = rows[0], rows[1:]
    changed, trend = header.index("前年度からの変更"), header.index("達成度の推移")
    assert {r[changed] for r in body} == set(VALUE_LABELS["changed"].values())
    assert {r[trend] for r in body} <= {"", *VALUE_LABELS["trend"].values()}
    assert {r[header.index("年度")] for r in body} == {"令和2年度", "令和3年度"}


def test_a_label_added_later_is_used_and_an_unknown_code_is_shown_as_it_is(monkeypatch):
    monkeypatch.setitem(VALUE_LABELS["trend"], "incomparable", "比較できない")
    records = [{"measure_id": "koganei/2-2-2", "year": 2021, "changed": "changed", "trend": t}
               for t in ("incomparable", "sideways")]
    header, *rows = export_rows(records, export_columns(records))
    trend = header.index("達成度の推移")
    assert [r[trend] for r in rows] == ["比較できない", "sideways"]


def test_the_score_column_holds_the_search_score(client):
    rows = csv_rows(client.get("/export.csv", query_string={"q": "コロナ", "score": "on"}).data)
    scores = [h["score"] for h in client.get("/api/search", query_string={"q": "コロナ", "per_page": 100}).get_json()[
        "results"]]
    assert [float(r[rows[0].index("関連度スコア")]) for r in rows[1:]] == scores


@pytest.mark.parametrize("value", ["yes", "1", "", "on off"])
@pytest.mark.parametrize("path", ["/export.csv", "/export.xlsx", "/export.json"])
def test_a_bad_score_parameter_is_named(client, path, value):
    response = client.get(path, query_string={"q": "コロナ", "score": value})
    assert response.status_code == 400
    assert response.get_json()["error"] == {"status": 400, "code": "bad_parameter",
                                            "message": "score must be on or off", "parameter": "score"}


@pytest.fixture(scope="module")
def pdf_client(tmp_path_factory):
    return plan_app(tmp_path_factory, "export-pdf", plan_pdf=True).test_client()


@pytest.fixture(scope="module")
def url_client(tmp_path_factory):
    return plan_app(tmp_path_factory, "export-url", plan_url=PLAN_URL).test_client()


@pytest.mark.parametrize(("fixture", "link"), [
    ("pdf_client", "http://localhost/plans/koganei.pdf#page=47"),  # served here: whole, to open from the file
    ("url_client", f"{PLAN_URL}#page=47"),
])
def test_the_plan_link_column_where_there_is_a_plan(request, fixture, link):
    client = request.getfixturevalue(fixture)
    rows = csv_rows(client.get("/export.csv", query_string={"q": "スクールカウンセラー"}).data)
    assert rows[0] == [*HEADERS, "計画書へのリンク", "施策ID"]
    assert {r[-2] for r in rows[1:]} == {link} and {r[10] for r in rows[1:]} == {"P.43"}
    assert xlsx_rows(client.get("/export.xlsx", query_string={"q": "スクールカウンセラー"}).data) == rows
    json_records = client.get("/export.json", query_string={"q": "スクールカウンセラー"}).get_json()["records"]
    assert {r["plan_url"] for r in json_records} == {link.removeprefix("http://localhost")}  # JSON: as the API


def test_csv_export_is_the_whole_result_set_not_a_page(client):
    rows = csv_rows(client.get("/export.csv?q=相談&per_page=2&page=3").data)
    assert len(rows) - 1 == api_total(client, "相談") > 2


def test_csv_export_keeps_filters_and_full_text(client):
    rows = csv_rows(client.get("/export.csv?q=コロナ&year=2020").data)
    header, body = rows[0], rows[1:]
    assert len(body) == api_total(client, year="2020") == 5
    year, status = header.index("年度"), header.index("実施状況")
    assert {row[year] for row in body} == {"令和2年度"}
    record = next(r for r in body if r[-1] == "koganei/2-2-2")
    assert record[status].endswith("骨粗しょう症予防教室：新型コロナウイルス感染症予防のため中止。")  # in full


def test_no_csv_cell_starts_a_formula(client):
    for query in ("コロナ", "相談", "自殺"):
        for row in csv_rows(client.get("/export.csv", query_string={"q": query}).data)[1:]:
            assert all(cell[:1] not in ("=", "+", "-", "@") for cell in row), row


def test_json_export(client):
    response = client.get("/export.json?q=コロナ")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert "コロナ".encode() in response.data  # UTF-8, not \\u escapes
    body = json.loads(response.data.decode("utf-8-sig"))
    assert body["query"] == "コロナ"
    assert body["total"] == len(body["records"]) == api_total(client)
    for record in body["records"]:  # machine fields and codes, for programs
        assert {"measure_id", "title", "year", "status", "evaluation", "achievement", "plan", "source", "changed",
                "trend", "score", "plan_url", "written_number"} <= set(record)
        assert record["changed"] in VALUE_LABELS["changed"]
    assert [r["measure_id"] for r in body["records"]] == [
        h["measure_id"] for h in client.get("/api/search?q=コロナ").get_json()["results"]]


def test_json_export_with_filters(client):
    body = json.loads(client.get("/export.json?q=相談&department=福祉保健部&per_page=1").data)
    assert body["total"] == api_total(client, "相談", department="福祉保健部") > 1
    assert {r["department"] for r in body["records"]} == {"福祉保健部"}


def test_export_of_nothing(client):
    rows = csv_rows(client.get("/export.csv?q=該当なしの語ぽぽぽ").data)
    assert rows == [[c.header for c in COLUMNS] + ["施策ID"]]
    assert json.loads(client.get("/export.json?q=該当なしの語ぽぽぽ").data)["records"] == []


@pytest.mark.parametrize(("value", "cell"), [
    ("=SUM(A1:A2)", "'=SUM(A1:A2)"),
    ("+81 42 383 1111", "'+81 42 383 1111"),
    ("-1", "'-1"),
    ("@cmd", "'@cmd"),
    ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"),
    (" =1+1", "' =1+1"),
    ("\u3000＝1+1", "'\u3000＝1+1"),
    ("\ufeff=1", "'\ufeff=1"),
    ("\u200b@SUM(1)", "'\u200b@SUM(1)"),
    ("\u200e=1", "'\u200e=1"),  # left-to-right mark
    ("\u00ad+1", "'\u00ad+1"),  # soft hyphen
    ("\u2067=1", "'\u2067=1"),  # right-to-left isolate
    ("＋81 42", "'＋81 42"),
    ("－1", "'－1"),
    ("＠cmd", "'＠cmd"),
    ("\n-1", "'\n-1"),
    ("  実施", "  実施"),
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
    ("実施", "実施"),
    ("100%", "100%"),
    ("a=b", "a=b"),
    ("", ""),
    (None, ""),
    (46, "46"),
    (-3, "'-3"),
    (2.5, "2.5"),
])
def test_safe_cell(value, cell):
    assert safe_cell(value) == cell


def test_an_export_follows_the_grouping_by_measure(client):
    """group=measure (the page's default): a row per measure, its best year's record, with every year it matched."""
    rows = list(csv.reader(io.StringIO(client.get("/export.csv?q=コロナ&group=measure").data.decode("utf-8-sig"),
                                       newline="")))
    header, body = rows[0], [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    assert "該当する年度" in header and len(body) == 5  # 5 measures (8 records)
    assert len({r["施策ID"] for r in body}) == 5
    both = next(r for r in body if r["施策ID"] == "koganei/2-2-2")
    assert both["該当する年度"] == "令和2年度・令和3年度"
    by_record = client.get("/export.csv?q=コロナ").data.decode("utf-8-sig")
    assert "該当する年度" not in by_record.splitlines()[0] and len(list(csv.reader(io.StringIO(by_record)))) == 9
