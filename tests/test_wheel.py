"""A regular install works whole: the wheel, installed into a fresh venv outside the checkout, serves every page.

Builds the wheel with pip (setuptools from the package index, as any user's build would), installs it with its
dependencies into a new virtual environment in a temporary folder, and runs ``plansearch serve`` from there on a
data folder of the bundled table: the pages, a static file and the API answer with their Japanese content.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from table_tools import BUNDLED

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            return resp.status, resp.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The ``plansearch`` command of a fresh venv that has the wheel installed."""
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(ROOT), "-w", str(work / "dist")],
                   check=True, cwd=work, capture_output=True, timeout=600)
    [wheel] = (work / "dist").glob("plansearch-*.whl")
    subprocess.run([sys.executable, "-m", "venv", str(work / "venv")], check=True, timeout=300)
    pip = work / "venv" / "bin" / "pip"
    done = subprocess.run([str(pip), "install", "-q", str(wheel)], cwd=work, capture_output=True, text=True,
                          timeout=1200)
    assert done.returncode == 0, done.stderr[-2000:]
    return work / "venv" / "bin" / "plansearch"


def test_the_wheel_carries_the_templates_and_static_files(installed):
    site = next(installed.parent.parent.glob("lib/python*/site-packages"))
    assert (site / "search_app" / "web" / "templates" / "search.html").is_file()
    assert (site / "search_app" / "web" / "static" / "style.css").is_file()
    assert not (site / "templates").exists()  # not a stray top-level package


def test_a_regular_install_serves_every_page(installed, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(BUNDLED, data)
    shutil.copy(BUNDLED.parent / "synonyms.txt", data)
    port = _free_port()
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen([str(installed), "serve", "--data", str(data), "--index-dir", str(tmp_path / "index"),
                               "--port", str(port)], cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if _get(f"{base}/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert server.poll() is None, (tmp_path / "serve.log").read_text()[-2000:]
            assert time.monotonic() < deadline, "the server did not come up"
            time.sleep(0.2)
        pages = {
            "/": "計画評価検索",
            "/?q=" + urllib.parse.quote("いじめ"): "いじめ防止対策",
            "/measures/koganei/1-1-3": "スクールカウンセラー及びスクールソーシャルワーカーの配置",
            "/stats": "重点施策別の達成度",
            "/synonyms": "母子家庭等就業・自立支援",  # a concept of the shipped dictionary, packaged in the wheel
            "/static/style.css": "font-family",
            "/api/search?q=" + urllib.parse.quote("いじめ"): "いじめ防止対策",
        }
        for path, expected in pages.items():
            status, body = _get(base + path)
            assert (path, status) == (path, 200), body[:500]
            assert expected in body, path
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
