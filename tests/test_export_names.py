"""An export's file name says what it holds (the search words, the filters in effect, the day in Japan time), is
safe as a file name anywhere, and reaches browsers and Excel in Japanese through ``Content-Disposition``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from email.message import EmailMessage

import pytest
from web_tools import today_in_japan
from werkzeug.http import parse_options_header

from search_app.contract.filenames import MAX_WORDS, ExportName
from search_app.contract.labels import JST, VALUE_LABELS
from search_app.models import SearchRequest

#: 2026-11-30 12:00 in Japan.
NOON = datetime(2026, 11, 30, 12, 0, tzinfo=JST)
NAMES = {"koganei": "小金井市 自殺総合対策計画", "kou": "甲市自殺対策計画"}

#: (request, extension, file name) at NOON: the words as typed, then the years and filters as the page shows them.
FILE_NAMES = [
    (SearchRequest("いじめ", years=(2021,), filters={"municipality": ("小金井市",)}), "csv",
     "いじめ_令和3年度_小金井市_2026-11-30.csv"),
    (SearchRequest("コロナ"), "xlsx", "コロナ_2026-11-30.xlsx"),
    (SearchRequest("ヤングケアラー", years=(2022, 2023), filters={"municipality": ("甲市", "乙町")}), "json",
     "ヤングケアラー_令和4年度・令和5年度_甲市・乙町_2026-11-30.json"),
    (SearchRequest("相談", years=(2019,), filters={"department": ("福祉保健部",), "section": ("自立生活支援課",)}),
     "csv", "相談_令和元年度_福祉保健部_自立生活支援課_2026-11-30.csv"),
    (SearchRequest("認知症", filters={"dataset": ("kou",), "achievement": ("達成・実施",)}), "csv",
     "認知症_甲市自殺対策計画_達成・実施_2026-11-30.csv"),
    (SearchRequest("スクールカウンセラー", filters={"dataset": ("other",)}), "csv",
     "スクールカウンセラー_other_2026-11-30.csv"),  # an id no dataset has: as it is
    (SearchRequest("コロナ", fields=("status", "plan")), "csv", "コロナ_実施状況・今後の計画_2026-11-30.csv"),
    (SearchRequest("高齢者 虐待"), "csv", "高齢者 虐待_2026-11-30.csv"),
    (SearchRequest("いじめ\u3000OR\u3000不登校"), "csv", "いじめ OR 不登校_2026-11-30.csv"),
    (SearchRequest("COVID", years=(2021,)), "csv", "COVID_令和3年度_2026-11-30.csv"),
]


@pytest.mark.parametrize(("req", "ext", "filename"), FILE_NAMES)
def test_file_names(req, ext, filename):
    assert ExportName.of(req, ext, NOON, NAMES).filename == filename


#: (changed, trend, words): codes in the words the page shows them in, looked up in VALUE_LABELS.
@pytest.mark.parametrize(("changed", "trend"), [("unchanged", "up"), ("first", "down"), ("changed", "same")])
def test_codes_are_named_in_words(changed, trend):
    req = SearchRequest("コロナ", filters={"changed": (changed,), "trend": (trend,)})
    words = "_".join(["コロナ", VALUE_LABELS["changed"][changed], VALUE_LABELS["trend"][trend]])
    assert ExportName.of(req, "csv", NOON).filename == f"{words}_2026-11-30.csv"


@pytest.mark.parametrize(("when", "day"), [
    (datetime(2026, 11, 30, 14, 59, tzinfo=UTC), "2026-11-30"),  # 23:59 in Japan
    (datetime(2026, 11, 30, 15, 0, tzinfo=UTC), "2026-12-01"),  # midnight in Japan
    (datetime(2026, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-5))), "2027-01-01"),
])
def test_the_day_is_the_day_in_japan(when, day):
    assert ExportName.of(SearchRequest("いじめ"), "csv", when).day == day


#: (query, words): no path separators, quotes, control or invisible characters; white space as one space; no dots
#: or spaces at either end.
UNSAFE = [
    ('"心の健康" 相談', "心の健康 相談"),
    ("「心の健康」 -中止", "「心の健康」 -中止"),
    ("../../etc/passwd", "etc passwd"),
    ("児童/生徒\\教員", "児童 生徒 教員"),
    ("児童／生徒＼教員", "児童 生徒 教員"),
    ("いじめ\t\n\r相談", "いじめ 相談"),
    ("いじめ\x00\x07\x7f相談", "いじめ相談"),
    ("いじめ\u202e\u200b\ufeff相談", "いじめ相談"),  # a direction override, a zero-width space, a BOM
    ("a:b*c?d<e>f|g'h`i", "a b c d e f g h i"),
    ("...コロナ...", "コロナ"),
    ('"/"', "検索結果"),  # nothing left of the words
]


@pytest.mark.parametrize(("query", "words"), UNSAFE)
def test_names_are_safe(query, words):
    assert ExportName.of(SearchRequest(query), "csv", NOON).words == words


def test_long_names_are_cut():
    name = ExportName.of(SearchRequest("自殺対策 " * 40, years=(2020, 2021)), "xlsx", NOON)
    assert len(name.words) <= MAX_WORDS and name.words.endswith("…")
    assert name.filename.endswith("…_2026-11-30.xlsx")
    assert len(name.filename.encode()) < 255


@pytest.mark.parametrize(("req", "fallback"), [
    (SearchRequest("COVID"), "COVID_2026-11-30.csv"),
    (SearchRequest("SOS", years=(2021,)), "plansearch_2026-11-30.csv"),
    (SearchRequest("いじめ"), "plansearch_2026-11-30.csv"),
    (SearchRequest('a" b'), "a b_2026-11-30.csv"),
    (SearchRequest("a;b"), "plansearch_2026-11-30.csv"),
])
def test_the_ascii_name_for_old_clients(req, fallback):
    assert ExportName.of(req, "csv", NOON).fallback == fallback


# -- over HTTP ---------------------------------------------------------------------------------------------------


def disposition(value: str) -> tuple[str, str]:
    """The file name an HTTP client reads from a Content-Disposition (werkzeug's parser decodes ``filename*``), and
    the one a client that knows only ``filename`` reads (the email package's)."""
    kind, options = parse_options_header(value)
    assert kind == "attachment"
    message = EmailMessage()
    message["Content-Disposition"] = value
    return options["filename"], message.get_param("filename", header="Content-Disposition")


#: (path, query, file name without the day): the bundled table's departments, sections and years.
HTTP_NAMES = [
    ("/export.csv", {"q": "いじめ", "year": "2021"}, "いじめ_令和3年度", "csv"),
    ("/export.xlsx", {"q": "相談", "department": "福祉保健部", "changed": "unchanged"},
     f"相談_福祉保健部_{VALUE_LABELS['changed']['unchanged']}", "xlsx"),
    ("/export.json", {"q": "スクールカウンセラー", "section": "指導室", "year": ["2020", "2021"]},
     "スクールカウンセラー_令和2年度・令和3年度_指導室", "json"),
    ("/export.csv", {"q": "コロナ", "dataset": "koganei", "score": "on"}, "コロナ_koganei", "csv"),
]


@pytest.mark.parametrize(("path", "params", "words", "ext"), HTTP_NAMES)
def test_content_disposition_gives_the_japanese_name(client, path, params, words, ext):
    response = client.get(path, query_string=params)
    assert response.status_code == 200
    value = response.headers["Content-Disposition"]
    assert value.startswith("attachment; filename=\"plansearch_")
    assert value.isascii()
    filename, fallback = disposition(value)
    assert filename in {f"{words}_{day}.{ext}" for day in today_in_japan()}
    assert fallback in {f"plansearch_{day}.{ext}" for day in today_in_japan()}


def test_an_ascii_search_keeps_its_words_for_old_clients(client):
    filename, fallback = disposition(client.get("/export.csv", query_string={"q": "SOS"}).headers[
        "Content-Disposition"])
    assert filename == fallback and fallback in {f"SOS_{day}.csv" for day in today_in_japan()}
