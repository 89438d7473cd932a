"""Requests and files an attacker (or an accident) sends: a bad Host, redirects, slow searches that would take
every thread, exports past the time limit, repeated parameters, pipes and devices among the tables, and a plan
link that is not a web address. Each answers as the README promises, in the one error shape, never a 500."""

from __future__ import annotations

import logging
import os
import time

import pytest

from search_app.gate import Busy, Gate
from search_app.web.security import same_site

HTML_AND_API = ["/", "/?q=いじめ", "/static/style.css", "/measures/koganei/1-1-4", "/stats", "/datasets",
                "/synonyms", "/api/search?q=いじめ", "/healthz", "/export.csv?q=いじめ", "/no-such-page"]


@pytest.mark.parametrize("host", ["a..b", "x..example", "a" * 300 + ".jp"])
@pytest.mark.parametrize("path", HTML_AND_API)
def test_a_bad_host_is_a_400_in_the_error_shape(client, caplog, host, path):
    with caplog.at_level(logging.WARNING):
        response = client.get(path, headers={"Host": host})
    assert response.status_code == 400
    assert response.get_json()["error"] == {"status": 400, "code": "bad_request", "parameter": None,
                                            "message": response.get_json()["error"]["message"]}
    assert not [r for r in caplog.records if r.exc_info]  # no traceback in the log


@pytest.mark.parametrize(("location", "shown"), [
    ("http://evil.example/?q=x", "/?q=x"), ("https://evil.example:8443/measures/a#y2021", "/measures/a#y2021"),
    ("//evil.example/x", "/x"), ("/\\evil.example/x", "/evil.example/x"), ("/stats", "/stats"), ("", "/"),
])
def test_a_redirect_stays_on_this_site(location, shown):
    assert same_site(location) == shown


def test_no_redirect_takes_its_target_from_the_host_header(app):
    from flask import redirect

    app = app.__class__(app.import_name)  # a bare app with the same hooks
    from search_app.web import security

    security.init_app(app)
    app.add_url_rule("/away", "away", lambda: redirect("http://evil.example/phish"))
    app.add_url_rule("/folder/", "folder", lambda: "in")
    client = app.test_client()
    assert client.get("/away", headers={"Host": "evil.example"}).headers["Location"] == "/phish"
    moved = client.get("/folder", headers={"Host": "evil.example"})  # werkzeug's own redirect to the slash
    assert moved.status_code == 308 and moved.headers["Location"] == "/folder/"


# -- slow searches ----------------------------------------------------------------------------------------------------


def test_the_gate_keeps_places_for_slow_searches():
    gate = Gate(total=1, per_client=1, threshold_ms=0)
    first = gate.ticket("10.0.0.1")
    first.check()  # slow at once: takes the one place
    with pytest.raises(Busy) as same:
        gate.ticket("10.0.0.1").check()
    assert (same.value.status, same.value.code) == (429, "too_many_requests")
    with pytest.raises(Busy) as other:
        gate.ticket("10.0.0.2").check()
    assert (other.value.status, other.value.code) == (503, "busy")
    first.close()
    with gate.ticket("10.0.0.2") as ticket:
        ticket.check()
        assert gate.running == 1
    assert gate.running == 0
    cheap = Gate(total=1, threshold_ms=60_000).ticket("x")
    for _ in range(3):
        cheap.check()  # a cheap search never takes a place
    assert not cheap.holding


def test_slow_searches_are_refused_fast_and_healthz_still_answers(app, client, caplog, monkeypatch):
    engine = app.extensions["plansearch"]
    monkeypatch.setattr(engine, "gate", Gate(total=1, per_client=1, threshold_ms=0))
    monkeypatch.setattr(engine, "_pages", type(engine._pages)(0))
    held = engine.gate.ticket("192.0.2.9")
    held.check()  # a slow search from another client holds the only place
    with caplog.at_level(logging.WARNING):
        for _ in range(5):
            started = time.perf_counter()
            response = client.get("/api/search?q=相談")
            assert time.perf_counter() - started < 1
            assert response.status_code == 503
            assert response.get_json()["error"]["code"] == "busy" and response.headers["Retry-After"]
        assert client.get("/healthz").status_code == 200
    lines = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert len(lines) == 1 and "GET /api/search?q=" in lines[0]  # a burst of refusals is one line
    held.close()
    assert client.get("/api/search?q=相談").status_code == 200


