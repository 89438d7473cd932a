"""plansearch as one of the peers (:mod:`bench.peer`): built and searched the way the service builds and searches.

The build reads the corpus's tables as it indexes them (``indexer.read_datasets`` into
``indexer.store.build_index``), so its time includes reading the tables, which the other peers' ``build_s``
does not. A search is ``GET /api/search``'s work in-process: ``Engine.search`` (the result cache off) and the
page as the API shows it (snippets as HTML, links). ``PLANSEARCH_CACHE_MB`` sizes the engine's cache of decoded
posting lists and matched words (the ``CACHE_MB`` setting; default 256).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path

from .peer import Answer, BuildResult, MixResult, Peer, TreeSampler, du, measure_mix, own_peak_mb
from .querymix import Query

NAME = "plansearch"
ROOT = Path(__file__).resolve().parent.parent


def engine_version() -> str:
    return f"plansearch (whoosh {version('whoosh')}, fugashi {version('fugashi')})"


def build(corpus_dir: Path, work_dir: Path) -> BuildResult:
    from indexer import read_datasets
    from indexer.store import SOURCES, build_index

    root = Path(work_dir) / "plansearch"
    shutil.rmtree(root, ignore_errors=True)
    with TreeSampler() as sampler:
        started = time.perf_counter()
        info = build_index(read_datasets([Path(corpus_dir)]), root)
        build_s = time.perf_counter() - started
    copies = du(info.path / SOURCES)
    return BuildResult(
        peer=NAME, records=info.records, read_s=0.0, build_s=round(build_s, 3),
        records_per_s=round(info.records / build_s, 1), index_bytes=du(info.path) - copies,
        peak_rss_mb=max(sampler.peak_mb, own_peak_mb()), handle=str(root),
        details={"reading_included": True, "table_copies_bytes": copies, "own_peak_mb": own_peak_mb(),
                 "sampled_peak_mb": sampler.peak_mb, "version": engine_version()},
    )


def run_mix(handle: str, queries: Sequence[Query], repeat: int) -> MixResult:
    from search_app.contract.bodies import Presenter
    from search_app.contract.links import Links
    from search_app.engine import Engine
    from search_app.models import SearchRequest

    cache_mb = int(os.environ.get("PLANSEARCH_CACHE_MB", "256"))
    engine = Engine(Path(handle), synonyms=ROOT / "data" / "synonyms.txt", concepts=ROOT / "data" / "concepts.txt",
                    result_cache=0, cache_mb=cache_mb)
    show = Presenter(Links())

    def search(q: str) -> Answer:
        body = show.search_body(show.page(engine.search(SearchRequest(q=q))))
        return Answer(body["total"], body["results"], body["facets"], body["interpreted"])

    return measure_mix(NAME, search, queries, repeat, {"cache_mb": cache_mb, "result_cache": 0})


PEER = Peer(NAME, build, run_mix, engine_version)
