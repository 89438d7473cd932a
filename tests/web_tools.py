"""Helpers for the web tests: data folders with a plan document, a tiny PDF, links and CSP read from responses.

Not a test module: the tests import it (pytest puts ``tests/`` on ``sys.path``).
"""

from __future__ import annotations

import html
import re
import shutil
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

from table_tools import BUNDLED

from search_app.contract.labels import JST

TABLE = BUNDLED.name
#: The page offset written into plansearch.toml: PDF page = printed page + 4.
PAGE_OFFSET = 4
PLAN_URL = "https://www.city.example.jp/plan/jisatsu_taisaku.pdf"
#: A measure printed on P.43 of the plan (1-1-3 スクールカウンセラー及びスクールソーシャルワーカーの配置).
P43_MEASURE = "koganei/1-1-3"
#: The fictional municipalities of the cross-city tests (甲市, 乙町, 丙村, 丁市, 戊町).
CITIES = Path(__file__).resolve().parent / "data" / "cities"


def minimal_pdf(pages: int = 50) -> bytes:
    """A valid PDF of ``pages`` empty pages, written by hand (catalog, page tree, pages, xref, trailer)."""
    kids = " ".join(f"{n} 0 R" for n in range(3, 3 + pages))
    bodies = [b"<< /Type /Catalog /Pages 2 0 R >>", f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode()]
    bodies += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"] * pages
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(bodies, 1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(bodies) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{off:010d} 00000 n \n".encode() for off in offsets)
    out += f"trailer\n<< /Size {len(bodies) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def plan_data_dir(folder: Path, *, plan_pdf: bool = False, plan_url: str | None = None) -> Path:
    """A data folder: the bundled table, the synonyms and a plansearch.toml naming a plan PDF and/or URL."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(BUNDLED, folder)
    shutil.copy(BUNDLED.parent / "synonyms.txt", folder)
    lines = ["[datasets.koganei]", f'file = "{TABLE}"', f"page_offset = {PAGE_OFFSET}"]
    if plan_pdf:
        lines.append('plan_pdf = "plan.pdf"')
        (folder / "plan.pdf").write_bytes(minimal_pdf())
    if plan_url:
        lines.append(f'plan_url = "{plan_url}"')
    (folder / "plansearch.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def six_towns_data_dir(folder: Path) -> Path:
    """A data folder of six municipalities: the bundled table of 小金井市 with its plan PDF (as ``plan_data_dir``)
    and the five fictional cities of ``tests/data/cities``, their settings side by side in one plansearch.toml."""
    plan_data_dir(folder, plan_pdf=True)
    for table in CITIES.iterdir():
        if table.suffix in (".tsv", ".csv"):
            shutil.copy(table, folder)
    config = folder / "plansearch.toml"
    koganei = config.read_text(encoding="utf-8") + 'municipality = "小金井市"\nname = "自殺総合対策計画"\n\n'
    config.write_text(koganei + (CITIES / "plansearch.toml").read_text(encoding="utf-8"), encoding="utf-8")
    return folder


def plan_app(tmp_path_factory, name: str, **config):
    """An app over its own data folder (see ``plan_data_dir``) and index."""
    from search_app.web import create_app

    data = plan_data_dir(tmp_path_factory.mktemp(f"{name}-data"), **config)
    return create_app({"DATA_DIR": str(data), "INDEX_DIR": str(tmp_path_factory.mktemp(f"{name}-index")),
                       "TESTING": True})


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, str, str]] = []  # (tag, attribute, value)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src", "action", "srcset", "poster", "data") and value is not None:
                self.urls.append((tag, name, value))


def page_urls(page: str) -> list[tuple[str, str, str]]:
    """Every URL-valued attribute of the page, unescaped: (tag, attribute, value)."""
    parser = _Links()
    parser.feed(page)
    parser.close()
    return parser.urls


def links(page: str) -> list[tuple[str, str]]:
    """Every ``<a href>`` of the page as (href, text), both unescaped, the text without tags or extra spaces."""
    out = []
    for m in re.finditer(r"<a\b[^>]*?\bhref=\"([^\"]*)\"[^>]*>(.*?)</a>", page, re.S):
        text = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", m.group(2)))).strip()
        out.append((html.unescape(m.group(1)), text))
    return out


def link_to(page: str, text: str, inside: str | None = None, exact: bool = False) -> str:
    """The one href of the links whose text contains (or is) ``text``, within the element with id ``inside``."""
    if inside is not None:
        start = page.index(f'id="{inside}"')
        page = page[start:page.index("</section>", start)]
    found = list(dict.fromkeys(href for href, label in links(page) if (label == text if exact else text in label)))
    assert len(found) == 1, f"{len(found)} links with {text!r}: {found}"
    return found[0]


def external_urls(page: str) -> list[str]:
    """URLs of the page that leave the site (absolute or protocol-relative)."""
    return [v for _, _, v in page_urls(page) if re.match(r"\s*(https?:)?//", v, re.I)]


def csp_directives(header: str) -> dict[str, list[str]]:
    """``"default-src 'self'; img-src 'self' data:"`` → ``{"default-src": ["'self'"], "img-src": [...]}``."""
    out: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            out[words[0].lower()] = words[1:]
    return out


def today_in_japan() -> set[str]:
    """Today in Japan (an export's file name carries it), and tomorrow too when midnight is close (a request may
    cross it)."""
    now = datetime.now(JST)
    return {(now + timedelta(minutes=m)).date().isoformat() for m in (0, 1)}
