"""plansearch web app: ``create_app`` builds the Flask app over the search library."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, request

from .settings import load_settings

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
#: Largest request accepted (bytes): no route takes a body.
MAX_CONTENT_LENGTH = 64 * 1024


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """App factory: defaults, then ``PLANSEARCH_*`` environment, then ``config``."""
    app = Flask(__name__, template_folder=str(ROOT / "templates"), static_folder="static")
    settings = load_settings(config)
    app.config.update(settings)  # load_settings keeps every key of ``config`` too
    app.config["MAX_CONTENT_LENGTH"] = MAX_CONTENT_LENGTH
    app.json.ensure_ascii = False
    app.json.sort_keys = False

    from . import errors, security, views_api, views_pages
    from .params import check_utf8
    from .service import ensure_index, make_engine

    if app.config.get("BUILD_INDEX", True):
        ensure_index(Path(settings["DATA_DIR"]), Path(settings["INDEX_DIR"]))
    app.extensions["plansearch"] = make_engine(settings)
    errors.init_app(app)
    app.before_request(lambda: check_utf8(request.query_string))
    security.init_app(app)
    app.register_blueprint(views_api.bp)
    app.register_blueprint(views_pages.bp)
    return app
