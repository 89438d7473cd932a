"""Hostile tables: wrong encodings, enormous cells and 100k rows are read whole or refused with a clear error."""

from __future__ import annotations

import time

import pytest
from table_tools import unaccounted

from indexer import TableError, read_table
from indexer.sources import MAX_CELL_CHARS, read_rows


@pytest.mark.parametrize("encoding", ["cp932", "utf-16", "gb18030"])
def test_a_table_in_another_encoding_read_as_utf8_is_refused_or_read_whole(tmp_path, bundled_path, encoding):
    path = tmp_path / "other.tsv"
    path.write_bytes(bundled_path.read_text(encoding="utf-8").encode(encoding))
    try:
        ds = read_table(path, encoding="utf-8")
    except TableError as exc:
        assert str(path) in str(exc)
    else:  # only if the bytes happen to be valid UTF-8: then every cell is accounted for
        assert unaccounted(ds, [r.cells for r in read_rows(path, "utf-8")]) == {}


def test_an_enormous_cell_is_refused_with_its_line(tmp_path, bundled_path):
    lines = bundled_path.read_text(encoding="utf-8").split("\n")
    cells = lines[6].split("\t")
    cells[7] = "長" * (MAX_CELL_CHARS + 1)
    lines[6] = "\t".join(cells)
    path = tmp_path / "huge.tsv"
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(TableError, match=r"huge\.tsv:7: has a cell of 100,001 characters"):
        read_table(path)


def test_a_table_of_100k_rows_is_read(tmp_path, bundled_path):
    header = bundled_path.read_text(encoding="utf-8").split("\n")[2]
    rows = [header, "重点施策1 テスト"]
    for n in range(100_000):
        item = n // 1000 + 1
        rows.append("\t".join([f"({item}) 項目{item}", f"{n % 1000 + 1} 施策{n}", "P.1", "部", "課", "",
                               f"状況{n}", "評価", "実施", "計画", f"状況{n}", "評価", "100%", "計画"]))
    path = tmp_path / "big.tsv"
    path.write_text("\n".join(rows), encoding="utf-8")
    started = time.monotonic()
    ds = read_table(path)
    assert len(ds.measures) == 100_000 and len(ds.records()) == 200_000
    assert time.monotonic() - started < 120
