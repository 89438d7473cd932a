"""Peer: the same records and query mix answered by Groonga (Debian ``groonga-bin``), TokenBigram + NormalizerAuto.

One Groonga process per build and per mix run, ``groonga [-n] DB`` reading commands on its standard input and
answering each with one line of JSON on its standard output. That pipe costs about 55 µs per round trip here,
against about 200–275 µs for the same ``status`` command through ``groonga --protocol http`` on 127.0.0.1
with a kept-alive connection (and 200 against 420 µs for a small ``select``), so the pipe is used. The
process is always ended: :class:`Groonga` is a context manager that closes its input (groonga then flushes
and exits) and kills it if it has not exited within a timeout; if this Python process dies, the pipe closes
and groonga exits on its own.

Schema: ``Docs`` (TABLE_NO_KEY) with the text columns title, status, evaluation, achievement, plan (Text,
NFKC as :func:`bench.peer.record_row` gives them), measure_id, year (UInt16) and the facets dataset, policy,
department, section and achievement category as references to small hash tables (Groonga drills down by
record id). The records are loaded first, then the lexicon ``Terms`` (TABLE_PAT_KEY, TokenBigram,
NormalizerAuto) and one multi-section index column with positions over the five text columns are created,
so the index is built in one static pass.

Query translation: the query is parsed as the SQLite peer parses it; every word is written as a quoted
Groonga phrase (``"…"``, ``\\`` and ``"`` escaped), a group of ORed words in parentheses, groups separated
by spaces (AND), each exclusion as `` - "word"``. A phrase is matched as the sequence of its bigrams, so
words match inside longer words, as in the SQLite peer (1-character words by prefix on the lexicon). Match
escalation is off (``--match_escalation_threshold -1``), so a word that has no exact match finds nothing,
and the query cache is off (``--cache no``), as plansearch's result cache is off in the benchmark.

A search is one ``select``: ``--match_columns 'title * 2 || status || …'``, the top 20 by ``-_score``,
``snippet_html()`` of each text column, and one labelled drilldown per facet (``limit -1``: all values).

    python -m bench.groonga_peer --records 10000     # prints a JSON summary
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any

from . import CACHE_DIR
from .corpus import ensure_corpus, read_corpus
from .peer import (
    FACETS,
    PER_PAGE,
    TEXT_COLUMNS,
    TITLE_WEIGHT,
    Answer,
    BuildResult,
    MixResult,
    Peer,
    TreeSampler,
    du,
    iter_batches,
    measure_mix,
    own_peak_mb,
    record_row,
    status_mb,
)
from .querymix import Query, load_queries
from .sqlite_peer import Term, parse

NAME = "groonga"
GROONGA = "groonga"
BATCH = 2000
#: Facet (API name) -> (column, table it references, or None for a plain column).
FACET_COLUMNS: dict[str, tuple[str, str | None]] = {
    "year": ("year", None), "dataset": ("dataset", "Datasets"), "policy": ("policy", "Policies"),
    "department": ("department", "Departments"), "section": ("section", "Sections"),
    "achievement": ("ach_cat", "AchievementCategories"),
}
LOAD_COLUMNS: tuple[str, ...] = (*TEXT_COLUMNS, "measure_id", "year", *(c for c, _ in FACET_COLUMNS.values()
                                                                      if c != "year"))


class GroongaError(RuntimeError):
    pass


class Groonga:
    """A ``groonga DB`` process answering commands over its standard input and output."""

    def __init__(self, db: Path, create: bool = False, log: Path | None = None, timeout: float = 120.0) -> None:
        self.db = Path(db)
        self.timeout = timeout
        log = log or self.db.parent.parent / "groonga.log"  # beside the database's folder, not in it
        args = [GROONGA, "--log-path", str(log), *(["-n"] if create else []), str(self.db)]
        self._stderr = open(log.with_suffix(".stderr"), "wb")  # closed in close()
        try:
            self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr)
        except BaseException:
            self._stderr.close()
            raise
        self._in: IO[bytes] = self.proc.stdin  # type: ignore[assignment]
        self._out: IO[bytes] = self.proc.stdout  # type: ignore[assignment]

    def __enter__(self) -> Groonga:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def peak_mb(self) -> float:
        """The groonga process's peak resident memory so far (VmHWM)."""
        return round(status_mb(self.proc.pid, "VmHWM") or 0.0, 1)

    def send(self, command: str, body: str | None = None) -> Any:
        """Run one command (``body``: the lines that follow it, as for ``load``); its body, or GroongaError."""
        data = command + "\n" + (body + "\n" if body is not None else "")
        try:
            self._in.write(data.encode("utf-8"))
            self._in.flush()
            line = self._out.readline()
        except BrokenPipeError as e:
            raise GroongaError(f"groonga exited ({self.proc.poll()}): {self._tail()}") from e
        if not line:
            raise GroongaError(f"groonga exited ({self.proc.poll()}): {self._tail()}")
        header, *rest = json.loads(line)
        if header[0] != 0:
            raise GroongaError(f"{command.split(' ', 1)[0]}: {header[3] if len(header) > 3 else header}")
        return rest[0] if rest else None

    def _tail(self) -> str:
        try:
            return Path(self._stderr.name).read_text(encoding="utf-8", errors="replace")[-500:]
        except OSError:
            return ""

    def close(self) -> None:
        """End the process: close its input (it flushes and exits), kill it if it does not exit in time."""
        try:
            if self.proc.poll() is None:
                try:
                    self._in.close()
                except OSError:
                    pass
                try:
                    self.proc.wait(self.timeout)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
        finally:
            if self._out:
                self._out.close()
            self._stderr.close()


