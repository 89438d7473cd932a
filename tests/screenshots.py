"""Screenshots of the main pages for the README, at a desktop width and a 390 px phone width.

    .venv/bin/python tests/screenshots.py            # writes docs/screenshots/*.png

Serves the bundled table of 小金井市 and the five fictional cities of ``tests/data/cities`` (an index built in a
temporary folder) on 127.0.0.1 and photographs each page in Debian's Chromium, one viewport each. Not a test
module (pytest collects ``test_*.py`` only); it imports the browser tests' helpers from beside it.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

from browser_tools import ARGS, CHROMIUM, TIMEOUT_MS, serving
from web_tools import six_towns_data_dir

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
WIDTHS = {"desktop": (1280, 800), "phone": (390, 844)}

#: (file name, address, what to do on the page before the picture, at which widths)
SHOTS = [
    ("search", "/", None, ("desktop", "phone")),
    ("results", "/?q=いじめ", None, ("desktop", "phone")),
    ("results-filtered", "/?q=いじめ&municipality=小金井市", None, ("desktop",)),
    ("results-filters", "/?q=いじめ", "open-filters", ("phone",)),
    ("measure", "/measures/koganei/1-1-4", None, ("desktop", "phone")),
    ("stats", "/stats", None, ("desktop", "phone")),
    ("datasets", "/datasets", None, ("desktop",)),
    ("synonyms", "/synonyms?q=借金", None, ("desktop", "phone")),
]


def open_filters(page) -> None:
    """Open the filter panel below the results (narrow screens) and scroll it to the top of the screen."""
    page.locator(".facet-panel > summary").click()
    page.locator(".facets").scroll_into_view_if_needed()
    page.evaluate("document.querySelector('.facets').scrollIntoView({block: 'start'})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"folder for the PNG files (default: {OUT})")
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        print(f"needs Debian's chromium at {CHROMIUM}", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    from search_app.web import create_app

    args.out.mkdir(parents=True, exist_ok=True)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per request
    with tempfile.TemporaryDirectory(prefix="plansearch-shots-") as tmp:
        data = six_towns_data_dir(Path(tmp) / "data")
        app = create_app({"DATA_DIR": str(data), "INDEX_DIR": str(Path(tmp) / "index")})
        server = serving(app)
        base = next(server)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
            for width_name, (width, height) in WIDTHS.items():
                context = browser.new_context(base_url=base, locale="ja-JP", device_scale_factor=1,
                                              viewport={"width": width, "height": height})
                context.set_default_timeout(TIMEOUT_MS)
                page = context.new_page()
                for name, url, action, widths in SHOTS:
                    if width_name not in widths:
                        continue
                    page.goto(url)
                    if action == "open-filters":
                        open_filters(page)
                    path = args.out / f"{name}-{width_name}.png"
                    page.screenshot(path=str(path))
                    print(path)
                context.close()
            browser.close()
        server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
