"""Reloading while serving: bad tables keep their last good version, rebuilds switch atomically, kills leave no mess."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from indexer import PlansearchError
from search_app.cli import main
from search_app.engine import Engine
from search_app.models import SearchRequest
from search_app.reload import check_once, start_watcher
from search_app.service import ensure_index
from search_app.web import create_app

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "data" / "koganei_jisatsu_taisaku_r2_r3.tsv"
OTHER = "tama_jisatsu_taisaku_r2_r3.tsv"


def _touch_later(path: Path) -> None:
    """Make sure a rewritten file's modification time differs from before."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))


@pytest.fixture()
def two_cities(tmp_path: Path) -> tuple[Path, Path]:
    data, index = tmp_path / "data", tmp_path / "index"
    data.mkdir()
    shutil.copy(BUNDLED, data)
    shutil.copy(BUNDLED, data / OTHER)
    ensure_index(data, index)
    return data, index


def title(engine: Engine, dataset: str) -> str:
    return engine.measure(f"{dataset}/1-2-3").title


def test_a_bad_table_keeps_its_last_good_version_and_the_others_are_indexed(two_cities, caplog):
    data, index = two_cities
    engine = Engine(index)
    assert engine.info.records == 100
    (data / BUNDLED.name).write_bytes(b"\x00\x01binary garbage\x00")
    other = data / OTHER
    other.write_text(other.read_text(encoding="utf-8").replace("もくせい教室の設置", "けやき教室の設置"),
                     encoding="utf-8")
    _touch_later(other)
    assert check_once(data, index, engine) is True
    engine.refresh()
    assert engine.info.records == 100
    assert title(engine, "koganei") == "もくせい教室の設置"  # the previous version of the broken table
    assert title(engine, "tama") == "けやき教室の設置"
    assert any("still serving the previous version of dataset 'koganei'" in r.message for r in caplog.records)
    assert check_once(data, index, engine) is False  # nothing changed since: no rebuild loop


def test_index_reload_reports_the_bad_table_and_builds_the_rest(two_cities, capsys):
    data, index = two_cities
    (data / OTHER).write_text("not a table at all\n", encoding="utf-8")
    code = main(["index", "--reload", "--data", str(data), "--index-dir", str(index)])
    out, err = capsys.readouterr()
    assert code == 1
    assert "indexed 100 records" in out
    assert err.count("\n") == 1 and err.startswith("plansearch: error: ") and OTHER in err
    assert "Traceback" not in err


def test_a_new_bad_table_is_left_out_and_the_others_are_indexed(two_cities, caplog):
    data, index = two_cities
    engine = Engine(index)
    (data / "fuchu_jisatsu_taisaku.csv").write_bytes("実施内容,担当課\n".encode() + b"\x93\xfa\xff\n")
    assert check_once(data, index, engine) is True  # the new table is added: a rebuild without it
    assert engine.info.records == 100
    assert any("fuchu_jisatsu_taisaku.csv:2: is neither UTF-8 nor Shift_JIS" in r.message
               and "not indexed until it can be read" in r.message for r in caplog.records)
    assert check_once(data, index, engine) is False  # nothing changed since: no rebuild loop
    (data / "fuchu_jisatsu_taisaku.csv").write_text(BUNDLED.read_text(encoding="utf-8"), encoding="utf-8")
    _touch_later(data / "fuchu_jisatsu_taisaku.csv")
    assert check_once(data, index, engine) is True
    assert engine.info.records == 150


def test_a_reload_that_can_read_no_table_changes_nothing(tmp_path, caplog):
    data, index = tmp_path / "data", tmp_path / "index"
    data.mkdir()
    (data / "broken.tsv").write_text("not a table at all\n", encoding="utf-8")
    assert check_once(data, index, None) is False
    assert not index.exists() or not any(index.glob("gen-*"))
    assert any("no table could be read" in r.message for r in caplog.records)


def test_a_restart_comes_up_with_the_tables_it_can_read(two_cities, caplog):
    data, index = two_cities
    (data / OTHER).write_text("not a table at all\n", encoding="utf-8")
    _touch_later(data / OTHER)
    info = ensure_index(data, index)  # what serve does on start
    assert info is not None and info.records == 100
    assert title(Engine(index), "tama") == "もくせい教室の設置"  # the last good version of the broken table
    shutil.rmtree(index)
    info = ensure_index(data, index)  # a first run: the broken table is left out
    assert info is not None and info.records == 50
    assert any("not indexed until it can be read" in r.message for r in caplog.records)


def test_a_first_run_with_no_readable_table_fails_clearly(tmp_path):
    data, index = tmp_path / "data", tmp_path / "index"
    data.mkdir()
    (data / "broken.tsv").write_text("not a table at all\n", encoding="utf-8")
    with pytest.raises(PlansearchError, match="no table could be read"):
        ensure_index(data, index)


def test_index_without_reload_refuses_a_bad_table(two_cities, capsys):
    data, index = two_cities
    before = sorted(p.name for p in index.iterdir())
    (data / OTHER).write_text("not a table at all\n", encoding="utf-8")
    assert main(["index", "--data", str(data), "--index-dir", str(index)]) == 2
    assert OTHER in capsys.readouterr().err
    assert sorted(p.name for p in index.iterdir()) == before  # nothing indexed is lost


