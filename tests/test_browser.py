"""The site in a real browser: Debian's Chromium driven by Playwright on 127.0.0.1.

Search, facets, a measure's years, the plan PDF link and the CSV download, as a person would use them.
The search page's screenshot is saved to tests/artifacts/search.png (not committed).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from browser_tools import ARTIFACTS, CHROMIUM, serving
from web_tools import P43_MEASURE, plan_app, today_in_japan

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    """An HTTP server over the bundled table with a plan PDF, on a free port."""
    yield from serving(plan_app(tmp_path_factory, "browser", plan_pdf=True))


def total(page) -> int:
    return int(page.locator("#total").inner_text())


def test_search_facet_and_screenshot(page):
    page.goto("/")
    page.fill("#q", "コロナ")
    page.press("#q", "Enter")
    page.wait_for_selector("#total")
    assert page.input_value("#q") == "コロナ"
    before = total(page)
    assert before == 5  # measures, each with its matching years (8 records)
    assert page.locator(".hit .years a").count() == 8
    assert page.locator(".hits mark").count() > 0
    assert "新型コロナウイルス" in page.locator(".hits mark").first.inner_text()
    # the sort choices sit together (not spread over the width of the results)
    first = page.locator(".tools strong", has_text="関連度順").bounding_box()
    last = page.locator(".tools a", has_text="年度順").bounding_box()
    assert abs(last["y"] - first["y"]) < 5 and last["x"] - (first["x"] + first["width"]) < 250
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "search.png"), full_page=False)

    page.locator("#facet-year a", has_text="令和3年度").click()
    page.wait_for_url("**year=2021**")
    assert total(page) == 3 != before
    assert page.locator(".facets .active a", has_text="令和3年度").count() == 1
    assert page.locator(".hit .yearlabel").all_inner_texts() == ["令和3年度"] * 3
    page.locator(".tools .group a", has_text="年度ごと").click()
    page.wait_for_url("**group=record**")
    assert total(page) == 3 and page.locator(".hit .years").count() == 0


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_a_result_shows_the_year_befores_achievement(page, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/?q=小口事業資金融資あっせん制度&group=record")
    page.wait_for_selector("#total")
    card = page.locator(".hit", has=page.locator('a[href="/measures/koganei/4-2-1#y2021"]'))
    achievement = card.locator(".achievement")
    assert achievement.inner_text() == "達成度: 165件(融資実行件数)（前年度: 31件(融資実行件数)）"
    assert card.locator(".flag").inner_text() == "達成度↑"
    previous = card.locator(".previous").bounding_box()
    badge = card.locator(".badge").bounding_box()
    assert previous["x"] >= 0 and previous["x"] + previous["width"] <= width  # on screen, not cut off
    assert previous["y"] < badge["y"] + 2 * badge["height"]  # beside this year's value, or just below it
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scrolling
    first_year = page.locator(".hit", has=page.locator('a[href="/measures/koganei/4-2-1#y2020"]'))
    assert first_year.locator(".previous").count() == 0 and first_year.locator(".flag").count() == 0
    ARTIFACTS.mkdir(exist_ok=True)
    card.screenshot(path=str(ARTIFACTS / f"previous-achievement-{width}.png"))


def test_search_box_submit_button(page):
    page.goto("/")
    page.fill("#q", "スクールカウンセラー")
    page.click(".searchbox button[type=submit]")
    page.wait_for_selector("#total")
    assert total(page) == 1  # one measure, in two years
    assert page.locator(".hit .years a").all_inner_texts() == ["令和2年度", "令和3年度"]


def test_measure_page_and_its_plan_pdf(page):
    page.goto("/?q=スクールカウンセラー")
    page.locator(".hit h2 a").first.click()
    page.wait_for_url(f"**/measures/{P43_MEASURE}**")
    assert page.locator("section#y2020 h2").inner_text().startswith("令和2年度")
    assert page.locator("section#y2021 h2").inner_text().startswith("令和3年度")
    assert page.locator("section.year").count() == 2
    link = page.locator("a.plan")
    assert link.get_attribute("href") == "/plans/koganei.pdf#page=47"
    with page.expect_response(lambda r: "/plans/koganei.pdf" in r.url) as response:
        try:
            link.click()
        except Exception as exc:  # headless Chromium may turn a PDF into a download instead of showing it
            if "download" not in str(exc).lower():
                raise
    assert response.value.status == 200
    assert response.value.headers["content-type"] == "application/pdf"
    assert page.url.endswith("/plans/koganei.pdf#page=47")
    assert page.request.get("/plans/koganei.pdf").body().startswith(b"%PDF-1.4")


def test_csv_download(page, tmp_path):
    """The CSV link of a filtered search: a file named for the search, Japanese headers, the plan link whole."""
    page.goto("/?q=いじめ")
    page.locator("#facet-year a", has_text="令和3年度").click()
    page.wait_for_url("**year=2021**")
    with page.expect_download() as download:
        page.locator(".export a", has_text="CSV").click()
    name = download.value.suggested_filename
    assert name in {f"いじめ_令和3年度_{day}.csv" for day in today_in_japan()}
    path = tmp_path / name
    download.value.save_as(path)
    data = path.read_bytes()
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["施策番号", "自治体", "重点施策", "項目", "実施内容", "年度", "実施状況", "評価", "達成度",
                       "今後の実施計画", "計画書ページ", "担当部署", "担当課", "前年度からの変更", "達成度の推移",
                       "前年度の達成度", "該当する年度", "計画書へのリンク", "施策ID"]
    assert len(rows) - 1 == total(page) == 2  # a row per measure, as the page shows them
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["年度"] == first["該当する年度"] == "令和3年度"
    assert first["計画書へのリンク"].startswith(page.url.split("/?")[0] + "/plans/")
