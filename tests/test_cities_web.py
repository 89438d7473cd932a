"""Several cities in one service: municipalities named everywhere, the datasets page and API, the municipality ×
year table, similar measures, and the Excel export, over the fictional cities of ``tests/data/cities``."""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import openpyxl
import pytest
from browser_tools import CHROMIUM, serving
from web_tools import links, today_in_japan

CITIES = Path(__file__).resolve().parent / "data" / "cities"
TOWNS = {"kou": "甲市", "otsu": "乙町", "hei": "丙村", "tei": "丁市", "bo": "戊町"}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from search_app.web import create_app

    return create_app({"DATA_DIR": str(CITIES), "INDEX_DIR": str(tmp_path_factory.mktemp("cities-index")),
                       "TESTING": True})


@pytest.fixture()
def client(app):
    return app.test_client()


def search(client, q: str, **params) -> dict:
    response = client.get("/api/search", query_string={"q": q, "per_page": 100, **params})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_every_result_names_its_municipality(client):
    body = search(client, "ヤングケアラー")
    assert body["total"] > 0
    assert all(hit["municipality"] == TOWNS[hit["dataset"]] for hit in body["results"])
    assert body["facets"]["municipality"] == dict(Counter(h["municipality"] for h in body["results"]))
    assert set(body["facets"]["municipality"]) == {"甲市", "乙町", "丁市", "戊町"}


def test_a_filter_by_municipality(client):
    body = search(client, "ヤングケアラー", municipality="乙町")
    assert body["total"] == 4 and {h["municipality"] for h in body["results"]} == {"乙町"}
    both = search(client, "ヤングケアラー", municipality=["乙町", "甲市"])
    assert {h["municipality"] for h in both["results"]} == {"乙町", "甲市"}


def test_the_municipality_by_year_table(client):
    body = search(client, "ヤングケアラー")
    table = body["municipality_years"]
    assert table["甲市"] == {"2022": 1, "2023": 1}
    assert sum(n for by_year in table.values() for n in by_year.values()) == body["total"]
    for town, by_year in table.items():
        for year, n in by_year.items():
            assert search(client, "ヤングケアラー", municipality=town, year=year)["total"] == n
    assert search(client, "ヤングケアラー", municipality="甲市")["municipality_years"] == {}  # one town: no table


def test_the_table_on_the_search_page_links_to_each_cell(client):
    page = client.get("/", query_string={"q": "ヤングケアラー"}).get_data(as_text=True)
    assert 'id="towns"' in page
    cells = [(href, text) for href, text in links(page) if "municipality=" in href and "year=" in href]
    assert cells
    for href, text in cells:
        args = parse_qs(urlsplit(href).query)
        assert search(client, args["q"][0], municipality=args["municipality"][0],
                      year=args["year"][0])["total"] == int(text)


def test_the_datasets_api(client):
    body = client.get("/api/datasets").get_json()
    assert [d["id"] for d in body["datasets"]] == ["bo", "hei", "kou", "otsu", "tei"]
    kou = body["datasets"][2]
    assert (kou["municipality"], kou["name"], kou["years"], kou["measures"], kou["records"]) == (
        "甲市", "甲市自殺対策計画", [2021, 2022, 2023], 31, 90)
    assert [(s["file"], s["years"], s["rows"]) for s in kou["sources"]] == [
        ("kou_jisatsu_r3.tsv", [2021], 30), ("kou_jisatsu_r4.tsv", [2022], 30),
        ("kou_jisatsu_r4_r5.tsv", [2022, 2023], 30)]
    assert all(d["read_at"] for d in body["datasets"])


def test_health_keeps_its_shape(client):
    body = client.get("/healthz").get_json()
    assert set(body) >= {"status", "records", "datasets", "index_built_at"}
    assert body["datasets"] == ["bo", "hei", "kou", "otsu", "tei"]


def test_the_datasets_page(client):
    page = client.get("/datasets").get_data(as_text=True)
    for town in TOWNS.values():
        assert town in page
    for name in ("kou_jisatsu_r3.tsv", "kou_jisatsu_r4.tsv", "kou_jisatsu_r4_r5.tsv", "hei_keikaku_r5_r6.csv"):
        assert name in page
    assert ("/datasets", "データ") in links(client.get("/").get_data(as_text=True))


