"""Helpers for the browser tests: Debian's Chromium driven by Playwright against an HTTP server on 127.0.0.1.

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
    """Serve ``app`` (an app object this test process made, so Werkzeug's threaded server rather than Granian,
    which imports its app in worker processes; ``test_serve.py`` covers Granian) on a free port; yields its base
    URL."""
    from werkzeug.serving import make_server

    wsgi = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=wsgi.serve_forever, name="http", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{wsgi.server_port}"
    wsgi.shutdown()
    wsgi.server_close()
    thread.join(timeout=5)
