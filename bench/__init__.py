"""Benchmarks of plansearch: a scaled corpus generator, a fixed query mix and an SQLite FTS5 reference peer.

Run from the repository root: ``python -m bench.corpus --records 10000`` writes (or reuses) a corpus
under ``bench/cache/`` and prints its folder; ``python -m bench.sqlite_peer --records 10000`` indexes
the same records with SQLite FTS5 and answers the query mix of ``bench/queries.txt``.
"""

from pathlib import Path

#: The folder of this package; generated corpora and databases go to its ``cache/`` (gitignored).
BENCH_DIR = Path(__file__).resolve().parent
CACHE_DIR = BENCH_DIR / "cache"