def arg(value: str) -> str:
    """A command argument in single quotes."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _schema() -> list[str]:
    out = [f"table_create {table} TABLE_HASH_KEY ShortText" for _, table in FACET_COLUMNS.values() if table]
    out.append("table_create Docs TABLE_NO_KEY")
    out += [f"column_create Docs {c} COLUMN_SCALAR Text" for c in TEXT_COLUMNS]
    out.append("column_create Docs measure_id COLUMN_SCALAR ShortText")
    out += [f"column_create Docs {c} COLUMN_SCALAR {t or 'UInt16'}" for c, t in FACET_COLUMNS.values()]
    return out


INDEX = ["table_create Terms TABLE_PAT_KEY ShortText --default_tokenizer TokenBigram --normalizer NormalizerAuto",
         f"column_create Terms docs_text COLUMN_INDEX|WITH_POSITION|WITH_SECTION Docs {','.join(TEXT_COLUMNS)}"]


def build(corpus_dir: Path, work_dir: Path) -> BuildResult:
    """Read the corpus and index it into ``work_dir/groonga/db`` with a groonga process."""
    work_dir = Path(work_dir)
    root = work_dir / "groonga"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    db = root / "db"
    with TreeSampler() as sampler:
        records, read_s = read_corpus(Path(corpus_dir))
        after_read = round(status_mb("self", "VmRSS") or 0.0, 1)
        started = time.perf_counter()
        rows = [record_row(r) for r in records]
        del records
        with Groonga(db, create=True, log=work_dir / "groonga-build.log") as g:
            for command in _schema():
                g.send(command)
            n = 0
            for batch in iter_batches(rows, BATCH):
                values = json.dumps([[row[c] for c in LOAD_COLUMNS] for row in batch], ensure_ascii=False)
                n += g.send(f"load --table Docs --columns {arg(','.join(LOAD_COLUMNS))}", values)
            loaded = time.perf_counter()
            for command in INDEX:
                g.send(command)
            indexed = time.perf_counter()
            g.send("io_flush")
            peak = g.peak_mb()
            version = g.send("status")["version"]
        build_s = time.perf_counter() - started  # with the process's exit, which writes the database out
    if n != len(rows):
        raise GroongaError(f"loaded {n} of {len(rows)} records")
    return BuildResult(
        peer=NAME, records=n, read_s=round(read_s, 3), build_s=round(build_s, 3),
        records_per_s=round(n / build_s, 1), index_bytes=du(root), peak_rss_mb=peak, handle=str(db),
        details={"rss_after_read_mb": after_read, "apparent_bytes": du(root, apparent=True),
                 "load_s": round(loaded - started, 3), "index_s": round(indexed - loaded, 3),
                 "groonga_peak_mb": peak, "python_peak_mb": own_peak_mb(), "sampled_tree_peak_mb": sampler.peak_mb,
                 "version": f"Groonga {version}"},
    )


# -- search -------------------------------------------------------------------


def _phrase(term: Term) -> str:
    return '"' + term.text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def translate(text: str) -> str | None:
    """The query of the mix in Groonga's query syntax (None: nothing to search)."""
    parsed = parse(text)
    if not parsed.groups:
        return None
    parts = [_phrase(g[0]) if len(g) == 1 else "(" + " OR ".join(_phrase(t) for t in g) + ")"
             for g in parsed.groups]
    return " ".join(parts) + "".join(" - " + _phrase(t) for t in parsed.excluded)


