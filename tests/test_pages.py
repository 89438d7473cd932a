"""The HTML pages: search with facets, paging and sorting, a measure's years side by side, stats, synonyms, errors,
and the link from a hit to its page of the plan document."""

from __future__ import annotations

import csv
import io
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from web_tools import P43_MEASURE, PAGE_OFFSET, PLAN_URL, link_to, links, minimal_pdf, plan_app

from indexer.achievement import compare
from search_app.contract.labels import VALUE_LABELS


def get(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, url
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def total(page: str) -> int:
    return int(re.search(r'<strong id="total">(\d+)</strong>', page).group(1))


def params(href: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(href).query)


# -- the search page ----------------------------------------------------------------------------------------------


def test_home_page(client):
    page = get(client, "/")
    assert '<html lang="ja">' in page
    assert 'id="q" name="q"' in page and 'value=""' in page
    assert 'id="total"' not in page
    assert any(href.startswith("/?q=") for href, _ in links(page))  # example queries


def test_search_page(client):
    """By default the page shows one entry per measure (its best year), with the other matching years linked."""
    page = get(client, "/?q=コロナ")
    assert 'value="コロナ"' in page  # the query box stays filled
    assert total(page) == 5 and "（8 件の年度の記録）" in page  # 5 measures, 8 records
    assert page.count('<li class="hit">') == 5
    assert "<mark>新型コロナウイルス感染症</mark>" in page
    assert "健康づくりフォローアップ指導事業" in page
    assert "/measures/koganei/2-2-2#y2020" in page
    assert '該当する年度: <a href="/measures/koganei/2-2-2#y2020">令和2年度</a>・' in page
    said = unescape(re.search(r"<li>「コロナ」は (.*?) も含めて検索しました。", page).group(1))
    assert "新型コロナウイルス" in said and "COVID" in said
    by_year = get(client, link_to(page, "年度ごと"))
    assert total(by_year) == 8 and by_year.count('<li class="hit">') == 8 and "該当する年度" not in by_year


def test_switching_off_synonyms(client):
    page = get(client, "/?q=COVID")
    assert total(page) > 0
    off = link_to(page, "同義語をすべて使わない")
    assert params(off) == {"q": ["COVID"], "synonyms": ["off"]}
    page = get(client, off)
    assert total(page) == 0
    assert "同義語を使わずに検索しました" in page
    assert params(link_to(page, "同義語を使う")) == {"q": ["COVID"]}
    one = link_to(get(client, "/?q=COVID"), "この同義語を使わない")
    assert params(one)["nosyn"] == ["COVID"]
    assert total(get(client, one)) == 0


def test_facet_link_changes_the_count(client):
    page = get(client, "/?q=コロナ&group=record")
    href = link_to(page, "令和3年度", inside="facet-year")
    assert params(href) == {"q": ["コロナ"], "group": ["record"], "year": ["2021"]}
    filtered = get(client, href)
    assert total(filtered) == 3
    assert re.search(r'<li class="on"><a href="[^"]*">令和3年度</a> <span class="count">3</span>', filtered)
    # the active filter is shown, with a link that removes it
    assert '<section class="active">' in filtered
    remove = link_to(filtered, "年度: 令和3年度")
    assert params(remove) == {"q": ["コロナ"], "group": ["record"]}
    assert total(get(client, remove)) == 8


@pytest.mark.parametrize(("facet", "value", "count"), [
    ("department", "福祉保健部", 5), ("section", "健康課", 2), ("achievement", "達成・実施", 6), ("field", "評価", 7),
])
def test_other_facets(client, facet, value, count):
    href = link_to(get(client, "/?q=コロナ&group=record"), value, inside=f"facet-{facet}")
    assert total(get(client, href)) == count


def test_pagination(client):
    page = get(client, "/?q=相談&per_page=5&group=record")
    assert total(page) == 18
    assert page.count('<li class="hit">') == 5
    assert '<nav class="pager"' in page
    assert '<strong aria-current="page">1</strong>' in page
    nxt = link_to(page, "次へ")
    assert params(nxt) == {"q": ["相談"], "per_page": ["5"], "group": ["record"], "page": ["2"]}
    second = get(client, nxt)
    assert '<strong aria-current="page">2</strong>' in second
    assert '<ol class="hits" start="6">' in second
    assert params(link_to(second, "前へ"))["page"] == ["1"]
    last = get(client, link_to(page, "4", exact=True))
    assert last.count('<li class="hit">') == 3 and "次へ" not in last
    hits = set(re.findall(r'<h2><a href="(/measures/[^"]+)"', page))
    assert hits.isdisjoint(re.findall(r'<h2><a href="(/measures/[^"]+)"', second))


def test_a_page_past_the_end_links_to_the_last(client):
    past = get(client, "/?q=相談&per_page=5&page=9&group=record")
    assert total(past) == 18 and '<li class="hit">' not in past
    assert "9 ページ目に結果はありません（4 ページまで）。" in past
    last = get(client, link_to(past, "最後のページへ"))
    assert '<ol class="hits" start="16">' in last and last.count('<li class="hit">') == 3


def test_sort_links(client):
    page = get(client, "/?q=コロナ&group=record")
    assert "<strong>関連度順</strong>" in page
    by_page = link_to(page, "計画書ページ順")
    assert params(by_page)["sort"] == ["plan_page"]
    sorted_page = get(client, by_page)
    assert "<strong>計画書ページ順</strong>" in sorted_page
    printed = [int(n) for n in re.findall(r"計画書 P\.(\d+)", sorted_page)]
    assert printed == sorted(printed) and len(printed) == 8
    assert params(link_to(page, "年度順"))["sort"] == ["year"]


def test_filter_link_keeps_sort_and_drops_page(client):
    page = get(client, "/?q=相談&sort=year&per_page=5&page=2")
    href = link_to(page, "令和2年度", inside="facet-year")
    assert params(href) == {"q": ["相談"], "sort": ["year"], "per_page": ["5"], "year": ["2020"]}


def test_no_results_suggests_removing_a_filter(client):
    page = get(client, "/?q=コロナ&department=市民部")
    assert total(page) == 0
    assert "に一致する施策はありませんでした" in page
    assert params(link_to(page, "担当部署: 市民部」を外す")) == {"q": ["コロナ"]}


def test_no_results_suggests_removing_a_word(client):
    page = get(client, "/?q=相談+該当なしの語ぽぽぽ&group=record")
    assert total(page) == 0
    assert "に一致する施策はありませんでした" in page
    assert params(link_to(page, "「該当なしの語ぽぽぽ」を除いて検索")) == {"q": ["相談"], "group": ["record"]}
    assert total(get(client, link_to(page, "「該当なしの語ぽぽぽ」を除いて検索"))) == 18


def test_bad_parameter_on_the_page(client):
    page = get(client, "/?q=コロナ&year=abc", status=400)
    assert "検索できません" in page and "year" in page
    assert 'value="コロナ"' in page


def test_a_query_in_shift_jis_bytes_is_an_error_page(client):
    page = get(client, "/?q=%82%A2%82%B6%82%DF", status=400)  # いじめ in Shift_JIS, %-encoded
    assert "アドレスの文字が読めません（UTF-8 ではありません）" in page


# -- a result's 達成度 beside the year before's --------------------------------------------------------------------


def card_meta(page: str, measure_id: str, year: int) -> str:
    """The text of the meta line (town, year, 達成度, flags, plan page) of a measure's result card in a year, as it
    shows (without the words only screen readers read)."""
    [card] = [c for c in re.findall(r'<li class="hit">.*?</li>', page, re.S)
              if f'href="/measures/{measure_id}#y{year}"' in c]
    meta = re.search(r'<p class="meta">(.*?)</p>', card, re.S).group(1)
    meta = re.sub(r'<span class="visually-hidden">[^<]*</span>', "", meta)
    return " ".join(unescape(re.sub(r"<[^>]+>", "", meta)).split())


#: (query, measure, year, its card's meta line)
CARDS = [
    ("小口事業資金融資あっせん制度", "koganei/4-2-1", 2021,
     "koganei 令和3年度 達成度: 165件(融資実行件数)（前年度: 31件(融資実行件数)） 達成度↑ 計画書 P.50"),
    ("健康づくりフォローアップ指導事業", "koganei/2-2-2", 2021,
     "koganei 令和3年度 達成度: 実施（前年度: 縮小して実施） 達成度↑ 計画書 P.46"),
    ("青少年問題協議会", "koganei/1-2-1", 2021,
     "koganei 令和3年度 達成度: 実施（前年度: 100%） 比較できない 計画書 P.44"),
    ("若者コーナーの運営と活用", "koganei/1-2-4", 2021,
     "koganei 令和3年度 達成度: 100%（前年度: 1回実施(9/27)） 比較できない 計画書 P.44"),
    ("教育相談事業", "koganei/1-2-2", 2021,
     "koganei 令和3年度 達成度: 一部課題あり（前年度: 一部課題あり） 計画書 P.44"),
    ("住宅確保給付金", "koganei/3-1-1", 2021,
     "koganei 令和3年度 達成度: 100%（前年度: 100%） 前年度と同じ 計画書 P.47"),
    ("健康づくりフォローアップ指導事業", "koganei/2-2-2", 2020,  # the first year on record
     "koganei 令和2年度 達成度: 縮小して実施 計画書 P.46"),
]


@pytest.mark.parametrize(("q", "measure_id", "year", "expected"), CARDS)
def test_a_result_shows_its_achievement_beside_the_year_befores(client, q, measure_id, year, expected):
    assert card_meta(get(client, f"/?q={q}&field=title&group=record"), measure_id, year) == expected


# -- the measure page ---------------------------------------------------------------------------------------------


def test_measure_page_shows_both_years(client):
    page = get(client, "/measures/koganei/2-2-2")
    assert "<h1>健康づくりフォローアップ指導事業</h1>" in page
    y2020 = page.index('id="y2020"')
    y2021 = page.index('id="y2021"')
    assert y2020 < y2021
    assert "令和2年度" in page[y2020:y2021] and "令和3年度" in page[y2021:]
    assert "縮小して実施" in page[y2020:y2021]
    # what changed since 令和2年度 is marked; the first year has nothing to compare with
    assert "<ins>" not in page[y2020:y2021]
    assert "<ins>引き続き</ins>" in page[y2021:]
    assert "参加者<ins>13</ins>名" in page[y2021:]
    assert "前年度と同じ" in page[y2021:]  # 評価 was copied over
    assert "koganei_jisatsu_taisaku_r2_r3.tsv 19 行目" in page
    assert "計画書 P.46" in page and 'class="plan" href' not in page  # no plan document configured


@pytest.mark.parametrize(("measure_id", "flag", "previous", "reason"), [
    ("koganei/4-2-1", '<span class="flag up">達成度↑</span>', "31件(融資実行件数)", "どちらも件数です（31 → 165）"),
    ("koganei/1-2-1", '<span class="flag incomparable">比較できない</span>', "100%",
     "割合と達成の段階は比べられません"),
])
def test_measure_page_shows_the_year_before_and_why_they_compare(client, measure_id, flag, previous, reason):
    page = get(client, f"/measures/{measure_id}")
    y2020, y2021 = page[page.index('id="y2020"'):page.index('id="y2021"')], page[page.index('id="y2021"'):]
    assert flag in y2021
    assert f'<span class="previous">（前年度: {previous}）</span>' in y2021
    assert f'<span class="reason">{reason}（<a href="/stats#trend-rule">比べ方</a>）</span>' in y2021
    assert "前年度:" not in y2020 and 'class="flag' not in y2020  # the first year on record


def test_measure_links_to_its_json(client):
    page = get(client, "/measures/koganei/2-2-2")
    assert client.get(link_to(page, "JSON")).get_json()["measure_id"] == "koganei/2-2-2"


def test_unknown_measure_page(client):
    page = get(client, "/measures/koganei/9-9-9", status=404)
    assert '<html lang="ja">' in page
    assert '<section class="error">' in page and "koganei/9-9-9" in page


# -- overview, synonyms, errors -----------------------------------------------------------------------------------


def test_stats_page(client):
    page = get(client, "/stats")
    assert page.count("<svg ") == 3
    assert page.count('<table class="data">') == 3
    assert "50 件の記録" in page
    assert '<th scope="row">令和2年度</th>' in page and '<th scope="row">令和3年度</th>' in page
    assert '<th scope="row">重点施策1 子ども・若者に関する自殺対策の推進</th>' in page
    assert '<th scope="row">福祉保健部</th>' in page
    year_rows = re.findall(r'<tr><th scope="row">令和\d年度</th>.*?<td><a href="[^"]*">(\d+)</a></td></tr>', page)
    assert year_rows == ["25", "25"]
    assert re.search(r'<rect [^>]*class="c0"><title>令和2年度: 達成・実施 18 件</title></rect>', page)


#: The overview page's examples of the rule: (last year's 達成度, this year's, the trend's label)
RULE_EXAMPLES = [("80%", "100%", "達成度が上がった"), ("延べ120件", "延べ80件", "達成度が下がった"),
                 ("実施", "縮小して実施", "達成度が下がった"), ("一部課題あり", "達成", "達成度が上がった")]
#: and of what is 「比較できない」
INCOMPARABLE_EXAMPLES = [("延べ80人", "3回"), ("100%", "実施"), ("A", "B")]


def test_stats_page_explains_when_two_years_compare(client):
    page = get(client, "/stats")
    rule = page[page.index('<section id="trend-rule">'):]
    assert "<h2>達成度の推移の見かた</h2>" in rule and "「比較できない」" in rule
    for before, after, label in RULE_EXAMPLES:
        assert f"{before} → {after} は「{label}」" in rule
        assert VALUE_LABELS["trend"][compare(before, after).trend] == label
    for before, after in INCOMPARABLE_EXAMPLES:
        assert f"{before} → {after}" in rule
        assert compare(before, after).trend == "incomparable"


def test_each_overview_count_lists_exactly_its_records(client):
    """概要's counts link to the records they count: the page those links open has that many."""
    page = get(client, "/stats")
    cells = re.findall(r'<td><a href="([^"]+)" title="([^"]+)">(\d+)</a></td>', page)
    assert len(cells) >= 10
    for href, _, n in cells:
        assert total(get(client, unescape(href))) == int(n), href
    reduced = next(href for href, title, _ in cells if title == "令和2年度・縮小・中止の記録を一覧")
    assert params(unescape(reduced)) == {"year": ["2020"], "group": ["record"], "achievement": ["縮小・中止"]}


def test_dictionary_page(client):
    page = get(client, "/synonyms")
    assert "<h1>辞書</h1>" in page and "synonyms.txt" not in page and "concepts.txt" not in page
    assert "COVID" in page and "新型コロナウイルス" in page
    assert page.count("<tr>") > 300  # the synonyms and the concepts
    assert '<a href="/?q=%E5%A4%9A%E9%87%8D%E5%82%B5%E5%8B%99">多重債務</a>' in page  # each word links its search
    assert "互いに同じ語として探します" in page and "語を足したいとき" in page
    assert 'value="多重債務"' in get(client, link_to(page, "多重債務", exact=True))  # the word's search
    narrow = get(client, "/synonyms?q=借金")
    assert "「借金」を含む項目" in narrow
    rows = re.findall(r"<tr>(.*?)</tr>", narrow.split("<tbody>", 1)[1], re.S)
    assert rows and all("借金" in unescape(re.sub(r"<[^>]+>", "", row)) for row in rows if "<td>" in row)
    assert narrow.count("<tr>") < page.count("<tr>")


@pytest.mark.parametrize("url", ["/nothing", "/measures", "/plans/koganei.pdf", "/plans/other.pdf"])
def test_not_found_page(client, url):
    page = get(client, url, status=404)
    assert '<html lang="ja">' in page
    assert "ページが見つかりません" in page
    assert '<section class="error">' in page
    assert 'href="/"' in page


def test_post_to_a_page_is_an_html_error(client):
    response = client.post("/?q=コロナ")
    assert response.status_code == 405 and response.mimetype == "text/html"


# -- the plan-page link -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pdf_client(tmp_path_factory):
    """plansearch.toml names plan.pdf beside the table, with page_offset = 4."""
    return plan_app(tmp_path_factory, "pdf", plan_pdf=True).test_client()


@pytest.fixture(scope="module")
def url_client(tmp_path_factory):
    """plansearch.toml names only a plan URL."""
    return plan_app(tmp_path_factory, "url", plan_url=PLAN_URL).test_client()


def test_minimal_pdf_is_well_formed():
    pdf = minimal_pdf(3)
    assert pdf.startswith(b"%PDF-1.4\n") and pdf.endswith(b"%%EOF\n")
    xref = int(re.search(rb"startxref\n(\d+)\n", pdf).group(1))
    assert pdf[xref:].startswith(b"xref\n0 6\n")
    offsets = [int(o) for o in re.findall(rb"(\d{10}) 00000 n ", pdf[xref:])]
    assert [pdf[o:].split(b"\n")[0] for o in offsets] == [f"{n} 0 obj".encode() for n in range(1, 6)]


def test_hit_links_to_the_served_pdf_page(pdf_client):
    hit = pdf_client.get("/api/search?q=スクールカウンセラー").get_json()["results"][0]
    assert (hit["measure_id"], hit["plan_page"]) == (P43_MEASURE, 43)
    assert hit["plan_url"] == f"/plans/koganei.pdf#page={43 + PAGE_OFFSET}" == "/plans/koganei.pdf#page=47"
    page = get(pdf_client, "/?q=スクールカウンセラー")
    assert link_to(page, "計画書 P.43").startswith("/plans/koganei.pdf#page=47")
    measure = get(pdf_client, f"/measures/{P43_MEASURE}")
    assert link_to(measure, "計画書 P.43") == "/plans/koganei.pdf#page=47"
    assert pdf_client.get(f"/api/measures/{P43_MEASURE}").get_json()["plan_url"] == "/plans/koganei.pdf#page=47"


def test_plan_pdf_is_served(pdf_client):
    response = pdf_client.get("/plans/koganei.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data == minimal_pdf()
    response.close()
    assert pdf_client.get("/plans/other.pdf").status_code == 404


def test_export_carries_the_plan_link(pdf_client):
    body = pdf_client.get("/export.json?q=スクールカウンセラー").get_json()
    assert {r["plan_url"] for r in body["records"]} == {"/plans/koganei.pdf#page=47"}


def test_hit_links_to_the_plan_url(url_client):
    hit = url_client.get("/api/search?q=スクールカウンセラー").get_json()["results"][0]
    assert hit["plan_url"] == f"{PLAN_URL}#page=47"
    assert link_to(get(url_client, "/?q=スクールカウンセラー"), "計画書 P.43") == f"{PLAN_URL}#page=47"
    assert link_to(get(url_client, f"/measures/{P43_MEASURE}"), "計画書 P.43") == f"{PLAN_URL}#page=47"
    assert url_client.get("/plans/koganei.pdf").status_code == 404


def test_without_a_plan_document_the_page_is_plain_text(client):
    assert client.get("/api/search?q=スクールカウンセラー").get_json()["results"][0]["plan_url"] is None
    page = get(client, "/?q=スクールカウンセラー")
    assert '<span class="plan">計画書 P.43</span>' in page
    assert not [href for href, text in links(page) if "計画書 P." in text]


def test_a_measure_without_a_title_is_named_and_linked(tmp_path_factory, bundled_path):
    from search_app.web import create_app

    data = tmp_path_factory.mktemp("untitled-data")
    lines = bundled_path.read_text(encoding="utf-8").split("\n")
    cells = lines[5].split("\t")
    assert cells[1] == "2 教員向け研修の充実"
    cells[1] = ""
    lines[5] = "\t".join(cells)
    (data / bundled_path.name).write_text("\n".join(lines), encoding="utf-8")
    client = create_app({"DATA_DIR": str(data), "INDEX_DIR": str(tmp_path_factory.mktemp("untitled-index")),
                         "TESTING": True}).test_client()
    hit = client.get("/api/search", query_string={"q": "長期休業前", "year": 2021}).get_json()["results"][0]
    assert (hit["measure_id"], hit["title"]) == ("koganei/1-1-x1", "")
    page = client.get("/", query_string={"q": "長期休業前", "year": 2021}).get_data(as_text=True)
    assert '<a href="/measures/koganei/1-1-x1#y2021">（実施内容なし）</a>' in page
    measure = client.get("/measures/koganei/1-1-x1").get_data(as_text=True)
    assert "<h1>（実施内容なし）</h1>" in measure


def test_a_column_the_reader_does_not_know_is_kept_shown_and_searched(tmp_path_factory, bundled_path):
    from indexer import read_table
    from search_app.web import create_app

    data = tmp_path_factory.mktemp("extra-data")
    lines = bundled_path.read_text(encoding="utf-8").split("\n")
    lines[2] += "\t備考"
    assert lines[5].split("\t")[1] == "2 教員向け研修の充実"
    lines[5] += "\tスクールロイヤーと連携 <script>alert(1)</script>"
    path = data / bundled_path.name
    path.write_text("\n".join(lines), encoding="utf-8")

    dataset = read_table(path)
    assert (f"{path.name}:3: column 15 「備考」 is not a column plansearch knows; its cells are kept with each "
            "measure (shown on its page, searched with its policy and section)") in [str(w) for w in dataset.warnings]
    measure = next(m for m in dataset.measures if m.measure_id == "koganei/1-1-2")
    assert measure.extra == (("備考", "スクールロイヤーと連携 <script>alert(1)</script>"),)

    client = create_app({"DATA_DIR": str(data), "INDEX_DIR": str(tmp_path_factory.mktemp("extra-index")),
                         "TESTING": True}).test_client()
    body = client.get("/api/search", query_string={"q": "スクールロイヤー"}).get_json()
    assert [(h["measure_id"], h["year"]) for h in body["results"]] == [("koganei/1-1-2", 2020), ("koganei/1-1-2", 2021)]
    assert body["results"][0]["highlights"] == {
        "extra": "備考: <mark>スクールロイヤー</mark>と連携 &lt;script&gt;alert(1)&lt;/script&gt;"}
    # A match in the policy or section is no reason to show the extra cells.
    assert "extra" not in client.get("/api/search", query_string={"q": "教員向け研修"}).get_json()["results"][0][
        "highlights"]
    api = client.get("/api/measures/koganei/1-1-2").get_json()
    assert api["extra"] == [{"column": "備考", "text": "スクールロイヤーと連携 <script>alert(1)</script>"}]
    assert client.get("/api/measures/koganei/1-1-3").get_json()["extra"] == []
    page = client.get("/measures/koganei/1-1-2").get_data(as_text=True)
    assert '<dt>備考</dt><dd class="extra">スクールロイヤーと連携 &lt;script&gt;alert(1)&lt;/script&gt;</dd>' in page
    results = client.get("/", query_string={"q": "スクールロイヤー"}).get_data(as_text=True)
    assert "<dt>その他の列</dt><dd>備考: <mark>スクールロイヤー</mark>と連携 &lt;script&gt;" in results
    assert "<script>alert" not in page + results
    exported = client.get("/export.csv", query_string={"q": "スクールロイヤー"}).get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(exported, newline="")))
    assert rows[0][-2:] == ["その他の列", "施策ID"]
    assert [row[-2] for row in rows[1:]] == ["備考: スクールロイヤーと連携 <script>alert(1)</script>"] * 2
    exported = client.get("/export.json", query_string={"q": "スクールロイヤー"}).get_json()
    assert exported["records"][0]["extra"] == api["extra"]


