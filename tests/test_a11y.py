"""Accessibility (WCAG 2.2 AA) in a real browser: axe-core on every main page at a desktop and a 390 px phone width,
and what axe cannot see: the skip link, one h1 and a heading order, landmarks, the results before the filters on a
narrow screen (the filters in a panel that opens), a visible focus on every control, the achievement colours.

axe-core comes inside the axe-playwright-python package (its own axe.min.js, injected into the page): nothing is
fetched. The site serves the bundled table of 小金井市 and the five fictional cities of ``tests/data/cities``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from browser_tools import CHROMIUM, serving
from web_tools import six_towns_data_dir

from search_app.web.charts import CATEGORY_CLASS

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")

#: The rules axe runs: every WCAG 2.0, 2.1 and 2.2 rule of levels A and AA, and its best practices (one h1, a
#: heading order, landmarks that can be told apart, all content inside a landmark).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa", "best-practice"]
WIDTHS = {"desktop": 1280, "phone": 390}

#: (name, address): the main pages in the states a person meets them.
PAGES = [
    ("home", "/"),
    ("results", "/?q=いじめ"),
    ("results-filtered", "/?q=いじめ&municipality=小金井市&year=2021"),
    ("results-by-record", "/?q=ヤングケアラー&group=record&per_page=5"),
    ("no-results", "/?q=存在しない語句ぞぞぞ"),
    ("browse", "/?browse=1"),
    ("measure", "/measures/koganei/1-1-4"),
    ("measure-other-city", "/measures/kou/1-2-3"),
    ("stats", "/stats"),
    ("datasets", "/datasets"),
    ("synonyms", "/synonyms"),
    ("synonyms-search", "/synonyms?q=借金"),
    ("not-found", "/measures/koganei/9-9-9"),
    ("bad-query", "/?q=%82%A2%82%B6%82%DF"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    from search_app.web import create_app

    data = six_towns_data_dir(tmp_path_factory.mktemp("a11y-data"))
    app = create_app({"DATA_DIR": str(data), "INDEX_DIR": str(tmp_path_factory.mktemp("a11y-index")),
                      "TESTING": True})
    yield from serving(app)


@pytest.fixture()
def page(browser, server):
    """A tab on the site, as conftest's ``page`` (nothing from outside, no console error), except that an error
    page's own status (404, 400) is no error here: those pages are tested on purpose."""
    from browser_tools import TIMEOUT_MS

    context = browser.new_context(base_url=server, locale="ja-JP", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    external: list[str] = []

    def only_this_site(route) -> None:
        if route.request.url.startswith(("http:", "https:")) and not route.request.url.startswith(server):
            external.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    context.route("**/*", only_this_site)
    tab = context.new_page()
    errors: list[str] = []

    def on_console(msg) -> None:
        own_status = msg.text.startswith("Failed to load resource") and msg.location.get("url") == tab.url
        if msg.type == "error" and not own_status:
            errors.append(msg.text)

    tab.on("console", on_console)
    yield tab
    context.close()
    assert external == [], "the page asked for something outside the site"
    assert errors == [], "console errors (a CSP violation shows here)"


@pytest.fixture(scope="module")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def violations(axe, page, context: str | None = None, rules: list[str] | None = None) -> list[dict]:
    only = {"type": "rule", "values": rules} if rules else {"type": "tag", "values": AXE_TAGS}
    results = axe.run(page, context=context, options={"runOnly": only, "resultTypes": ["violations"]})
    return results.response["violations"]


def report(found: list[dict]) -> str:
    """Each violation's id and impact, then each node: its selector, its HTML and what axe says is wrong."""
    lines = []
    for v in found:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} — {len(v['nodes'])} node(s)")
        for node in v["nodes"][:10]:
            messages = "; ".join(c["message"] for c in node.get("any", []) + node.get("all", []) + node.get("none", []))
            lines.append(f"    {', '.join(map(str, node['target']))}: {node['html'][:160]}\n        {messages}")
    return "\n".join(lines)