_MATCH_COLUMNS = " || ".join(f"{c} * {TITLE_WEIGHT:g}" if c == "title" else c for c in TEXT_COLUMNS)
_OUTPUT = ["measure_id", "dataset", "title", "year", "_score", *(f"snippet_html({c})" for c in TEXT_COLUMNS)]
_SELECT = (f"select --table Docs --match_columns {arg(_MATCH_COLUMNS)} --output_columns {arg(','.join(_OUTPUT))}"
           f" --sort_keys -_score --limit {PER_PAGE} --cache no --match_escalation_threshold -1"
           + "".join(f" --drilldowns[{name}].keys {column} --drilldowns[{name}].limit -1"
                     f" --drilldowns[{name}].output_columns _key,_nsubrecs"
                     for name, (column, _) in FACET_COLUMNS.items()))


def search(g: Groonga, text: str) -> Answer:
    query = translate(text)
    if query is None:
        return Answer(0, [], {f: {} for f in FACETS}, "")
    result, drilldowns = g.send(f"{_SELECT} --query {arg(query)}")
    total = result[0][0]
    hits = []
    for measure_id, dataset, title, year, score, *snippets in result[2:]:
        highlights = {c: s[0].replace('<span class="keyword">', "<mark>").replace("</span>", "</mark>")
                      for c, s in zip(TEXT_COLUMNS, snippets, strict=True) if s}
        hits.append({"measure_id": measure_id, "dataset": dataset, "title": title, "year": year, "score": score,
                     "highlights": highlights})
    facets = {name: {str(k): n for k, n in drilldowns[name][2:]} for name in FACETS}
    return Answer(total, hits, facets, query)


def run_mix(handle: str, queries: Sequence[Query], repeat: int) -> MixResult:
    db = Path(handle)
    with Groonga(db, log=db.parent.parent / "groonga-search.log") as g:
        version = g.send("status")["version"]
        mix = measure_mix(NAME, lambda text: search(g, text), queries, repeat)
        mix.details = {"version": f"Groonga {version}", "groonga_peak_mb": g.peak_mb(), "transport": "stdin/stdout"}
    return mix


def engine_version() -> str:
    done = subprocess.run([GROONGA, "--version"], capture_output=True, text=True, check=True)
    return done.stdout.splitlines()[0].split(" [")[0] + " (TokenBigram, NormalizerAuto)"


PEER = Peer(NAME, build, run_mix, engine_version)


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.groonga_peer", description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, required=True, help="corpus size (see bench.corpus)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(list(argv) if argv is not None else None)
    folder = ensure_corpus(args.records)
    built = build(folder, CACHE_DIR / f"peers-{args.records}")
    mix = run_mix(built.handle, load_queries(), args.repeat)
    print(json.dumps({"build": built.to_dict(), "mix": mix.to_dict()}, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