def test_the_watcher_follows_tables_removed_added_and_replaced(two_cities):
    data, index = two_cities
    engine = Engine(index)
    watcher = start_watcher(data, index, engine, seconds=0.2)

    def until(done) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not done():
            time.sleep(0.2)
            engine.refresh()
        assert done()

    try:
        (data / OTHER).unlink()  # removed
        until(lambda: engine.info.dataset_slugs == ["koganei"])
        assert engine.info.records == 50
        shutil.copy(BUNDLED, data / OTHER)  # added
        until(lambda: engine.info.dataset_slugs == ["koganei", "tama"])
        assert engine.info.records == 100
        text = (data / OTHER).read_text(encoding="utf-8").replace("もくせい教室の設置", "もくせい教室の運営")
        (data / OTHER).write_text(text, encoding="utf-8")  # replaced
        _touch_later(data / OTHER)
        until(lambda: title(engine, "tama") == "もくせい教室の運営")
        assert title(engine, "koganei") == "もくせい教室の設置"
    finally:
        watcher.stop.set()


def test_searches_during_rebuilds_never_fail_and_see_one_version(two_cities):
    data, index = two_cities
    app = create_app({"DATA_DIR": str(data), "INDEX_DIR": str(index), "TESTING": True, "RESULT_CACHE": 0})
    engine = app.extensions["plansearch"]
    one = engine.search(SearchRequest(q="相談")).total
    errors: list[str] = []
    totals: set[int] = set()
    stop = threading.Event()

    def hammer() -> None:
        client = app.test_client()
        while not stop.is_set():
            resp = client.get("/api/search?q=相談&per_page=5")
            if resp.status_code != 200:
                errors.append(f"{resp.status_code} {resp.get_data(as_text=True)[:200]}")
                continue
            body = resp.get_json()
            totals.add(body["total"])
            facet_sum = sum(body["facets"]["dataset"].values())
            if facet_sum != body["total"]:
                errors.append(f"facets {facet_sum} != total {body['total']}")

    threads = [threading.Thread(target=hammer) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for n in range(4):  # alternate between two cities and one
            if n % 2 == 0:
                (data / OTHER).unlink()
            else:
                shutil.copy(BUNDLED, data / OTHER)
            check_once(data, index, engine)
            time.sleep(0.3)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors
    assert totals <= {one, one // 2} and len(totals) == 2


def _builders(index: Path) -> list[int]:
    """Processes (a build and its analysis workers) whose command line names ``index``."""
    out = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if str(index).encode() in (proc / "cmdline").read_bytes():
                    stat = (proc / "stat").read_text().rsplit(")", 1)[1].split()
                    if stat[0] != "Z":
                        out.append(int(proc.name))
            except OSError:
                pass
    return out


def test_a_build_killed_at_any_moment_leaves_the_live_index_and_no_mess(tmp_path):
    """SIGKILL a build at random moments, with its analysis workers running: the live index keeps answering, no
    worker outlives the build by more than a second, and the next build starts at once (no lock left held)."""
    data, index = tmp_path / "data", tmp_path / "index"
    data.mkdir()
    for n in range(30):  # 1,500 records: more than one run, so the analysis workers are started
        shutil.copy(BUNDLED, data / f"city{n:02d}_r2_r3.tsv")
    (tmp_path / "small").mkdir()
    shutil.copy(BUNDLED, tmp_path / "small")
    ensure_index(tmp_path / "small", index)
    live = (index / "CURRENT").read_text(encoding="utf-8")
    rng = random.Random(7)
    for _ in range(3):
        proc = subprocess.Popen([sys.executable, "-m", "search_app.cli", "index", "--data", str(data),
                                 "--index-dir", str(index)], cwd=ROOT, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, 1.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if sys.platform.startswith("linux"):
            gone_by = time.monotonic() + 1.0
            while _builders(index) and time.monotonic() < gone_by:
                time.sleep(0.02)
            assert _builders(index) == [], "an analysis worker outlived its build by more than a second"
        if (index / "CURRENT").read_text(encoding="utf-8") != live:  # it finished before the kill
            break
        engine = Engine(index)
        assert engine.info.records == 50
        assert engine.search(SearchRequest(q="相談")).total > 0
    assert main(["index", "--data", str(data), "--index-dir", str(index)]) == 0  # at once: no --wait
    assert not list(index.glob(".build-*"))
    assert Engine(index).info.records == 30 * 50


def test_each_table_of_a_multi_table_dataset_reloads_on_its_own(tmp_path, caplog):
    """甲市's yearly reports: a broken new report is left out and a broken replaced one keeps its indexed copy;
    the dataset is merged from its tables as they then are, with every year it had."""
    cities = Path(__file__).resolve().parent / "data" / "cities"
    data, index = tmp_path / "data", tmp_path / "index"
    data.mkdir()
    for name in ("kou_jisatsu_r3.tsv", "kou_jisatsu_r4.tsv"):
        shutil.copy(cities / name, data)
    ensure_index(data, index)
    engine = Engine(index)
    assert engine.info.records == 60  # 30 records a report: 31 measures, one only in each
    (data / "kou_jisatsu_r5.tsv").write_text("no table here\n", encoding="utf-8")
    assert check_once(data, index, engine) is True
    engine.refresh()
    assert engine.info.records == 60
    assert any("kou_jisatsu_r5.tsv" in r.message and "is not indexed until it can be read" in r.message
               for r in caplog.records)
    (data / "kou_jisatsu_r4.tsv").write_bytes(b"\x00broken\x00")
    _touch_later(data / "kou_jisatsu_r4.tsv")
    assert check_once(data, index, engine) is True
    engine.refresh()
    assert engine.info.records == 60
    assert [y.year for y in engine.measure("kou/2-1-2").years] == [2021, 2022]
    assert any("still serving the previous version of dataset 'kou'" in r.message for r in caplog.records)
