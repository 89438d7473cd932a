"""The JSON API of ../shared/API.md, plus CSV/JSON export of a result set."""

from __future__ import annotations

import csv
import io
import json
import unicodedata

from flask import Blueprint, Response, current_app, jsonify, request

from .engine import Engine
from .errors import ApiError
from .openapi import openapi_document
from .params import search_request

bp = Blueprint("api", __name__)

#: Most records one export returns.
EXPORT_LIMIT = 10_000
EXPORT_COLUMNS = ("measure_id", "dataset", "title", "policy", "item", "plan_page", "plan_url", "department",
                  "section", "year", "year_label", "status", "evaluation", "achievement", "achievement_category",
                  "plan", "changed", "trend", "score", "extra")

#: First characters that make a spreadsheet cell a formula (and their full-width forms, which some accept).
_FORMULA = ("=", "+", "-", "@", "＝", "＋", "－", "＠")


def engine() -> Engine:
    return current_app.extensions["plansearch"]


@bp.get("/api/search")
def api_search():
    req = search_request(request.args, current_app.config["PAGE_SIZE"])
    return jsonify(engine().search(req).to_dict())


@bp.get("/api/measures/<path:measure_id>")
def api_measure(measure_id: str):
    measure = engine().measure(measure_id)
    if measure is None:
        raise ApiError(404, "not_found", f"no measure {measure_id!r}", "measure_id")
    return jsonify(measure)


@bp.get("/api/stats")
def api_stats():
    return jsonify(engine().stats())


@bp.get("/healthz")
def healthz():
    info = engine().info
    return jsonify({"status": "ok", "records": info.records, "datasets": info.dataset_slugs,
                    "index_built_at": info.built_at, "generation": info.generation})


@bp.get("/api/openapi.json")
def openapi():
    return jsonify(openapi_document())


@bp.get("/export.json")
def export_json():
    req = search_request(request.args, current_app.config["PAGE_SIZE"])
    records = engine().export(req, EXPORT_LIMIT)
    body = json.dumps({"query": req.q, "total": len(records), "records": records}, ensure_ascii=False, indent=1)
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": "attachment; filename=plansearch.json"})


@bp.get("/export.csv")
def export_csv():
    req = search_request(request.args, current_app.config["PAGE_SIZE"])
    records = engine().export(req, EXPORT_LIMIT)
    out = io.StringIO()
    out.write("\ufeff")  # a BOM, so that Excel reads the Japanese as UTF-8
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for rec in records:
        rec["extra"] = "\n".join(f"{cell['column']}: {cell['text']}" for cell in rec.get("extra") or ())
        writer.writerow([safe_cell(rec.get(c)) for c in EXPORT_COLUMNS])
    return Response(out.getvalue(), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": "attachment; filename=plansearch.csv"})


def safe_cell(value: object) -> str:
    """A CSV cell that a spreadsheet shows as text: formula-like starts are neutralised."""
    text = "" if value is None else str(value)
    if text[:1] in ("\t", "\r") or _first_visible(text) in _FORMULA:
        return "'" + text
    return text


def _first_visible(text: str) -> str:
    """The first character that is neither white space nor an invisible format character (zero-width
    space, BOM, direction marks, soft hyphen …), which a spreadsheet may read past to a formula."""
    for char in text:
        if not (char.isspace() or unicodedata.category(char) == "Cf"):
            return char
    return ""
