"""Folders the index cannot grow in: a really full filesystem (a small tmpfs, mounted when the tests run as root)
and a read-only index folder (a read-only mount as root; permissions otherwise)."""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from indexer.generations import current_name
from search_app.models import SearchRequest
from search_app.reload import WatchState, check_once
from search_app.service import build, make_engine
from search_app.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent


def _can_mount() -> str | None:
    """Why a tmpfs cannot be mounted here, or None if it can."""
    if sys.platform != "linux" or os.geteuid() != 0:
        return "mounting a small filesystem needs root on Linux"
    if shutil.which("mount") is None:
        return "no mount command"
    return None


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs: room for an index of the bundled table and a build beside it, until it is filled."""
    why = _can_mount()
    if why:
        pytest.skip(why)
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True,
                          text=True)
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _data(tmp_path: Path, bundled_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(bundled_path, data)
    return data


def _fill(disk: Path, leave: int) -> None:
    """Fill the filesystem but ``leave`` bytes."""
    free = shutil.disk_usage(disk).free - leave
    if free > 0:
        (disk / "ballast").write_bytes(b"\0" * free)


def test_a_build_that_fills_the_disk_fails_in_one_line_and_the_live_index_serves(tmp_path, bundled_path,
                                                                                  small_disk, caplog):
    data = _data(tmp_path, bundled_path)
    index = small_disk / "index"
    _, live = build([data], index)
    _fill(small_disk, leave=64 * 1024)  # less than a generation
    table = data / bundled_path.name
    table.write_text(table.read_text(encoding="utf-8").replace("もくせい教室の設置", "けやき教室の設置"),
                     encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "search_app.cli", "index", "--data", str(data), "--index-dir",
                           str(index)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1, done.stderr
    assert re.fullmatch(rf"plansearch: error: {re.escape(str(index))}: the disk is full: a build needs about "
                        r"0\.\d MB while it runs \(twice the live index's 0\.\d MB\) and 0\.\d MB is free; the partial "
                        r"build was removed and the live index is still served\n", done.stderr), done.stderr
    assert not list(index.glob(".build-*"))  # nothing partial left
    assert current_name(index) == live.generation
    engine = make_engine(load_settings({"DATA_DIR": str(data), "INDEX_DIR": str(index), "RESULT_CACHE": 0},
                                       environ={}))
    assert engine.search(SearchRequest(q="もくせい教室", synonyms=False)).total == 4  # the live index, whole
    assert engine.search(SearchRequest(q="けやき教室", synonyms=False)).total == 0  # not the failed build's

    # the watcher tries once, then waits (it does not loop on a full disk) until a table changes
    state = WatchState()
    with caplog.at_level(logging.ERROR):
        assert check_once(data, index, None, state) is False
        assert check_once(data, index, None, state) is False
    failures = [r.getMessage() for r in caplog.records if "reload failed" in r.getMessage()]
    assert len(failures) == 1 and "the disk is full" in failures[0] and "trying again in 60 s" in failures[0]
    assert state.retry_at > time.monotonic() + 50
    (small_disk / "ballast").unlink()  # room again; a changed table is tried at once
    table.write_text(table.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert check_once(data, index, None, state) is True
    assert current_name(index) != live.generation


@pytest.fixture
def read_only_index(tmp_path: Path, bundled_path: Path) -> Iterator[tuple[Path, Path]]:
    """A data folder and an index folder holding one generation, then made read-only."""
    data = _data(tmp_path, bundled_path)
    if _can_mount() is None:
        mount = tmp_path / "ro"
        mount.mkdir()
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)]).returncode == 0:
            index = mount / "index"
            build([data], index)
            subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
            try:
                yield data, index
            finally:
                subprocess.run(["umount", "-l", str(mount)], check=False)
            return
    if os.geteuid() == 0:
        pytest.skip("root ignores permissions and no read-only mount could be made")
    index = tmp_path / "index"
    build([data], index)
    for path in [index, *index.rglob("*")]:
        path.chmod(path.stat().st_mode & ~0o222)
    try:
        yield data, index
    finally:
        for path in [index, *index.rglob("*")]:
            path.chmod(path.stat().st_mode | 0o200)


def test_a_read_only_index_folder_is_served_without_writing(read_only_index, caplog):
    from search_app.web import create_app

    data, index = read_only_index
    table = next(data.glob("*.tsv"))
    os.utime(table, (time.time() + 5, time.time() + 5))  # the tables look newer: a writable folder would rebuild
    with caplog.at_level(logging.WARNING):
        app = create_app({"DATA_DIR": str(data), "INDEX_DIR": str(index), "WATCH_SECONDS": 0})
    client = app.test_client()
    assert client.get("/api/search?q=いじめ").get_json()["total"] == 4
    assert client.get("/healthz").get_json()["status"] == "ok"
    assert any("is read-only: serving it as it is" in r.getMessage() for r in caplog.records)
    done = subprocess.run([sys.executable, "-m", "search_app.cli", "index", "--data", str(data), "--index-dir",
                           str(index)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr == (f"plansearch: error: {index}: the index folder is read-only; it can be served but not "
                           "built into (build elsewhere and copy the generation, or make it writable)\n")
