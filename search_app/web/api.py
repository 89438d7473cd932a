"""The JSON API of ../shared/API.md, plus CSV/JSON export of a result set."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from ..contract.bodies import Presenter, datasets_body, health_body, stats_body
from ..contract.exports import EXPORT_LIMIT, export_csv, export_json, export_records, export_xlsx
from ..contract.openapi import openapi_document
from ..engine import Engine
from .errors import ApiError
from .params import search_request

bp = Blueprint("api", __name__)


def engine() -> Engine:
    return current_app.extensions["plansearch"]


def presenter() -> Presenter:
    return current_app.extensions["plansearch.presenter"]


@bp.get("/api/search")
def api_search():
    req = search_request(request.args, current_app.config["PAGE_SIZE"])
    show = presenter()
    return jsonify(show.search_body(show.page(engine().search(req))))


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
    return jsonify(health_body(engine().info))


@bp.get("/api/openapi.json")
def openapi():
    return jsonify(openapi_document())


def _exported() -> tuple[str, list[dict]]:
    req = search_request(request.args, current_app.config["PAGE_SIZE"])
    return req.q, export_records(engine().export(req, EXPORT_LIMIT), presenter().links)


@bp.get("/export.json")
def export_json_file():
    query, records = _exported()
    return Response(export_json(query, records), mimetype="application/json",
                    headers={"Content-Disposition": "attachment; filename=plansearch.json"})


@bp.get("/export.xlsx")
def export_xlsx_file():
    _, records = _exported()
    return Response(export_xlsx(records),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": "attachment; filename=plansearch.xlsx"})


@bp.get("/export.csv")
def export_csv_file():
    _, records = _exported()
    return Response(export_csv(records), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": "attachment; filename=plansearch.csv"})