def test_an_export_past_the_time_limit_stops_while_writing(app, client, monkeypatch):
    from search_app.contract import exports

    engine = app.extensions["plansearch"]
    monkeypatch.setattr(engine, "timeout_ms", 200)
    monkeypatch.setattr(exports, "_CHECK_EVERY", 1)
    written = []
    original = exports.safe_cell

    def slow_cell(value):
        written.append(value)
        time.sleep(0.002)
        return original(value)

    monkeypatch.setattr(exports, "safe_cell", slow_cell)
    started = time.perf_counter()
    response = client.get("/export.csv?q=相談")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "query_too_expensive"
    assert written  # matching was done: the limit stopped the writing
    assert time.perf_counter() - started < 1.5


# -- parameters --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "value", "shown"), [
    ("q", "相談", "q"), ("page", "1", "page"), ("per_page", "5", "per_page"), ("sort", "year", "sort"),
    ("synonyms", "on", "synonyms"), ("year", "2021", "year"), ("field", "status", "field"),
    ("dataset", "koganei", "dataset"), ("nosyn", "x", "nosyn"), ("utm_source", "x", None)])
@pytest.mark.parametrize("path", ["/api/search", "/", "/export.csv"])
def test_any_parameter_repeated_more_than_50_times_is_refused(client, name, value, shown, path):
    response = client.get(path + "?" + "&".join(f"{name}={value}" for _ in range(51)) + ("&q=相談" if name != "q"
                                                                                          else ""))
    assert response.status_code == 400
    if path != "/":
        error = response.get_json()["error"]
        assert error["parameter"] == shown and "at most 50 times" in error["message"]
    assert client.get(path + "?" + "&".join(f"{name}={value}" for _ in range(50))
                      + ("&q=相談" if name != "q" else "")).status_code == 200


# -- files -------------------------------------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_the_watcher_logs_a_pipe_or_a_device_among_the_tables_once(tmp_path, bundled_path, caplog):
    import shutil

    from search_app.reload import WatchState, check_once
    from search_app.service import build

    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(bundled_path, data)
    index = tmp_path / "index"
    build([data], index)
    os.mkfifo(data / "pipe.tsv")
    (data / "zero.csv").symlink_to("/dev/zero")
    (data / "gone.xlsx").symlink_to(tmp_path / "nothing.xlsx")
    state = WatchState()
    with caplog.at_level(logging.ERROR):
        for _ in range(3):
            assert check_once(data, index, None, state) is False  # nothing to rebuild: the tables are the same
    lines = sorted(r.getMessage() for r in caplog.records)
    assert lines == [f"{data / 'gone.xlsx'} cannot be read (No such file or directory: a link to nothing?); "
                     "skipped",
                     f"{data / 'pipe.tsv'} is not a regular file (a pipe); skipped",
                     f"{data / 'zero.csv'} is not a regular file (a device); skipped"]


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,<script>", "file:///etc/passwd",
                                 "//evil.example/plan.pdf", "https://example.jp/plan .pdf", "http://"])
def test_a_plan_url_must_be_a_web_address(tmp_path, url):
    from indexer.config import load_config
    from indexer.models import PlansearchError

    (tmp_path / "plansearch.toml").write_text(f'[datasets.koganei]\nplan_url = "{url}"\n', encoding="utf-8")
    with pytest.raises(PlansearchError, match=r"plansearch.toml: \[datasets.koganei\] plan_url must be an http:// "
                                              r"or https:// address"):
        load_config(tmp_path)


def test_a_web_plan_url_is_accepted(tmp_path):
    from indexer.config import load_config

    (tmp_path / "plansearch.toml").write_text('[datasets.koganei]\nplan_url = "https://example.jp/plan.pdf"\n',
                                              encoding="utf-8")
    assert load_config(tmp_path).datasets["koganei"].plan_url == "https://example.jp/plan.pdf"