def test_a_measure_names_its_municipality_and_each_years_source(client):
    body = client.get("/api/measures/kou/2-1-2").get_json()
    assert (body["municipality"], body["title"]) == ("甲市", "認知症サポーター養成講座")
    assert [(y["year"], y["source"]["file"]) for y in body["years"]] == [
        (2021, "kou_jisatsu_r3.tsv"), (2022, "kou_jisatsu_r4_r5.tsv"), (2023, "kou_jisatsu_r4_r5.tsv")]


def test_similar_measures_in_other_cities(client):
    body = client.get("/api/measures/kou/1-2-3").get_json()  # ヤングケアラーの把握と支援
    similar = body["similar"]
    assert 0 < len(similar) <= 10
    assert [s["score"] for s in similar] == sorted((s["score"] for s in similar), reverse=True)
    assert "kou/1-2-3" not in {s["measure_id"] for s in similar}
    top = similar[:3]
    assert {s["municipality"] for s in top} == {"乙町", "戊町", "丁市"}
    assert all("ヤングケアラー" in s["title"] for s in top)
    assert all(s["municipality"] == TOWNS[s["dataset"]] for s in similar)
    page = client.get("/measures/kou/1-2-3").get_data(as_text=True)
    assert f'/measures/{top[0]["measure_id"]}' in page and "似ている施策" in page


def test_the_excel_export_has_the_csv_rows(client):
    response = client.get("/export.xlsx", query_string={"q": "ヤングケアラー"})
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    rows = xlsx_rows(response.data)
    assert rows == csv_rows(client, q="ヤングケアラー")
    assert "自治体" in rows[0] and len(rows) - 1 == search(client, "ヤングケアラー")["total"]


def xlsx_rows(data: bytes) -> list[list[str]]:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    return [["" if v is None else str(v) for v in row] for row in book.active.iter_rows(values_only=True)]


def csv_rows(client, **params) -> list[list[str]]:
    data = client.get("/export.csv", query_string=params).data.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(data, newline="")))


#: (query, 施策ID, 年度, {header: cell}) in five layouts: each city's number as its table writes it (none for 丙村's
#: unnumbered measures), the fiscal year as 令和, codes in words (looked up in VALUE_LABELS), 丁市's 備考 kept.
CITY_VALUES = [
    ("認知症サポーター", "kou/2-1-2", "令和4年度", {
        "施策番号": "2", "自治体": "甲市", "実施内容": "認知症サポーター養成講座", "達成度": "117%",
        "計画書ページ": "P.42", "前年度からの変更": ("changed", "changed"), "達成度の推移": ("trend", "up")}),
    ("認知症サポーター", "kou/2-1-2", "令和5年度", {"達成度": "83%", "達成度の推移": ("trend", "down")}),
    ("ゲートキーパー", "tei/1-2-1", "令和4年度", {
        "施策番号": "1-2-1", "自治体": "丁市", "達成度": "A", "計画書ページ": "",
        "前年度からの変更": ("changed", "first"), "達成度の推移": "", "その他の列": "備考: 累計3,412人(2023年度末)"}),
    ("ゲートキーパー", "otsu/2-1-5", "令和5年度", {
        "施策番号": "5", "自治体": "乙町", "実施内容": "ゲートキーパー研修の実施", "達成度": "達成",
        "達成度の推移": ("trend", "same"), "その他の列": ""}),
    ("民生委員", "hei/1-1-x1", "令和6年度", {
        "施策番号": "", "自治体": "丙村", "実施内容": "民生委員の見守り訪問", "項目": "見守り",
        "重点施策": "基本目標1 見守り・つながりの地域づくり"}),
    ("みんなの食堂", "bo/0-1-1", "令和5年度", {
        "施策番号": "1", "自治体": "戊町", "項目": "1 地域のつながりと居場所づくり", "担当部署": "町民福祉課"}),
]


@pytest.mark.parametrize(("query", "measure_id", "year", "expected"), CITY_VALUES)
def test_export_values_in_every_layout(client, query, measure_id, year, expected):
    from search_app.contract.labels import VALUE_LABELS

    rows = csv_rows(client, q=query)
    header = rows[0]
    [row] = [r for r in rows[1:] if r[header.index("施策ID")] == measure_id and r[header.index("年度")] == year]
    cells = dict(zip(header, row, strict=True))
    assert cells == cells | {k: VALUE_LABELS[v[0]][v[1]] if isinstance(v, tuple) else v for k, v in expected.items()}
    assert xlsx_rows(client.get("/export.xlsx", query_string={"q": query}).data) == rows


