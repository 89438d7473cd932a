"""CSV and JSON export of a whole result set: a BOM for Excel, every record, formula-like cells neutralised."""

from __future__ import annotations

import csv
import io
import json

import pytest

from search_app.contract.exports import EXPORT_COLUMNS, safe_cell

BOM = "\ufeff".encode()


def api_total(client, query: str = "コロナ", **params) -> int:
    return client.get("/api/search", query_string={"q": query, **params}).get_json()["total"]


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(BOM)
    return list(csv.reader(io.StringIO(data[len(BOM):].decode("utf-8"), newline="")))


def test_csv_export(client):
    response = client.get("/export.csv?q=コロナ")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert ".csv" in response.headers["Content-Disposition"]
    rows = csv_rows(response.data)
    assert rows[0] == list(EXPORT_COLUMNS)
    assert {"measure_id", "title", "year", "status", "evaluation", "achievement", "plan"} <= set(rows[0])
    assert len(rows) - 1 == api_total(client) == 8
    assert all(len(row) == len(EXPORT_COLUMNS) for row in rows)
    assert b"\r\n" in response.data


def test_csv_export_is_the_whole_result_set_not_a_page(client):
    rows = csv_rows(client.get("/export.csv?q=相談&per_page=2&page=3").data)
    assert len(rows) - 1 == api_total(client, "相談") > 2


def test_csv_export_keeps_filters_and_full_text(client):
    rows = csv_rows(client.get("/export.csv?q=コロナ&year=2020").data)
    header, body = rows[0], rows[1:]
    assert len(body) == api_total(client, year="2020") == 5
    year, status = header.index("year"), header.index("status")
    assert {row[year] for row in body} == {"2020"}
    record = next(r for r in body if r[0] == "koganei/2-2-2")
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
    for record in body["records"]:
        assert {"measure_id", "title", "year", "status", "evaluation", "achievement", "plan", "source"} <= set(record)
    assert [r["measure_id"] for r in body["records"]] == [
        h["measure_id"] for h in client.get("/api/search?q=コロナ").get_json()["results"]]


def test_json_export_with_filters(client):
    body = json.loads(client.get("/export.json?q=相談&department=福祉保健部&per_page=1").data)
    assert body["total"] == api_total(client, "相談", department="福祉保健部") > 1
    assert {r["department"] for r in body["records"]} == {"福祉保健部"}


def test_export_of_nothing(client):
    rows = csv_rows(client.get("/export.csv?q=該当なしの語ぽぽぽ").data)
    assert rows == [list(EXPORT_COLUMNS)]
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
