"""Fixtures shared by the test modules: the bundled table, raw and read."""

from __future__ import annotations

from pathlib import Path

import pytest
from table_tools import BUNDLED, tsv_rows

from indexer import Dataset, read_table


@pytest.fixture(scope="session")
def bundled_path() -> Path:
    """data/koganei_jisatsu_taisaku_r2_r3.tsv: 25 measures × 令和2・3年度, with layout faults."""
    return BUNDLED


@pytest.fixture(scope="session")
def bundled_rows(bundled_path: Path) -> list[list[str]]:
    """The bundled table's cells as written, one list per line."""
    return tsv_rows(bundled_path.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def bundled(bundled_path: Path) -> Dataset:
    """The bundled table, read."""
    return read_table(bundled_path)


# -- the chain records → index → engine → app → client ---------------------------------------------------------


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory, bundled_path: Path) -> Path:
    """A data folder like data/: the bundled table and the synonym dictionary."""
    import shutil

    folder = tmp_path_factory.mktemp("data")
    shutil.copy(bundled_path, folder)
    shutil.copy(bundled_path.parent / "synonyms.txt", folder)
    return folder


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    """An index of the bundled table, built once for the session."""
    from search_app.service import ensure_index

    folder = tmp_path_factory.mktemp("index")
    ensure_index(data_dir, folder)
    return folder


@pytest.fixture(scope="session")
def settings(data_dir: Path, index_dir: Path) -> dict:
    from search_app.settings import load_settings

    return load_settings({"DATA_DIR": str(data_dir), "INDEX_DIR": str(index_dir)}, environ={})


@pytest.fixture(scope="session")
def engine(settings: dict):
    """The search library over the bundled index."""
    from search_app.service import make_engine

    return make_engine(settings)


@pytest.fixture(scope="session")
def app(settings: dict):
    from search_app.web import create_app

    return create_app({**settings, "TESTING": True})


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def presenter(data_dir: Path):
    """What pages and the API show of results (HTML highlights, links) for the bundled data folder."""
    from search_app.contract.bodies import Presenter
    from search_app.contract.links import Links

    return Presenter(Links(data_dir))


@pytest.fixture(scope="session")
def search(engine, presenter):
    """``search("コロナ", years=(2021,))``: a query on the bundled index, every hit on one page, as shown."""
    from search_app.models import SearchRequest

    def run(q: str, **options):
        return presenter.page(engine.search(SearchRequest(q=q, per_page=100, **options)))

    return run


# -- the browser tests: a module's ``server`` fixture gives the site --------------------------------------------


@pytest.fixture(scope="module")
def browser():
    from browser_tools import ARGS, CHROMIUM
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser, server):
    """A tab on the module's site that may not reach outside it and must log no console error."""
    from browser_tools import TIMEOUT_MS

    context = browser.new_context(base_url=server, accept_downloads=True, locale="ja-JP",
                                  viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    external: list[str] = []

    def only_this_site(route) -> None:
        url = route.request.url
        if url.startswith(("http:", "https:")) and not url.startswith(server):
            external.append(url)
            route.abort()
        else:  # the site itself, or the browser's own chrome:// resources (its PDF viewer)
            route.continue_()

    context.route("**/*", only_this_site)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield tab
    context.close()
    assert external == [], "the page asked for something outside the site"
    assert errors == [], "console errors (a CSP violation shows here)"