@pytest.mark.parametrize(("params", "extra"), [
    ({"q": "ゲートキーパー"}, ["その他の列"]),  # 丁市's 備考
    ({"q": "ゲートキーパー", "municipality": "乙町"}, []),  # none of its records has one
    ({"q": "ゲートキーパー", "municipality": "丁市", "score": "on"}, ["その他の列", "関連度スコア"]),
])
def test_export_headers_follow_the_records(client, params, extra):
    from search_app.contract.exports import COLUMNS

    assert csv_rows(client, **params)[0] == [c.header for c in COLUMNS] + extra + ["施策ID"]


def test_the_excel_export_neutralises_formulas(tmp_path):
    from search_app.contract.exports import export_columns, export_xlsx

    record = {"measure_id": "kou/1-1-2", "written_number": "=1+1", "title": "=HYPERLINK(\"http://x\")",
              "status": "+1", "year": 2021, "plan_page": 44, "changed": "first", "trend": "", "score": 12.5}
    book = openpyxl.load_workbook(io.BytesIO(export_xlsx([record], score=True)))
    row = [c for c in next(book.active.iter_rows(min_row=2))]
    by_name = dict(zip((c.header for c in export_columns([record], score=True)), row, strict=True))
    assert by_name["実施内容"].value == "'=HYPERLINK(\"http://x\")" and by_name["実施内容"].data_type == "s"
    assert (by_name["施策番号"].value, by_name["実施状況"].value) == ("'=1+1", "'+1")
    assert by_name["年度"].value == "令和3年度"
    assert (by_name["計画書ページ"].value, by_name["関連度スコア"].value) == (44, 12.5)  # numbers as numbers


# -- in Chromium ----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(app):
    yield from serving(app)


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test_cities_in_a_browser(page):
    page.goto("/?q=ヤングケアラー")
    table = page.locator("#towns")
    assert table.is_visible()
    assert table.locator("tbody tr").count() == 4
    cell = table.locator("tbody tr", has_text="乙町").locator("td a").last
    expected = int(cell.inner_text())
    cell.click()
    page.wait_for_load_state()
    assert int(page.locator("#total").inner_text()) == expected
    assert page.locator(".hit .town").all_inner_texts() == ["乙町"] * expected
    page.goto("/measures/kou/1-2-3")
    similar = page.locator("section.similar")
    assert similar.is_visible()
    other = similar.locator("li", has_text="乙町").first.locator("a")
    title = other.inner_text()
    other.click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == title
    assert "乙町" in page.locator(".path").inner_text()
    page.goto("/datasets")
    assert page.locator("table.datasets tbody tr").count() == 5


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test_a_csv_download_is_named_for_the_search(page, tmp_path):
    page.goto("/?q=ヤングケアラー&municipality=乙町&year=2023")
    with page.expect_download() as download:
        page.locator(".export a", has_text="CSV").click()
    name = download.value.suggested_filename
    assert name in {f"ヤングケアラー_令和5年度_乙町_{day}.csv" for day in today_in_japan()}
    download.value.save_as(tmp_path / name)
    rows = list(csv.reader(io.StringIO((tmp_path / name).read_text(encoding="utf-8-sig"), newline="")))
    assert rows[0][:6] == ["施策番号", "自治体", "重点施策", "項目", "実施内容", "年度"] and rows[0][-1] == "施策ID"
    assert {(r[1], r[5]) for r in rows[1:]} == {("乙町", "令和5年度")}
    assert len(rows) - 1 == int(page.locator("#total").inner_text())


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_plain_words_read_as_a_concept_in_a_browser(page, width):
    """A resident's words find the administration's measures, one entry per measure; the page says how the words
    were read, and one click searches them as typed."""
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/")
    page.fill("#q", "ひとり親の仕事探し")
    page.press("#q", "Enter")
    page.wait_for_selector("#total")
    reading = page.locator(".reading").first
    assert reading.is_visible()
    assert "「ひとり親の仕事探し」を「母子家庭等就業・自立支援」として検索しました" in reading.inner_text()
    found = int(page.locator("#total").inner_text())
    assert found >= 3 and page.locator(".hit").count() == found  # measures, each once
    assert page.locator(".hit .years").count() == found
    reading.locator("a", has_text="言い換えずに入力どおり検索").click()
    page.wait_for_url("**concepts=off**")
    assert int(page.locator("#total").inner_text()) == 0
    assert page.locator(".reading", has_text="言い換えを使わずに検索しました").is_visible()
