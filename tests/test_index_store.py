"""Index generations: built beside the live one, switched atomically, never half-built, one build at a time."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from pathlib import Path

import pytest

from indexer import Dataset, Measure, PlansearchError, read_paths
from indexer.analysis import ANALYZER_VERSION
from indexer.generations import CURRENT, IndexUnavailable, build_lock
from indexer.integrity import sealed
from indexer.store import build_index, is_stale, open_index
from search_app.engine import Engine
from search_app.models import SearchRequest


@pytest.fixture()
def tables(tmp_path: Path, bundled_path: Path) -> Path:
    """A data folder holding a copy of the bundled table."""
    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copy(bundled_path, folder)
    return folder


@pytest.fixture()
def root(tmp_path: Path) -> Path:
    return tmp_path / "index"


def generations(root: Path) -> list[str]:
    return sorted(p.name for p in root.glob("gen-*"))


def leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.name.startswith(".build-") or p.name.startswith(f".{CURRENT}."))


def live(root: Path) -> str:
    return (root / CURRENT).read_text(encoding="utf-8")


def test_build_writes_a_generation_and_makes_it_live(tables, root):
    info = build_index(read_paths([tables]), root)
    assert live(root) == info.generation == generations(root)[0]
    meta = json.loads((info.path / "meta.json").read_text(encoding="utf-8"))
    assert meta["analyzer"] == ANALYZER_VERSION
    assert meta["records"] == info.records == 50
    assert [d["file"] for d in meta["datasets"]] == ["koganei_jisatsu_taisaku_r2_r3.tsv"]
    assert leftovers(root) == []


def test_rebuild_switches_to_the_new_generation(tables, root):
    first = build_index(read_paths([tables]), root)
    engine = Engine(root, synonyms=None)
    assert engine.search(SearchRequest(q="ぽかぽか教室")).total == 0

    table = next(tables.iterdir())
    table.write_text(table.read_text(encoding="utf-8").replace("もくせい教室", "ぽかぽか教室"), encoding="utf-8")
    second = build_index(read_paths([tables]), root)
    assert second.generation != first.generation
    assert live(root) == second.generation
    engine.refresh()
    assert engine.info.generation == second.generation
    assert engine.search(SearchRequest(q="ぽかぽか教室")).total == 4

    third = build_index(read_paths([tables]), root)
    assert generations(root) == sorted([second.generation, third.generation])  # the oldest is removed
    assert leftovers(root) == []


def test_the_old_generation_stays_live_until_the_new_one_is_complete(tables, root):
    first = build_index(read_paths([tables]), root)
    engine = Engine(root, synonyms=None)
    total = engine.search(SearchRequest(q="相談")).total
    seen: list[tuple[str, int]] = []

    def progress(done: int, total: int) -> None:
        engine.refresh()
        seen.append((live(root), engine.search(SearchRequest(q="相談")).total))

    second = build_index(read_paths([tables]), root, progress=progress)
    assert seen  # at least once, when every record was written
    assert set(seen) == {(first.generation, total)}
    assert live(root) == second.generation


class Unreadable(Measure):
    """A measure whose records cannot be produced: the build fails after writing the measures before it."""

    def records(self):
        raise RuntimeError("disk full")


def failing_dataset(tables: Path) -> Dataset:
    ds = read_paths([tables])[0]
    broken = Unreadable(**{f.name: getattr(ds.measures[3], f.name) for f in dataclasses.fields(Measure)})
    return dataclasses.replace(ds, measures=(*ds.measures[:3], broken, *ds.measures[4:]))


def test_a_failed_build_leaves_the_live_index_alone(tables, root, bundled):
    first = build_index(read_paths([tables]), root)
    engine = Engine(root, synonyms=None)
    before = [(h.measure_id, h.year) for h in engine.search(SearchRequest(q="相談")).results]

    with pytest.raises(RuntimeError, match="disk full"):
        build_index([failing_dataset(tables)], root)

    assert live(root) == first.generation
    assert generations(root) == [first.generation]
    assert leftovers(root) == []
    engine.refresh()
    assert engine.info.records == 50
    assert [(h.measure_id, h.year) for h in engine.search(SearchRequest(q="相談")).results] == before
    for m in bundled.measures:  # complete: every measure with both years
        assert [y.year for y in engine.measure(m.measure_id).years] == [2020, 2021]


def test_a_second_build_fails_clearly_while_one_runs(tables, root):
    first = build_index(read_paths([tables]), root)
    with build_lock(root):
        with pytest.raises(PlansearchError, match="another build is running; try again when it has finished"):
            build_index(read_paths([tables]), root)
    assert live(root) == first.generation
    assert build_index(read_paths([tables]), root).generation != first.generation  # the lock was let go


def test_an_index_from_another_analyzer_must_be_rebuilt(tables, root):
    info = build_index(read_paths([tables]), root)
    meta_path = info.path / "meta.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["analyzer"] = "ja-0/fugashi-0.0/unidic-lite-0.0"
    meta_path.write_text(json.dumps(sealed(meta)), encoding="utf-8")  # another version's, whole
    with pytest.raises(IndexUnavailable, match="rebuild it with 'plansearch index'"):
        open_index(root)
    with pytest.raises(IndexUnavailable, match="ja-0/fugashi-0.0"):
        Engine(root)
    assert is_stale(root, [next(tables.iterdir())])


def test_no_index_yet(root):
    with pytest.raises(IndexUnavailable, match="no index yet; run 'plansearch index'"):
        open_index(root)
    assert is_stale(root, [])


def test_stale_when_a_table_changes(tables, root):
    table = next(tables.iterdir())
    build_index(read_paths([tables]), root)
    assert not is_stale(root, [table])

    st = table.stat()
    os.utime(table, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert is_stale(root, [table])

    build_index(read_paths([tables]), root)
    assert not is_stale(root, [table])
    with table.open("a", encoding="utf-8") as fh:
        fh.write("\n")
    os.utime(table, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # same time as the index saw: the size tells
    assert is_stale(root, [table])


def test_stale_when_a_table_is_added(tables, root):
    table = next(tables.iterdir())
    build_index(read_paths([tables]), root)
    other = tables / "other.tsv"
    shutil.copy(table, other)
    assert is_stale(root, [table, other])


def test_analysis_on_several_cores_writes_the_same_index(bundled, tmp_path, monkeypatch):
    """Runs analysed on two cores and merged give byte for byte the postings, records and arrays of one run."""
    import dataclasses

    from indexer import writer
    from indexer.docstore import DocStore

    measures = [dataclasses.replace(m, measure_id=f"{m.measure_id}.{n}") for n in range(12) for m in bundled.measures]
    monkeypatch.setattr(writer, "RUN_RECORDS", 70)  # several runs
    folders = {}
    for workers in (1, 2):
        folders[workers] = folder = tmp_path / f"w{workers}"
        folder.mkdir()
        monkeypatch.setattr(writer, "_workers", lambda _, w=workers: w)
        assert writer.write_generation(measures, folder) == 12 * 50
    one, two = (DocStore(folders[w]) for w in (1, 2))
    assert [one.get(d) for d in range(600)] == [two.get(d) for d in range(600)]
    for name in ("arrays.npz", "surfaces.tsv", "facet_values.json"):
        assert (folders[1] / name).read_bytes() == (folders[2] / name).read_bytes(), name
    [pst1], [pst2] = (list(folders[w].glob("*.pst")) for w in (1, 2))
    assert pst1.read_bytes() == pst2.read_bytes()


def test_warming_up_reads_what_the_first_search_would(tables, root):
    """A server process warms its engine before its first request: the live generation's written forms and keys
    are read before any search."""
    build_index(read_paths([tables]), root)
    engine = Engine(root, synonyms=None)
    gen = engine.live.current()
    assert gen._keys is None
    engine.warm()
    assert gen._keys is not None and "苛" in gen._keys
    assert engine.search(SearchRequest(q="いじめ")).total == 4


def test_a_new_generation_is_warm_before_it_is_served(tables, root):
    build_index(read_paths([tables]), root)
    engine = Engine(root, synonyms=None)
    first = engine.live.current()
    build_index(read_paths([tables]), root)
    engine.live.refresh()
    second = engine.live.current()
    assert second is not first and second._keys is not None


def test_a_server_asking_whether_a_build_runs_does_not_stop_a_build(tables, root):
    """``build_running`` holds the build lock shared for an instant (a server with nothing to serve asks it on every
    request); a build starting in that instant waits it out instead of failing as if another build ran (a repair
    that failed so was never tried again)."""
    import fcntl
    import threading

    from indexer.generations import LOCK

    root.mkdir()
    probe = open(root / LOCK, "a+")  # noqa: SIM115 - closed below
    fcntl.flock(probe.fileno(), fcntl.LOCK_SH)
    threading.Timer(0.2, probe.close).start()  # closing lets go of the shared lock
    build_index(read_paths([tables]), root)
    assert live(root) in generations(root)
