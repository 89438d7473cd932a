"""Helpers for the browser tests: Debian's Chromium driven by Playwright against waitress on 127.0.0.1.

Not a test module: the tests import it (pytest puts ``tests/`` on ``sys.path``); the ``browser`` and ``page``
fixtures are in ``conftest.py`` and need a module's ``server`` fixture.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
TIMEOUT_MS = 10_000


def serving(app) -> Iterator[str]:
    """Serve ``app`` with the real WSGI server (waitress) on a free port; yields its base URL."""
    import waitress

    wsgi = waitress.create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=wsgi.run, name="waitress", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{wsgi.effective_port}"
    wsgi.close()
    thread.join(timeout=5)
