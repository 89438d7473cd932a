"""One error shape: every error is mapped here, to JSON under /api and /healthz, to error.html elsewhere."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, make_response, render_template, request
from werkzeug.exceptions import BadHost, HTTPException, MethodNotAllowed

from indexer.generations import IndexUnavailable
from indexer.models import PlansearchError

from ..gate import Busy, SearchTimeout
from ..logs import Throttled, printable
from ..query import QueryError

log = logging.getLogger(__name__)
#: Refused requests are logged, a burst of them in a few lines.
refusals = Throttled(log)


def _where() -> str:
    return printable(f"{request.method} {request.full_path.rstrip('?')} from {request.remote_addr}")


class ApiError(Exception):
    """A client error with a status, a machine code, a message and the parameter at fault."""

    def __init__(self, status: int, code: str, message: str, parameter: str | None = None, ja: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.parameter = parameter
        self.ja = ja or _japanese(status, parameter)

    def to_dict(self) -> dict:
        # the same four keys every time: ``parameter`` is null when no one parameter is at fault
        return {"error": {"status": self.status, "code": self.code, "message": self.message,
                          "parameter": self.parameter}}


_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "too_large",
          414: "uri_too_long", 431: "headers_too_large"}
_JAPANESE = {400: "リクエストが正しくありません", 404: "ページが見つかりません", 405: "この方法では利用できません",
             413: "リクエストが大きすぎます", 500: "サーバーで問題が起きました", 503: "索引を準備中です"}

_PAGE_MESSAGES = {404: "お探しのページは見つかりませんでした。アドレスを確かめるか、検索ページから探してください。",
                  405: "このページはその方法では開けません。", 413: "リクエストが大きすぎます。"}


#: How the pages name a request's parameters.
PARAMETERS = {"q": "検索語", "year": "年度", "field": "欄", "page": "ページ", "per_page": "表示件数",
              "sort": "並び順", "synonyms": "同義語", "nosyn": "同義語", "concepts": "言い換え",
              "group": "表示のしかた",
              "dataset": "計画", "municipality": "自治体", "policy": "重点施策", "department": "担当部署",
              "section": "担当課", "achievement": "達成度", "changed": "前年度からの変更", "trend": "達成度の推移",
              "score": "関連度の列", "measure_id": "施策"}


def _japanese(status: int, parameter: str | None) -> str:
    """What a page says for an error: the status's plain meaning, or which setting of the search is wrong."""
    if parameter:
        return f"「{PARAMETERS.get(parameter, parameter)}」の指定が正しくありません。"
    return _PAGE_MESSAGES.get(status, _JAPANESE.get(status, "エラーが起きました。"))


def _wants_json() -> bool:
    """JSON under /api, /healthz and /export; and wherever no page can be drawn: a request whose Host header
    werkzeug could not read has no URL adapter to link the page's stylesheet with."""
    path = request.path
    return (path.startswith("/api/") or path == "/healthz" or path.startswith("/export")
            or isinstance(request.routing_exception, BadHost))


def _respond(err: ApiError):
    if _wants_json():
        return jsonify(err.to_dict()), err.status
    title = _JAPANESE.get(err.status, "エラー")
    return render_template("error.html", error=err, title=title), err.status


def init_app(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def api_error(err: ApiError):
        return _respond(err)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        if _wants_json():
            message = "no such page or resource" if status == 404 else (exc.description or exc.name)
        else:
            message = _PAGE_MESSAGES.get(status, exc.description or exc.name)
        response, code = _respond(ApiError(status, _CODES.get(status, "http_error"), message))
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods:  # RFC 9110: a 405 says what is allowed
            response = make_response(response, code)
            response.headers["Allow"] = ", ".join(exc.valid_methods)
            return response
        return response, code

    @app.errorhandler(QueryError)
    def query_error(exc: QueryError):
        if isinstance(exc, SearchTimeout):
            refusals.log(logging.WARNING, "timeout", "refused %s: %s", _where(), exc)
            return _respond(ApiError(400, "query_too_expensive", str(exc), "q", exc.ja))
        return _respond(ApiError(400, "bad_query", str(exc), "q", exc.ja))

    @app.errorhandler(Busy)
    def busy(exc: Busy):
        refusals.log(logging.WARNING, exc.code, "refused %s (%d): %s", _where(), exc.status, exc)
        response, status = _respond(ApiError(exc.status, exc.code, str(exc), "q", exc.ja))
        response = make_response(response, status)
        response.headers["Retry-After"] = "2"
        return response

    @app.errorhandler(PlansearchError)
    def library_error(exc: PlansearchError):
        code = "index_unavailable" if isinstance(exc, IndexUnavailable) else "unavailable"
        refusals.log(logging.ERROR, code, "refused %s (503): %s", _where(), exc)
        response, status = _respond(ApiError(503, code, str(exc),
                                             ja="索引を準備しています。しばらくしてからもう一度お試しください。"))
        response = make_response(response, status)
        response.headers["Retry-After"] = "10"
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unexpected error on %s", request.path)
        return _respond(ApiError(500, "internal_error", "an unexpected error occurred; it has been logged",
                                 ja="サーバーで問題が起きました。記録しましたので、時間をおいてお試しください。"))
