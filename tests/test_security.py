"""Security: headers on every response, no external sources, and whatever a client or a table sends is escaped."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from table_tools import BUNDLED
from web_tools import PLAN_URL, csp_directives, external_urls, page_urls, plan_app

URLS = [
    ("GET", "/"), ("GET", "/?q=コロナ"), ("GET", "/?q=コロナ&year=abc"), ("GET", "/measures/koganei/2-2-2"),
    ("GET", "/measures/nothing"), ("GET", "/stats"), ("GET", "/synonyms"), ("GET", "/nothing"),
    ("GET", "/static/style.css"), ("GET", "/api/search?q=コロナ"), ("GET", "/api/search"), ("GET", "/api/nothing"),
    ("GET", "/api/measures/koganei/2-2-2"), ("GET", "/api/stats"), ("GET", "/healthz"), ("GET", "/api/openapi.json"),
    ("GET", "/export.csv?q=コロナ"), ("GET", "/export.json?q=コロナ"), ("POST", "/api/search?q=コロナ"),
    ("POST", "/"),
]
PAGES = ["/", "/?q=コロナ", "/?q=相談&per_page=5", "/?q=コロナ&department=市民部", "/?q=コロナ&year=abc",
         "/measures/koganei/2-2-2", "/stats", "/synonyms", "/nothing"]
PAYLOADS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "'><svg onload=alert(1)>",
            "</textarea><script>alert(1)</script>", "javascript:alert(1)"]


@pytest.mark.parametrize(("method", "url"), URLS, ids=[f"{m} {u}" for m, u in URLS])
def test_security_headers_on_every_response(client, method, url):
    with client.open(url, method=method) as response:
        headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] in ("same-origin", "no-referrer", "strict-origin-when-cross-origin")
    csp = headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    directives = csp_directives(csp)
    assert directives["default-src"] == ["'self'"]
    for name in ("script-src", "style-src"):
        assert directives.get(name, directives["default-src"]) == ["'self'"], name
    assert directives["object-src"] == ["'none'"]
    for name, sources in directives.items():
        for source in sources:  # no external source of any kind: only the site itself, or inline images
            assert source in ("'self'", "'none'", "data:"), f"{name} {source}"


def test_plan_pdf_has_the_headers_too(tmp_path_factory):
    client = plan_app(tmp_path_factory, "headers", plan_pdf=True).test_client()
    response = client.get("/plans/koganei.pdf")
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" in response.headers
    response.close()


@pytest.mark.parametrize("url", PAGES)
def test_pages_use_no_external_url_script_or_inline_style(client, url):
    page = client.get(url).get_data(as_text=True)
    assert external_urls(page) == []
    assert "<script" not in page.lower()
    assert not re.search(r"<[^>]+\sstyle=", page)  # the CSP would block it
    assert not re.search(r"<[^>]+\son\w+=", page)
    for _, _, value in page_urls(page):
        assert not value.lower().lstrip().startswith(("javascript:", "data:"))


def test_only_the_configured_plan_url_leaves_the_site(tmp_path_factory):
    client = plan_app(tmp_path_factory, "external", plan_url=PLAN_URL).test_client()
    for url in ("/?q=スクールカウンセラー", "/measures/koganei/1-1-3"):
        urls = external_urls(client.get(url).get_data(as_text=True))
        assert urls and all(u == f"{PLAN_URL}#page=47" for u in urls)


# -- escaping -----------------------------------------------------------------------------------------------------


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)


def tags(page: str) -> tuple[set[str], set[str]]:
    parser = _Tags()
    parser.feed(page)
    return parser.tags, parser.attributes


def assert_inert(page: str) -> None:
    """Anything injected is only text: no script, image or frame tag, no event-handler attribute."""
    found, attributes = tags(page)
    assert not found & {"script", "img", "iframe", "textarea", "object", "embed"}, found
    assert not {a for a in attributes if a.startswith("on")}, attributes
    assert "<script>alert(1)</script>" not in page
    assert "<img src=x" not in page and "<svg onload" not in page


@pytest.mark.parametrize("payload", PAYLOADS)
def test_query_is_escaped_everywhere_on_the_search_page(client, payload):
    response = client.get("/", query_string={"q": f"コロナ {payload}"})
    page = response.get_data(as_text=True)
    assert response.status_code in (200, 400)
    assert_inert(page)
    if "<" in payload:
        assert "&lt;" in page
    assert "javascript:" not in " ".join(v for _, _, v in page_urls(page) if not v.startswith("/"))


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("name", ["policy", "section", "year", "sort", "field", "nosyn", "per_page"])
def test_parameters_are_escaped_in_facet_and_filter_links(client, payload, name):
    response = client.get("/", query_string={"q": "コロナ", name: payload})
    page = response.get_data(as_text=True)
    assert response.status_code in (200, 400)
    assert_inert(page)
    for tag, _, value in page_urls(page):
        if tag == "a" and value.startswith("/?"):
            args = parse_qs(urlsplit(value).query)
            if name in args:  # the payload travels in links only as a parameter value, intact
                assert payload in args[name]


@pytest.mark.parametrize("url", ['/measures/<script>alert(1)</script>', '/"><img src=x onerror=alert(1)>',
                                 "/plans/<script>.pdf"])
def test_paths_are_escaped_on_error_pages(client, url):
    page = client.get(url).get_data(as_text=True)
    assert_inert(page)


def test_query_is_escaped_in_json(client):
    body = client.get("/api/search", query_string={"q": "<script>alert(1)</script>"}).get_json()
    assert body["query"] == "<script>alert(1)</script>"  # JSON carries it as data; the mimetype says JSON
    assert client.get("/api/search?q=x").mimetype == "application/json"


def test_snippets_hold_no_tag_but_mark(client):
    page = client.get("/?q=コロナ+OR+相談&per_page=100&group=record").get_data(as_text=True)
    blocks = re.findall(r'<dl class="snippets">(.*?)</dl>', page, re.S)
    assert len(blocks) > 20
    for block in blocks:
        for fragment in re.findall(r"<dd>(.*?)</dd>", block, re.S):
            assert "<mark>" in fragment
            assert "<" not in re.sub(r"</?mark>", "", fragment), fragment


# -- markup in the table itself -----------------------------------------------------------------------------------

EVIL_TITLE = '健康づくり<b>フォローアップ</b>指導事業 & "<script>alert(1)</script>'
EVIL_SECTION = '健康課"><img src=x onerror=alert(1)>'
EVIL_ACHIEVEMENT = "縮小して実施<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def evil_client(tmp_path_factory):
    """The bundled table with markup written into one measure's title, section, evaluation and 令和2年度 達成度."""
    from search_app.web import create_app

    folder = tmp_path_factory.mktemp("evil-data")
    lines = BUNDLED.read_text(encoding="utf-8").split("\n")
    row = lines[18].split("\t")
    assert row[1] == "2 健康づくりフォローアップ指導事業" and row[4] == "健康課"
    row[1], row[4] = "2 " + EVIL_TITLE, EVIL_SECTION
    row[6] = row[6].replace("中止した教室がある。", "中止した<img src=x onerror=alert(1)>教室がある。")
    assert row[7] == "縮小して実施"
    row[7] = EVIL_ACHIEVEMENT
    lines[18] = "\t".join(row)
    (folder / BUNDLED.name).write_text("\n".join(lines), encoding="utf-8")
    (folder / "synonyms.txt").write_text("", encoding="utf-8")
    app = create_app({"DATA_DIR": str(folder), "INDEX_DIR": str(tmp_path_factory.mktemp("evil-index")),
                      "TESTING": True})
    return app.test_client()


