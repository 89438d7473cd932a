"""``plansearch inspect``: what was read and repaired, as text or JSON Lines; one line per error."""

from __future__ import annotations

import json

import pytest

from search_app.cli import main

#: The record fields of docs API.md, in order.
RECORD_FIELDS = ["measure_id", "dataset", "municipality", "title", "policy", "item", "plan_page", "department",
                 "section", "year", "year_label", "status", "evaluation", "achievement", "plan", "source"]
BUNDLED = "data/koganei_jisatsu_taisaku_r2_r3.tsv"


@pytest.fixture
def at_repo(bundled_path, monkeypatch):
    """Run from the repository root, as the README does."""
    monkeypatch.chdir(bundled_path.parent.parent)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_inspect_summary(at_repo, bundled, capsys):
    code, out, err = run(capsys, "inspect", BUNDLED)
    assert (code, err) == (0, "")
    assert f"dataset koganei: {BUNDLED}" in out
    assert "years: 令和2年度 (2020), 令和3年度 (2021)" in out
    assert "measures: 25  records: 50" in out
    assert "重点施策2 高齢者に関する自殺対策の推進: 6 measures" in out
    assert f"repairs and warnings: {len(bundled.warnings)}" in out
    lines = out.splitlines()
    for warning in bundled.warnings:
        assert f"    {warning}" in lines
    assert "    koganei_jisatsu_taisaku_r2_r3.tsv:16: 令和2年度: 達成度 「100%」 and 今後の実施計画" in out


def test_inspect_json(at_repo, bundled, capsys):
    code, out, err = run(capsys, "inspect", "--json", BUNDLED)
    assert (code, err) == (0, "")
    records = [json.loads(line) for line in out.splitlines()]
    assert len(records) == 50
    assert all(list(r) == RECORD_FIELDS for r in records)
    assert records == [{**r.to_dict(), "municipality": "小金井市"} for r in bundled.records()]  # data/plansearch.toml
    assert records[0]["source"] == {"file": "koganei_jisatsu_taisaku_r2_r3.tsv", "line": 5}
    assert "健康づくりフォローアップ指導事業" in out  # ensure_ascii off: Japanese stays readable


def test_inspect_folder_with_encoding(bundled_rows, tmp_path, capsys):
    (tmp_path / "koganei.tsv").write_bytes("\n".join("\t".join(r) for r in bundled_rows).encode("cp932"))
    code, out, _ = run(capsys, "inspect", "--json", "--encoding", "cp932", str(tmp_path))
    assert (code, len(out.splitlines())) == (0, 50)


def put(name: str, data: bytes | None = None, *, give_folder: bool = False):
    """A maker of a bad input in a folder: writes ``name`` (unless ``data`` is None) and gives its path."""
    def make(folder, bundled_path):
        if data is not None:
            (folder / name).write_bytes(data)
        return folder if give_folder else folder / name
    return make


def two_ids(folder, bundled_path):
    """Two tables under one dataset id whose policies and measures do not match: another plan's report."""
    (folder / "koganei_r2.tsv").write_bytes(bundled_path.read_bytes())
    lines = bundled_path.read_text(encoding="utf-8").split("\n")
    other = ["\t".join(c if n < 3 or not c or (i != 1 and not c.startswith("重点施策")) else f"{c[:5]}別の計画の事業{n}"
                       for i, c in enumerate(line.split("\t"))) for n, line in enumerate(lines)]
    (folder / "koganei_r3.tsv").write_text("\n".join(other), encoding="utf-8")
    return folder


#: (what is wrong, how to make it in a folder, what the error line says)
BAD = [
    ("empty file", put("koganei.tsv", b""), "koganei.tsv: is empty"),
    ("missing file", put("nothing.tsv"), "nothing.tsv: cannot be read (No such file or directory)"),
    ("binary file", put("k.csv", bytes(range(256))), "k.csv: looks binary"),
    ("no header", put("k.csv", "番号,内容\n1,説明\n".encode()), "k.csv: no recognizable header row"),
    ("broken workbook", put("k.xlsx", b"PK\x03\x04..."), "k.xlsx: is not a readable .xlsx workbook"),
    ("no tables", put("memo.md", b"", give_folder=True),
     ": no table files (.tsv, .csv, .xlsx, .xls, .ods) in this folder"),
    ("a second report of another plan", two_ids, "koganei_r3.tsv: matches only"),
    ("bad config", put("plansearch.toml", b"[datasets", give_folder=True), "plansearch.toml: not valid TOML"),
]


@pytest.mark.parametrize(("what", "make", "says"), BAD, ids=[case[0] for case in BAD])
def test_inspect_bad_input_is_one_error_line(bundled_path, tmp_path, capsys, what, make, says):
    path = make(tmp_path, bundled_path)
    code, out, err = run(capsys, "inspect", str(path))
    assert code != 0
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("plansearch: error: ")
    assert says in err and str(tmp_path) in err
    assert "Traceback" not in err


def test_inspect_wrong_encoding(at_repo, capsys):
    code, out, err = run(capsys, "inspect", "--encoding", "utf-16", BUNDLED)
    assert (code, out) == (2, "")
    assert err == (f"plansearch: error: {BUNDLED}: no recognizable header row when decoded as utf-16, as asked; "
                   "is that the file's encoding?\n")
