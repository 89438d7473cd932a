"""An index that checks itself: real files of a generation damaged on disk, in each way that matters.

Each case damages the live generation (with and without a previous good one beside it), then serves the folder
in-process and asks as a client would. Every answer is a correct 200 or a 503 in the error shape, never a 500;
the damage is found (before serving, or by the full check in the background), the generation is never served
again, and the service rebuilds from the data folder and recovers without a restart.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from indexer import integrity
from indexer.generations import CURRENT, META, current_name
from search_app.service import build, check_index

#: What the searches below find in the bundled table.
EXPECTED = {"いじめ": 4, "コロナ": 8}


def _cut_short(gen: Path) -> None:
    path = gen / "docs.bin"
    with path.open("r+b") as fh:
        fh.truncate(path.stat().st_size // 2)


def _zeroed_block(gen: Path) -> None:
    [path] = gen.glob("*.pst")
    with path.open("r+b") as fh:
        fh.seek(path.stat().st_size // 3)
        fh.write(b"\0" * 4096)


def _flipped_bytes(gen: Path) -> None:
    path = gen / "docs.bin"
    data = bytearray(path.read_bytes())
    for at in range(len(data) // 4, len(data) // 4 + 64):
        data[at] ^= 0x5A
    path.write_bytes(bytes(data))


def _missing_file(gen: Path) -> None:
    (gen / "arrays.npz").unlink()


def _missing_meta(gen: Path) -> None:
    (gen / META).unlink()


def _meta_altered(gen: Path) -> None:
    meta = json.loads((gen / META).read_text(encoding="utf-8"))
    meta["records"] = 49
    (gen / META).write_text(json.dumps(meta), encoding="utf-8")


MISSING = "gen-20990101-000000-1-1"


def _current_names_a_missing_generation(gen: Path) -> None:
    (gen.parent / CURRENT).write_text(MISSING, encoding="utf-8")


#: (name, damage, found before the generation is served)
DAMAGE: list[tuple[str, Callable[[Path], None], bool]] = [
    ("cut short", _cut_short, True),
    ("zeroed block", _zeroed_block, False),
    ("flipped bytes", _flipped_bytes, False),
    ("missing file", _missing_file, True),
    ("missing meta.json", _missing_meta, True),
    ("meta.json altered", _meta_altered, True),
    ("CURRENT names a missing generation", _current_names_a_missing_generation, True),
]


@pytest.fixture
def folders(tmp_path: Path, bundled_path: Path) -> tuple[Path, Path]:
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(bundled_path, data)
    return data, tmp_path / "index"


def _app(data: Path, index: Path):
    from search_app.web import create_app

    return create_app({"DATA_DIR": str(data), "INDEX_DIR": str(index), "WATCH_SECONDS": 0, "RESULT_CACHE": 0,
                       "BUILD_INDEX": False, "SYNONYMS_FILE": ""})


def _ask(client) -> dict:
    """One round of requests: each a correct 200 or a 503 in the error shape (never anything else)."""
    out = {}
    for q, total in EXPECTED.items():
        response = client.get("/api/search", query_string={"q": q, "synonyms": "off"})
        assert response.status_code in (200, 503), response.get_data(as_text=True)[:300]
        body = response.get_json()
        if response.status_code == 200:
            assert body["total"] == total, (q, body["total"])
        else:
            assert body["error"]["code"] == "index_unavailable" and body["error"]["status"] == 503
        out[q] = response.status_code
    health = client.get("/healthz")
    assert health.status_code in (200, 503)
    body = health.get_json()
    assert set(body) >= {"status", "records", "datasets", "index_built_at"}
    assert (health.status_code == 200) == (body["status"] == "ok")
    out["healthz"] = body
    return out


def _until_recovered(client, index: Path, damaged: str, seconds: float = 60) -> dict:
    """Ask until the rebuilt generation (the one ``CURRENT`` names now, not the damaged one) is served and
    healthy; every answer on the way is checked by ``_ask``."""
    deadline = time.monotonic() + seconds
    while True:
        answers = _ask(client)
        health = answers["healthz"]
        if health["status"] == "ok" and health["generation"] == current_name(index) != damaged and all(
                answers[q] == 200 for q in EXPECTED):
            return health
        assert time.monotonic() < deadline, f"not recovered: {answers}"
        time.sleep(0.1)


@pytest.mark.parametrize("previous", [True, False], ids=["with a previous generation", "alone"])
@pytest.mark.parametrize(("name", "damage", "before_serving"), DAMAGE, ids=[d[0] for d in DAMAGE])
def test_a_damaged_generation_is_never_served_and_is_rebuilt(folders, caplog, name, damage, before_serving,
                                                             previous):
    data, index = folders
    if previous:
        build([data], index)
    _, info = build([data], index)
    damage(info.path)
    damaged = MISSING if damage is _current_names_a_missing_generation else info.generation
    with caplog.at_level(logging.ERROR):
        app = _app(data, index)
        client = app.test_client()
        first = _ask(client)
        if before_serving:  # found before it was served: never a result from it
            assert first["healthz"]["generation"] != damaged
        health = _until_recovered(client, index, damaged)
    assert health["records"] == 50
    # rebuilt from the data folder: the live generation is a new one, whole
    assert current_name(index) not in (None, info.generation, MISSING)
    assert check_index(index).problems == ()
    if damaged == info.generation:
        assert not info.path.exists() or integrity.damage_mark(info.path) is not None
    lines = [r.getMessage() for r in caplog.records if "is damaged and is not served" in r.getMessage()]
    assert len(lines) == 1 and damaged in lines[0]


def test_a_read_error_during_a_search_is_a_503_and_the_generation_is_checked(folders, caplog):
    """docs.bin cut short while served (after it passed its checks): the search that meets it answers 503
    index_unavailable, the check finds the damage, and the service rebuilds."""
    data, index = folders
    _, info = build([data], index)
    app = _app(data, index)
    client = app.test_client()
    engine = app.extensions["plansearch"]
    assert client.get("/api/search", query_string={"q": "いじめ"}).status_code == 200
    for _ in range(100):  # the check after start has passed
        if info.generation in engine.live._verified:
            break
        time.sleep(0.05)
    _cut_short(info.path)
    engine.live.in_use().docs._cache.clear()  # records read before the damage are not read again
    with caplog.at_level(logging.ERROR):
        response = client.get("/api/search", query_string={"q": "コロナ", "synonyms": "off"})
        assert response.status_code == 503
        assert response.get_json()["error"]["code"] == "index_unavailable"
        _until_recovered(client, index, info.generation)
    assert any("reading index generation" in r.getMessage() for r in caplog.records)


def test_healthz_says_no_index_and_rebuilding(folders, monkeypatch):
    from indexer.generations import build_lock

    data, index = folders
    _, info = build([data], index)
    app = _app(data, index)
    client = app.test_client()
    engine = app.extensions["plansearch"]
    assert client.get("/healthz").get_json()["status"] == "ok"
    for _ in range(100):  # the check after start has passed
        if info.generation in engine.live._verified:
            break
        time.sleep(0.05)
    shutil.rmtree(index)
    index.mkdir()
    engine.live._open = None  # as a process that starts on an empty folder
    engine.live.refresh()
    body = client.get("/healthz")
    assert body.status_code == 503 and body.get_json()["status"] == "no_index"
    with build_lock(index):  # a build is running
        body = client.get("/healthz")
        assert body.status_code == 503 and body.get_json()["status"] == "rebuilding"
    search = client.get("/api/search?q=いじめ")
    assert search.status_code == 503 and search.get_json()["error"]["code"] == "index_unavailable"
    assert search.headers["Retry-After"]


def test_check_command_names_each_bad_file(folders, capsys):
    from search_app.cli import main

    data, index = folders
    _, info = build([data], index)
    assert main(["check", "--index-dir", str(index)]) == 0
    assert "every file matches its checksum" in capsys.readouterr().out
    _flipped_bytes(info.path)
    _missing_file(info.path)
    assert main(["check", "--index-dir", str(index)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert sorted(err) == sorted([f"plansearch: damaged: {info.path}/arrays.npz: missing",
                                  f"plansearch: damaged: {info.path}/docs.bin: its content does not match its "
                                  "checksum"])
    assert main(["check", "--repair", "--index-dir", str(index), "--data", str(data)]) == 0
    assert "rebuilt: 50 records" in capsys.readouterr().out
    assert main(["check", "--index-dir", str(index)]) == 0


def test_a_running_server_drops_a_generation_damaged_under_it(folders):
    """plansearch serve with two worker processes: bytes flipped in the live generation's records (same size, so
    only the full check tells) and a file cut short; every answer is a correct 200 or a 503, and the server
    rebuilds and serves a whole generation again without a restart."""
    import json as json_module
    import os
    import signal
    import socket
    import subprocess
    import sys
    import urllib.error
    import urllib.request

    data, index = folders
    _, info = build([data], index)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    root = Path(__file__).resolve().parent.parent
    server = subprocess.Popen([sys.executable, "-m", "search_app.cli", "serve", "--port", str(port), "--workers", "2",
                               "--data", str(data), "--index-dir", str(index)], cwd=root, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True,
                              env={**os.environ, "PLANSEARCH_WATCH_SECONDS": "1", "PLANSEARCH_RESULT_CACHE": "0"})

    def get(path: str) -> tuple[int, dict]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as resp:
                return resp.status, json_module.load(resp)
        except urllib.error.HTTPError as err:
            return err.code, json_module.load(err)

    try:
        for _ in range(200):
            try:
                if get("/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        _flipped_bytes(info.path)
        _cut_short(info.path)  # the size now differs too: a worker that opens it anew refuses it at once
        deadline = time.monotonic() + 90
        while True:
            status, body = get("/api/search?q=%E3%81%84%E3%81%98%E3%82%81&synonyms=off")  # いじめ
            assert status in (200, 503), body
            if status == 200:
                assert body["total"] == EXPECTED["いじめ"]
            else:
                assert body["error"]["code"] == "index_unavailable"
            health_status, health = get("/healthz")
            assert health_status in (200, 503)
            if health_status == 200 and health["generation"] != info.generation and status == 200:
                break
            assert time.monotonic() < deadline, health
            time.sleep(0.2)
        assert current_name(index) != info.generation
    finally:
        server.send_signal(signal.SIGTERM)
        _, err = server.communicate(timeout=30)
    assert "is damaged and is not served" in err and "Traceback" not in err


def test_a_rebuild_forked_while_a_query_is_being_tagged_finishes(folders, monkeypatch):
    """The repair builds in a thread while the server searches: its analysis workers are forked at whatever
    moment, perhaps while a search thread holds the tagger's lock. Hold that lock for the whole build, as a
    query being tagged would at the fork, with the build cut into several runs on two workers: each worker gets
    its own lock and tagger, and the build finishes."""
    import threading

    from indexer import analysis, writer

    data, index = folders
    monkeypatch.setattr(writer, "FIRST_RUN", 10)
    monkeypatch.setattr(writer, "_workers", lambda workers: 2)
    finished: list[int] = []
    with analysis._lock:
        thread = threading.Thread(target=lambda: finished.append(build([data], index)[1].records), daemon=True)
        thread.start()
        thread.join(120)
    assert finished == [50]