# -- browsing, readings, separators ---------------------------------------------------------------------------------


def test_browsing_without_a_query_lists_measures_in_plan_order(client):
    home = get(client, "/")
    page = get(client, link_to(home, "すべての施策を一覧で見る"))
    assert total(page) == 25 and "（50 件の年度の記録）" in page
    printed = [int(n) for n in re.findall(r"計画書 P\.(\d+)", page)]
    assert printed == sorted(printed)
    # a filter alone browses too; a value the results lack is offered greyed with 0, not left out
    fell = get(client, "/?year=2021&trend=down")
    assert "この絞り込みの条件に当てはまる施策はありません。" in fell and "一致する施策" not in fell
    assert re.search(r'<li class="none">達成度が上がった <span class="count">0</span></li>', fell)
    reduced = get(client, "/?year=2020&achievement=縮小・中止")
    assert total(reduced) == 1
    assert re.search(r'<li class="none">一部課題あり <span class="count">0</span></li>', reduced)


def test_a_short_sentence_is_read_as_its_concept_and_can_be_taken_literally(client):
    page = get(client, "/?q=眠れない")
    assert "「眠れない」を「睡眠障害」として検索しました。" in page
    literal = link_to(page, "言い換えずに入力どおり検索")
    assert params(literal) == {"q": ["眠れない"], "concepts": ["off"]}
    page = get(client, literal)
    assert "として検索しました" not in page and "言い換えを使わずに検索しました。" in page


@pytest.mark.parametrize("q", ["いじめ、SOSの出し方", "いじめ・SOSの出し方", "いじめ／SOSの出し方",
                               "いじめ　SOSの出し方"])
def test_japanese_separators_separate_words(client, q):
    assert total(get(client, "/?group=record&q=" + q)) == total(get(client, "/?group=record&q=いじめ SOSの出し方")) == 4