def visit(page, url: str, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    response = page.goto(url)
    assert response is not None and response.status in (200, 400, 404), url


#: Each page at each width, but the whole dictionary (350 rows: 10 s for axe) at the desktop width only; on a phone,
#: a search of it.
AXE_CASES = [pytest.param(url, width, id=f"{name}-{wname}") for name, url in PAGES for wname, width in WIDTHS.items()
             if not (name == "synonyms" and wname == "phone")]


@pytest.mark.parametrize(("url", "width"), AXE_CASES)
def test_axe_finds_nothing(page, axe, url, width):
    visit(page, url, width)
    found = violations(axe, page)
    assert not found, f"axe-core on {url} at {width} px:\n{report(found)}"
    # reflow: nothing wider than the screen but the tables and charts in their own scrolling boxes
    assert page.evaluate("document.documentElement.scrollWidth") <= width, url


def test_axe_finds_nothing_in_the_open_filter_panel_on_a_phone(page, axe):
    visit(page, "/?q=いじめ&year=2021", WIDTHS["phone"])
    page.locator(".facet-panel > summary").click()
    assert page.locator("#facet-municipality a").first.is_visible()
    found = violations(axe, page)
    assert not found, report(found)


def test_every_achievement_colour_reads_at_4_5_to_1(page, axe):
    """A badge of each category (some, like その他, on no page of the test data) and its chart colour (3:1 against
    the white between bars is enough for a shape)."""
    visit(page, "/?q=いじめ", WIDTHS["desktop"])
    page.evaluate("""classes => {
        const meta = document.querySelector('.hit .meta');
        for (const [name, cls] of Object.entries(classes)) {
            const badge = document.createElement('span');
            badge.className = 'badge probe ' + cls;
            badge.textContent = name;
            meta.append(badge);
            const swatch = document.createElement('span');
            swatch.className = 'swatch probe ' + cls;
            meta.append(swatch);
        }
    }""", CATEGORY_CLASS)
    assert page.locator(".badge.probe").count() == len(CATEGORY_CLASS) == 6
    found = violations(axe, page, context=".meta", rules=["color-contrast"])
    assert not found, report(found)
    for cls in CATEGORY_CLASS.values():
        colour = page.locator(f".swatch.probe.{cls}").evaluate("e => getComputedStyle(e).backgroundColor")
        assert contrast(colour, "rgb(255, 255, 255)") >= 3, (cls, colour)


def contrast(a: str, b: str) -> float:
    """The WCAG contrast ratio of two CSS ``rgb(r, g, b)`` colours."""
    def luminance(colour: str) -> float:
        channels = [int(c) / 255 for c in re.findall(r"\d+", colour)[:3]]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_a_results_category_is_said_not_only_shown_in_colour(page):
    visit(page, "/?q=いじめ&municipality=甲市&group=record", WIDTHS["desktop"])
    card = page.locator(".hit", has=page.locator(".badge.c2")).first
    assert card.locator(".visually-hidden").inner_text() == "（達成度の区分: 一部課題あり）"
    assert card.locator(".badge").get_attribute("title") == "達成度: 一部課題あり"


# -- what axe cannot see ---------------------------------------------------------------------------------------


def focused(page) -> dict:
    return page.evaluate("""() => {
        const e = document.activeElement, box = e.getBoundingClientRect(), style = getComputedStyle(e);
        return {tag: e.tagName, text: e.innerText, href: e.getAttribute('href'), id: e.id,
                top: box.top, left: box.left, width: box.width, height: box.height,
                outline: style.outlineStyle, outlineWidth: parseFloat(style.outlineWidth),
                outlineColor: style.outlineColor};
    }""")


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
@pytest.mark.parametrize(("url", "label", "target"), [
    ("/?q=いじめ", "検索結果へ移動", "results"),
    ("/?q=いじめ 存在しない語句ぞぞぞ", "検索結果へ移動", "results"),  # its links to search without a word
    ("/", "本文へ移動", "main"),
    ("/measures/koganei/1-1-4", "本文へ移動", "main"),
    ("/stats", "本文へ移動", "main"),
], ids=["results", "no-results", "home", "measure", "stats"])
def test_the_skip_link_comes_first_and_shows_when_focused(page, url, label, target, width):
    visit(page, url, width)
    skip = page.locator("a.skip")
    assert not skip.is_visible() or skip.bounding_box()["y"] + skip.bounding_box()["height"] <= 0  # off screen
    if url == "/":  # the home page is a search box, which has the focus; the skip link is the stop before the rest
        assert focused(page)["id"] == "q"
        for _ in range(10):
            page.keyboard.press("Shift+Tab")
            if focused(page)["href"] == "#main":
                break
    else:
        page.keyboard.press("Tab")
    first = focused(page)
    assert first["text"] == label and first["href"] == f"#{target}"
    assert first["top"] >= 0 and first["left"] >= 0 and first["width"] > 0 and first["height"] >= 24  # on screen
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == f"#{target}" and focused(page)["id"] == target
    page.keyboard.press("Tab")  # the next stop is inside the target (for results, past the search box)
    assert page.evaluate(f"document.getElementById('{target}').contains(document.activeElement)")


#: The pages whose every keyboard stop is checked for a visible focus.
FOCUS_PAGES = ["/?q=いじめ", "/measures/koganei/1-1-4", "/stats", "/synonyms?q=借金", "/datasets"]


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
@pytest.mark.parametrize("url", FOCUS_PAGES)
def test_every_keyboard_stop_shows_its_focus(page, url, width):
    visit(page, url, width)
    if width < 721 and page.locator(".facet-panel").count():
        page.locator(".facet-panel > summary").click()  # its links are stops too
        page.locator("#q").focus()
        page.evaluate("document.activeElement.blur(); window.scrollTo(0, 0)")
    stops, seen = 0, set()
    for _ in range(600):
        page.keyboard.press("Tab")
        now = focused(page)
        if now["tag"] == "BODY":
            break
        key = page.evaluate("""() => { const e = document.activeElement;
            return e.outerHTML.slice(0, 200) + '@' + [...document.querySelectorAll('*')].indexOf(e); }""")
        if key in seen:
            break
        seen.add(key)
        stops += 1
        where = f"{url} at {width} px, stop {stops}: {key[:120]}"
        assert now["width"] > 0 and now["height"] > 0, f"focus on something not shown: {where}"
        assert now["outline"] != "none" and now["outlineWidth"] >= 2, f"no visible focus: {where} {now}"
        assert contrast(now["outlineColor"], "rgb(255, 255, 255)") >= 3, f"a faint focus ring: {where} {now}"
    assert stops > 10


@pytest.mark.parametrize(("url", "h1"), [
    ("/", "自治体の計画の進捗評価を検索"),
    ("/?q=いじめ", "「いじめ」の検索結果"),
    ("/?browse=1", "施策の一覧"),
    ("/measures/koganei/1-1-4", "いじめ防止対策"),
    ("/stats", "概要 317 件の記録"),
    ("/datasets", "データ 6 件の計画"),
    ("/synonyms", "辞書"),
    ("/measures/koganei/9-9-9", "ページが見つかりません (404)"),
])
def test_one_h1_and_headings_in_order(page, url, h1):
    visit(page, url, WIDTHS["desktop"])
    levels = page.evaluate("[...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].map(h => +h.tagName[1])")
    assert page.locator("h1").all_inner_texts() == [h1] or page.locator("h1").all_text_contents() == [h1]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False)), levels  # no level skipped going down


