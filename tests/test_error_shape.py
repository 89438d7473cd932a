"""One JSON error shape for every API error (after Datasette's tests/test_error_shape.py).

``{"error": {"status": 400, "code": "bad_parameter", "message": "...", "parameter": "year"}}``: always these four
keys, the HTTP status repeated in the body, a 4xx for anything a client sends, never a 500.
"""

from __future__ import annotations

import pytest

LONG_Q = "あ" * 257

#: (method, path with query, status, code, parameter at fault or None)
ERRORS = [
    ("GET", f"/api/search?q={LONG_Q}", 400, "bad_parameter", "q"),
    ("GET", "/api/search?q=コロナ&year=abc", 400, "bad_parameter", "year"),
    ("GET", "/api/search?q=コロナ&year=99999", 400, "bad_parameter", "year"),
    ("GET", "/api/search?q=コロナ&year=2021&year=x", 400, "bad_parameter", "year"),
    ("GET", "/api/search?q=コロナ&field=body", 400, "bad_parameter", "field"),
    ("GET", "/api/search?q=コロナ&per_page=0", 400, "bad_parameter", "per_page"),
    ("GET", "/api/search?q=コロナ&per_page=101", 400, "bad_parameter", "per_page"),
    ("GET", "/api/search?q=コロナ&per_page=x", 400, "bad_parameter", "per_page"),
    ("GET", "/api/search?q=コロナ&per_page=1_0", 400, "bad_parameter", "per_page"),  # int() would take these
    ("GET", "/api/search?q=コロナ&page=%D9%A1", 400, "bad_parameter", "page"),  # Arabic-Indic 1
    ("GET", "/api/search?q=コロナ&page=%2B2", 400, "bad_parameter", "page"),  # +2
    ("GET", "/api/search?q=コロナ&page=%E2%91%A0", 400, "bad_parameter", "page"),  # ①, which NFKC makes 1
    ("GET", "/api/search?q=コロナ&page=%C2%B2", 400, "bad_parameter", "page"),  # superscript 2
    ("GET", "/api/search?q=コロナ&year=2_021", 400, "bad_parameter", "year"),
    ("GET", "/api/search?q=%FF%FE", 400, "bad_parameter", "q"),  # not UTF-8 once %-decoded
    ("GET", "/api/search?q=%E3%81", 400, "bad_parameter", "q"),  # half a character
    ("GET", "/api/search?q=コロナ&%FF=1", 400, "bad_parameter", None),
    ("GET", "/export.csv?q=%82%A2%82%B6%82%DF", 400, "bad_parameter", "q"),  # いじめ in Shift_JIS
    ("GET", "/api/search?q=コロナ&page=0", 400, "bad_parameter", "page"),
    ("GET", "/api/search?q=コロナ&page=-1", 400, "bad_parameter", "page"),
    ("GET", "/api/search?q=コロナ&sort=date", 400, "bad_parameter", "sort"),
    ("GET", "/api/search?q=コロナ&synonyms=maybe", 400, "bad_parameter", "synonyms"),
    ("GET", "/api/search?q=コロナ&concepts=yes", 400, "bad_parameter", "concepts"),
    ("GET", "/api/search?q=コロナ&group=city", 400, "bad_parameter", "group"),
    ("GET", "/api/measures/koganei/9-9-9", 404, "not_found", "measure_id"),
    ("GET", "/api/measures/nothing", 404, "not_found", "measure_id"),
    ("GET", "/api/nothing", 404, "not_found", None),
    ("GET", "/api/", 404, "not_found", None),
    ("POST", "/api/search?q=コロナ", 405, "method_not_allowed", None),
    ("DELETE", "/api/measures/koganei/2-2-2", 405, "method_not_allowed", None),
    ("PUT", "/healthz", 405, "method_not_allowed", None),
    ("GET", "/export.json?q=コロナ&year=abc", 400, "bad_parameter", "year"),
]


@pytest.mark.parametrize(("method", "path", "status", "code", "parameter"), ERRORS,
                         ids=[f"{m} {p[:50]}" for m, p, *_ in ERRORS])
def test_error_shape(client, method, path, status, code, parameter):
    response = client.open(path, method=method)
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert list(body) == ["error"]
    error = body["error"]
    assert set(error) == {"status", "code", "message", "parameter"}
    assert error["status"] == status
    assert error["code"] == code
    assert error["parameter"] == parameter
    assert isinstance(error["message"], str) and error["message"].strip()


def test_error_message_names_what_to_send(client):
    error = client.get("/api/search?q=コロナ&year=abc").get_json()["error"]
    assert error == {"status": 400, "code": "bad_parameter", "message": "year must be a fiscal year such as 2021",
                     "parameter": "year"}


def test_unknown_measure_message_names_it(client):
    error = client.get("/api/measures/koganei/9-9-9").get_json()["error"]
    assert "koganei/9-9-9" in error["message"]


def test_error_json_keeps_japanese_readable(client):
    response = client.get("/api/measures/小金井/1")
    assert response.status_code == 404
    assert "小金井".encode() in response.data


@pytest.mark.parametrize("path", ["/api/search?q=コロナ&page=99999999999999999999", "/api/search?q=%FF%FE",
                                  "/api/search?q=a&per_page=1e3", "/api/search?q=a&year=%00", "/api/search?q=%00"])
def test_odd_input_is_never_a_server_error(client, path):
    response = client.get(path)
    assert response.status_code < 500
    assert response.mimetype == "application/json"
    if response.status_code >= 400:
        assert set(response.get_json()["error"]) == {"status", "code", "message", "parameter"}


def test_too_large_body_is_a_json_error(client):
    response = client.post("/api/search?q=a", data=b"x" * (128 * 1024))
    assert 400 <= response.status_code < 500
    assert set(response.get_json()["error"]) == {"status", "code", "message", "parameter"}
