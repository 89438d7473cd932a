"""plansearch index and plansearch search: the library's answers printed, errors as one line."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from search_app.cli import main

#: Fields of one result in the /api/search body (API.md).
RESULT_FIELDS = {"measure_id", "dataset", "title", "policy", "item", "plan_page", "plan_url", "department", "section",
                 "year", "year_label", "achievement", "score", "highlights", "url"}


@pytest.fixture()
def dirs(data_dir: Path, index_dir: Path) -> list[str]:
    return ["--data", str(data_dir), "--index-dir", str(index_dir)]


def test_search_json_prints_the_api_body(capsys, dirs):
    assert main(["search", "コロナ", "--json", *dirs]) == 0
    out = capsys.readouterr().out
    body = json.loads(out)
    assert {"query", "interpreted", "total", "page", "per_page", "took_ms", "results", "facets"} <= set(body)
    assert body["query"] == "コロナ"
    assert body["total"] == 8
    assert body["facets"]["year"] == {"2020": 5, "2021": 3}
    first = body["results"][0]
    assert RESULT_FIELDS <= set(first)
    assert first["measure_id"] == "koganei/2-2-2"
    assert first["url"] == f"/measures/koganei/2-2-2#y{first['year']}"
    assert "<mark>新型コロナウイルス感染症</mark>" in first["highlights"]["status"]
    assert "新型コロナウイルス" in out  # Japanese stays readable, not \\u escapes


def test_search_json_options(capsys, dirs):
    assert main(["search", "相談件数", "--json", "--year", "2021", "--field", "evaluation", "-n", "1", *dirs]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["total"] == 2
    assert body["per_page"] == 1
    assert len(body["results"]) == 1
    assert list(body["results"][0]["highlights"]) == ["evaluation"]
    assert main(["search", "COVID", "--json", "--no-synonyms", *dirs]) == 0
    assert json.loads(capsys.readouterr().out)["total"] == 0


def test_search_prints_ranked_hits_with_marked_words(capsys, dirs):
    assert main(["search", "いじめ防止", "-n", "3", *dirs]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("4 results for (いじめ防止 OR いじめ防止対策")
    assert "\n1. いじめ防止対策  [令和3年度] koganei/1-1-4  P.44\n" in out
    assert "\n3. " in out and "\n4. " not in out
    assert "   実施内容: [いじめ防止対策]" in lines
    assert "\x1b[" not in out  # no colour when piped
    assert "<mark>" not in out


def test_search_escaped_text_is_printed_plain(capsys, dirs):
    assert main(["search", "高齢者 虐待", *dirs]) == 0
    out = capsys.readouterr().out
    assert "「小金井市[高齢者虐待]対応マニュアル」" in out
    assert "&" not in out


@pytest.mark.parametrize(("q", "message"), [
    ("OR", "plansearch: error: bad query: the query needs at least one word to look for"),
    ("-相談", "plansearch: error: bad query: the query needs at least one word to look for"),
    ("x" * 300, "plansearch: error: bad query: the query is longer than 256 characters"),
])
def test_bad_query_is_one_error_line(capsys, dirs, q, message):
    assert main(["search", *dirs, "--", q]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(message)
    assert captured.err.count("\n") == 1


def test_bad_count_is_one_error_line(capsys, dirs):
    assert main(["search", "相談", "-n", "0", *dirs]) == 2
    assert capsys.readouterr().err == "plansearch: error: -n must be between 1 and 100\n"


def test_index_prints_records_and_warnings(capsys, tmp_path, bundled_path, bundled):
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(bundled_path, data)
    index = tmp_path / "index"
    assert main(["index", str(data), "--index-dir", str(index)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == f"koganei: 25 measures, 50 records from {data / bundled_path.name}"
    warnings = [line for line in lines if line.startswith("  warning: ")]
    assert warnings == [f"  warning: {w}" for w in bundled.warnings]
    assert ("  warning: koganei_jisatsu_taisaku_r2_r3.tsv:16: 令和2年度: 達成度 「100%」 and 今後の実施計画 were in "
            "each other's columns; swapped back") in warnings
    assert lines[-1].startswith("indexed 50 records in ")
    assert lines[-1].endswith(str(index / (index / "CURRENT").read_text(encoding="utf-8")))

    assert main(["search", "もくせい教室", "--json", "--data", str(data), "--index-dir", str(index)]) == 0
    assert json.loads(capsys.readouterr().out)["total"] == 4


def test_index_of_a_missing_folder_is_one_error_line(capsys, tmp_path):
    assert main(["index", str(tmp_path / "nowhere"), "--index-dir", str(tmp_path / "index")]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("plansearch: error: ")
    assert captured.err.count("\n") == 1


def test_search_builds_a_missing_index_first(capsys, tmp_path, data_dir):
    index = tmp_path / "index"
    assert main(["search", "ハローワーク", "--json", "--data", str(data_dir), "--index-dir", str(index)]) == 0
    assert json.loads(capsys.readouterr().out)["total"] == 4
    assert (index / "CURRENT").is_file()


def test_control_characters_are_shown_not_obeyed(capsys, dirs):
    # A terminal would clear the screen on ESC[2J; the output shows it as \x1b instead.
    assert main(["search", "いじめ\x1b[2J", *dirs]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert "いじめ" in out


@pytest.mark.parametrize(("text", "shown"), [
    ("相談\x1b[31m窓口\x07\x9b\n\t", "相談\\x1b[31m窓口\\x07\\x9b\n\t"),
    (b"koganei\x9b2J.tsv".decode("utf-8", "surrogateescape"), "koganei\\x9b2J.tsv"),  # a non-UTF-8 file name
    ("\ud800", "\\ud800"),
])
def test_printable(text, shown):
    from search_app.cli.terminal import printable

    assert printable(text) == shown
    printable(text).encode("utf-8")  # writable by a strict encoder


def test_json_line_escapes_what_json_leaves_raw():
    from search_app.cli.terminal import json_line

    value = {"q": "いじめ\x9b31m\x1b", "file": b"t\x9b.csv".decode("utf-8", "surrogateescape")}
    line = json_line(value)
    assert "いじめ" in line and not re.search(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]", line)
    assert json.loads(line) == value


def test_a_log_line_cannot_be_forged(capsys):
    import logging

    from search_app.logs import PrintableFormatter

    record = logging.LogRecord("plansearch", logging.ERROR, __file__, 1, "cannot read %s", ("a\nERROR forged\x1b[2J",),
                               None)
    assert PrintableFormatter("%(levelname)s %(message)s").format(record) == \
        "ERROR cannot read a\\nERROR forged\\x1b[2J"