def test_landmarks_and_labels(page):
    visit(page, "/?q=いじめ", WIDTHS["desktop"])
    assert page.get_by_role("banner").count() == 1 and page.get_by_role("main").count() == 1
    assert page.get_by_role("contentinfo").count() == 1
    site = page.get_by_role("navigation", name="サイト内のページ")
    assert site.get_by_role("link").all_inner_texts() == ["検索", "概要", "データ", "辞書"]
    assert site.locator("[aria-current=page]").inner_text() == "検索"
    assert page.get_by_role("complementary", name="絞り込み").count() == 1
    assert page.get_by_role("region", name="検索結果").count() == 1
    assert page.get_by_role("search").get_by_role("searchbox", name="検索語").input_value() == "いじめ"
    page.goto("/synonyms")
    assert page.get_by_role("searchbox", name="辞書の中を探す").count() == 1
    assert page.get_by_role("navigation").locator("[aria-current=page]").inner_text() == "辞書"


def test_the_charts_are_named_and_their_tables_say_the_same(page):
    visit(page, "/stats", WIDTHS["desktop"])
    charts = page.locator("figure.chart svg")
    assert charts.count() == 3
    for name in ("年度別の達成度(件数)", "重点施策別の達成度(件数)", "担当部署別の達成度(件数)"):
        chart = page.get_by_role("img", name=name, exact=True)
        assert chart.count() == 1
        table = page.get_by_role("table", name=f"{name}の表")
        assert table.count() == 1
        assert table.locator("thead th[scope=col]").count() == 8  # the heading, six categories, 計
        assert table.locator("tbody th[scope=row]").count() == table.locator("tbody tr").count()
    # a value no table gave (an empty 重点施策) is said so, not left as an empty header
    assert page.locator("tbody th:empty").count() == 0


def test_on_a_phone_the_results_come_before_the_filters_which_open(page):
    visit(page, "/?q=いじめ", WIDTHS["phone"])
    results, towns, filters = (page.locator(s).bounding_box() for s in (".results", "#towns", ".facets"))
    assert results["y"] < towns["y"] < filters["y"]
    assert page.evaluate("""() => {
        const r = document.querySelector('.results'), f = document.querySelector('.facets');
        return !!(r.compareDocumentPosition(f) & Node.DOCUMENT_POSITION_FOLLOWING); }""")
    year = page.locator("#facet-year a", has_text="令和3年度")
    assert not year.is_visible()
    summary = page.locator(".facet-panel > summary")
    assert summary.is_visible() and summary.inner_text().startswith("絞り込みの条件を選ぶ")
    summary.click()
    year.click()
    page.wait_for_url("**year=2021**")
    assert page.locator(".facets .active a", has_text="令和3年度").is_visible()  # what is chosen shows, closed
    assert not page.locator("#facet-year a").first.is_visible()


def test_on_a_desktop_the_filters_stand_left_of_the_results_and_always_open(page):
    visit(page, "/?q=いじめ", WIDTHS["desktop"])
    results, filters = page.locator(".results").bounding_box(), page.locator(".facets").bounding_box()
    assert filters["x"] + filters["width"] <= results["x"] and abs(filters["y"] - results["y"]) < 40
    assert not page.locator(".facet-panel > summary").is_visible()
    assert page.locator("#facet-year a", has_text="令和3年度").is_visible()
    towns = page.locator("#towns").bounding_box()
    assert towns["y"] + towns["height"] <= results["y"]  # the counts by town and year above, as before
