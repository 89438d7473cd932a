"""The JSON API of ../shared/API.md, plus the export of a result set as CSV, an Excel workbook or JSON."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import Blueprint, Response, current_app, jsonify, request

from ..contract.bodies import Presenter, datasets_body, health_body, stats_body
from ..contract.exports import EXPORT_LIMIT, Check, export_csv, export_json, export_records, export_xlsx, with_site
from ..contract.filenames import ExportName
from ..contract.labels import JST, dataset_names
from ..contract.openapi import openapi_document
from ..engine import Engine
from ..models import SearchRequest
from .errors import ApiError
from .params import export_score, search_request

bp = Blueprint("api", __name__)


def engine() -> Engine:
    return current_app.extensions["plansearch"]


def presenter() -> Presenter:
    return current_app.extensions["plansearch.presenter"]


@bp.get("/api/search")
def api_search():
    req = search_request(request.args, current_app.config["PAGE_SIZE"])
    show = presenter()
    return jsonify(show.search_body(show.page(engine().search(req, engine().budget(client())))))


@bp.get("/api/measures/<path:measure_id>")
def api_measure(measure_id: str):
    measure = engine().measure(measure_id)
    if measure is None:
        raise ApiError(404, "not_found", f"no measure {measure_id!r}", "measure_id")
    return jsonify(presenter().measure_body(measure))


@bp.get("/api/stats")
def api_stats():
    return jsonify(stats_body(engine().stats()))


@bp.get("/api/datasets")
def api_datasets():
    return jsonify(datasets_body(engine().info))


@bp.get("/healthz")
def healthz():
    """200 when a generation is served, passed its checks and answers a probe read; else 503 with the reason
    (``rebuilding``, ``index_damaged``, ``no_index``) in the same shape: what load balancers look at."""
    health = engine().health()
    return jsonify(health_body(health)), 200 if health.ok else 503


@bp.get("/api/openapi.json")
def openapi():
    return jsonify(openapi_document())


def client() -> str:
    """Who asks, for the places of slow searches: the client's address."""
    return request.remote_addr or ""


def _download(ext: str, mimetype: str, write: Callable[[SearchRequest, list[dict], bool, Check], str | bytes]
              ) -> Response:
    """The export of the request's search as a file named for it (the words, the filters, the day in Japan time),
    written by ``write(req, records, score, check)``: matching, reading the records and writing the file are all
    inside the request's time limit (past it: 400 query_too_expensive)."""
    req = search_request(request.args, current_app.config["PAGE_SIZE"])
    score = export_score(request.args)
    with engine().budget(client()) as budget:
        hits = engine().export(req, EXPORT_LIMIT, budget)
        records = export_records(hits, presenter().links, budget.check)
        if req.group == "measure":  # a row per measure, with every year it matched in
            for rec, years in zip(records, engine().export_years(req, hits), strict=True):
                rec["matching_years"] = list(years)
        body = write(req, records, score, budget.check)
    name = ExportName.of(req, ext, datetime.now(JST), dataset_names(engine().info.datasets))
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": name.content_disposition()})


@bp.get("/export.json")
def export_json_file():
    return _download("json", "application/json", lambda req, records, _, check: export_json(req.q, records, check))


@bp.get("/export.xlsx")
def export_xlsx_file():
    return _download("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _sheet(export_xlsx))


@bp.get("/export.csv")
def export_csv_file():
    return _download("csv", "text/csv", _sheet(export_csv))


def _sheet(writer: Callable[..., str | bytes]) -> Callable[[SearchRequest, list[dict], bool, Check], str | bytes]:
    """The CSV's or the workbook's writer, given the records with whole plan links (a file is read away from the
    site) and the choice of a score column."""
    return lambda _, records, score, check: writer(with_site(records, request.url_root), check, score=score)