def test_markup_from_the_table_is_data_in_json(evil_client):
    measure = evil_client.get("/api/measures/koganei/2-2-2").get_json()
    assert (measure["title"], measure["section"]) == (EVIL_TITLE, EVIL_SECTION)
    assert "<img src=x onerror=alert(1)>" in measure["years"][0]["evaluation"]
    page = evil_client.get("/api/search", query_string={"q": "教室", "section": EVIL_SECTION, "year": 2020}).get_json()
    hit = page["results"][0]
    assert (hit["measure_id"], hit["section"]) == ("koganei/2-2-2", EVIL_SECTION)
    assert "&lt;img src=x onerror=alert(1)&gt;" in hit["highlights"]["evaluation"]
    assert "<" not in re.sub(r"</?mark>", "", hit["highlights"]["evaluation"])


def test_the_year_before_achievement_is_data_in_json_and_escaped_on_pages(evil_client):
    measure = evil_client.get("/api/measures/koganei/2-2-2").get_json()
    assert measure["years"][1]["previous_achievement"] == EVIL_ACHIEVEMENT
    shown = "（前年度: 縮小して実施&lt;img src=x onerror=alert(1)&gt;）"
    for url in ("/?q=教室&year=2021", "/measures/koganei/2-2-2"):
        page = evil_client.get(url).get_data(as_text=True)
        assert shown in page
        assert_inert(page)


@pytest.mark.parametrize("url", ["/?q=教室", "/?q=フォローアップ", "/measures/koganei/2-2-2", "/stats",
                                 "/?q=教室&section=健康課%22%3E%3Cimg+src%3Dx+onerror%3Dalert(1)%3E"])
def test_markup_from_the_table_is_escaped_on_pages(evil_client, url):
    response = evil_client.get(url)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert_inert(page)
    assert "<b>" not in page
    if "measures" in url or "フォロー" in url:
        assert "&lt;b&gt;フォローアップ&lt;/b&gt;" in page or "&lt;b&gt;<mark>フォローアップ</mark>&lt;/b&gt;" in page
