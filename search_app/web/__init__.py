"""plansearch's web app: ``create_app`` builds the Flask app over the search library.

Pages (``pages.py``) and the JSON API (``api.py``) are two blueprints; request parameters are parsed in
``params.py``, every error is mapped in ``errors.py``, security headers are set in ``security.py``, and
``server.py`` serves the app with Granian. For development: ``flask --app search_app.web run``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, Response, request

from ..contract.bodies import Presenter
from ..contract.links import Links
from ..service import ensure_index, make_engine
from ..settings import load_settings
from .jsonbody import OrjsonProvider

log = logging.getLogger(__name__)

PACKAGE = Path(__file__).resolve().parent
#: Largest request accepted (bytes): no route takes a body.
MAX_CONTENT_LENGTH = 64 * 1024


def templates_dir() -> Path:
    """The page templates: installed inside the package by a regular install (a wheel), else the checkout's
    top-level ``templates/`` (a checkout, or an editable install)."""
    installed = PACKAGE / "templates"
    return installed if installed.is_dir() else PACKAGE.parent.parent / "templates"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """App factory: defaults, then ``PLANSEARCH_*`` environment, then ``config``."""
    app = Flask(__name__, template_folder=str(templates_dir()), static_folder="static")
    app.json = OrjsonProvider(app)
    settings = load_settings(config)
    app.config.update(settings)  # load_settings keeps every key of ``config`` too
    app.config["MAX_CONTENT_LENGTH"] = MAX_CONTENT_LENGTH

    from . import api, errors, pages, security
    from .params import check_repeats, check_utf8

    data_dir = Path(settings["DATA_DIR"])
    if app.config.get("BUILD_INDEX", True):
        ensure_index(data_dir, Path(settings["INDEX_DIR"]))
    app.extensions["plansearch"] = make_engine(settings)
    app.extensions["plansearch.presenter"] = Presenter(Links(data_dir))
    errors.init_app(app)
    app.before_request(lambda: check_utf8(request.query_string))
    app.before_request(lambda: check_repeats(request.args))
    security.init_app(app)
    app.after_request(_in_one_piece)
    app.register_blueprint(api.bp)
    app.register_blueprint(pages.bp)
    return app


def _in_one_piece(response: Response) -> Response:
    """A body already in memory (every page and API answer; not a file sent from disk) is handed to the server as
    it is, in one piece: Granian writes a list of bytes at once, where an iterator is read chunk by chunk across
    the interpreter boundary."""
    body = response.response
    if isinstance(body, list) and all(isinstance(part, bytes) for part in body):
        response.direct_passthrough = True
    return response
