"""The ``plansearch`` command: a thin layer that parses arguments, calls the library and prints what it returns
(``terminal.py`` draws results for a terminal)."""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

from indexer import Dataset, PlansearchError, read_paths
from indexer.models import TEXT_FIELDS
from indexer.years import year_label

from ..logs import configure_logging, printable
from ..settings import load_settings
from .terminal import json_line

DEFAULT_DATA = Path("data")


def _inspect(args: argparse.Namespace) -> int:
    datasets = read_paths(args.paths or [DEFAULT_DATA], encoding=args.encoding)
    if args.json:
        for ds in datasets:
            for record in ds.records():
                print(json_line(record.to_dict()))
        return 0
    for ds in datasets:
        print(printable(_summary(ds)))
    return 0


def _summary(ds: Dataset) -> str:
    records = ds.records()
    years = sorted({(r.entry.year, r.entry.year_label) for r in records})
    named = " ".join(n for n in (ds.municipality, ds.name) if n)
    lines = [f"dataset {ds.slug}: {ds.path}" + (f" ({named})" if named else ""),
             f"  years: {', '.join(f'{label} ({year})' for year, label in years)}",
             f"  measures: {len(ds.measures)}  records: {len(records)}"]
    per_policy = Counter(m.policy or "(no policy)" for m in ds.measures)
    lines += [f"    {policy}: {n} measures" for policy, n in per_policy.items()]
    if len(ds.tables) > 1:
        used = Counter(r.entry.source.file for r in records if r.entry.source)
        lines.append(f"  merged from {len(ds.tables)} tables, oldest report first:")
        lines += [f"    {t.file}: {', '.join(year_label(y) for y in t.years)}; {t.rows} measures; "
                  f"{used[t.file]} records used" for t in ds.tables]
        lines.append(f"  merge: {len(ds.merge_notes)} notes")
        lines += [f"    {w}" for w in ds.merge_notes]
    read = [w for w in ds.warnings if w not in ds.merge_notes]
    lines.append(f"  repairs and warnings: {len(read)}")
    lines += [f"    {w}" for w in read]
    return "\n".join(lines)


#: Above this many datasets, ``plansearch index`` prints a summary rather than a line per dataset.
LIST_DATASETS = 10


def _index(args: argparse.Namespace) -> int:
    from ..service import build

    started = time.perf_counter()
    errors: list[str] = []
    datasets, info = build(args.paths or [Path(args.settings["DATA_DIR"])], Path(args.index_dir),
                           encoding=args.encoding, show_progress=True, wait=args.wait, keep_previous=args.reload,
                           errors=errors)
    seconds = time.perf_counter() - started
    if len(datasets) > LIST_DATASETS:
        tables = sum(len(ds.paths) for ds in datasets)
        warned = Counter(ds.slug for ds in datasets for _ in ds.warnings)
        print(f"{len(datasets):,} datasets from {tables:,} tables: {sum(ds.measures for ds in datasets):,} "
              f"measures, {sum(warned.values()):,} warnings in {len(warned):,} datasets "
              "(plansearch inspect FOLDER lists them)")
    else:
        for ds in datasets:
            files = ", ".join(str(p) for p in ds.paths)
            print(printable(f"{ds.slug}: {ds.measures} measures, {ds.records} records from {files}"))
            for w in ds.warnings:
                print(printable(f"  warning: {w}"))
    print(f"indexed {info.records} records in {seconds:.1f} s ({info.records / max(seconds, 1e-9):,.0f} records/s) "
          f"into {printable(info.path)}")
    for message in errors:
        print(f"plansearch: error: {printable(message)}", file=sys.stderr)
    return 1 if errors else 0


def _check(args: argparse.Namespace) -> int:
    from indexer import integrity

    from ..service import build, check_index

    index_dir = Path(args.index_dir)
    report = check_index(index_dir)
    for line in report.problems:
        print(f"plansearch: damaged: {printable(line)}", file=sys.stderr)
    if not report.problems:
        print(printable(f"{report.generation}: {report.files} files, {report.bytes / 2**20:,.1f} MB: every file "
                        "matches its checksum"))
        return 0
    if not args.repair:
        return 1
    if report.generation is not None and report.generation.is_dir():
        integrity.mark_damaged(report.generation, report.problems[0])
    _, info = build([Path(args.settings["DATA_DIR"])], index_dir, keep_previous=True)
    print(printable(f"rebuilt: {info.records} records into {info.path}"))
    return 0


def _search(args: argparse.Namespace) -> int:
    from ..contract.bodies import Presenter
    from ..contract.links import Links
    from ..models import SearchRequest
    from ..query import QueryError
    from ..service import ensure_index, make_engine
    from .terminal import print_page

    settings = args.settings
    ensure_index(Path(settings["DATA_DIR"]), Path(settings["INDEX_DIR"]))
    engine = make_engine(settings)
    try:
        page = engine.search(SearchRequest(q=args.query, years=tuple(args.year), fields=tuple(args.field),
                                           per_page=args.n, page=args.page, sort=args.sort,
                                           synonyms=not args.no_synonyms))
    except QueryError as exc:
        raise PlansearchError(f"bad query: {exc}") from None
    finally:
        engine.close()
    if args.json:
        show = Presenter(Links(Path(settings["DATA_DIR"])))
        print(json_line(show.search_body(show.page(page))))
    else:
        print_page(page, color=sys.stdout.isatty())
    return 0


def _serve(args: argparse.Namespace) -> int:
    from ..web.server import serve  # the one place the command line reaches into the web app: to start it

    settings = args.settings
    host = args.host or settings["HOST"]
    port = args.port if args.port is not None else settings["PORT"]
    workers = args.workers if args.workers is not None else int(settings["WORKERS"])
    serve(settings, host, port, workers=workers, verbose=args.verbose)
    return 0


def _dirs(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", dest="data_dir", help="data folder (default: data/, or PLANSEARCH_DATA_DIR)")
    p.add_argument("--index-dir", help="index folder (default: index/, or PLANSEARCH_INDEX_DIR)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="plansearch", description="Japanese full-text search over plan-evaluation tables.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("inspect", help="read tables and summarise what was read and repaired")
    p.add_argument("paths", nargs="*", type=Path, metavar="FILE_OR_DIR", help="tables or folders (default: data/)")
    p.add_argument("--json", action="store_true", help="print one JSON object per record (JSON Lines)")
    p.add_argument("--encoding", help="text encoding of the tables (default: detected)")
    p.set_defaults(func=_inspect)

    p = sub.add_parser("index", help="build the search index from the tables")
    p.add_argument("paths", nargs="*", type=Path, metavar="FILE_OR_DIR", help="tables or folders (default: data/)")
    p.add_argument("--encoding", help="text encoding of the tables (default: detected)")
    p.add_argument("--wait", action="store_true", help="wait for a running build instead of failing")
    p.add_argument("--reload", action="store_true",
                   help="a table that cannot be read keeps the version the live index was built from (a running "
                        "service switches to the new index by itself)")
    _dirs(p)
    p.set_defaults(func=_index)

    p = sub.add_parser("check", help="verify the live index's files against their recorded checksums (exit 1 if "
                                     "one is damaged, one line per bad file)")
    p.add_argument("--repair", action="store_true", help="rebuild from the data folder if it is damaged")
    _dirs(p)
    p.set_defaults(func=_check)

    p = sub.add_parser("search", help="search the index and print ranked hits")
    p.add_argument("query")
    p.add_argument("--year", type=int, action="append", default=[], help="fiscal year, e.g. 2021 (repeatable)")
    p.add_argument("--field", choices=TEXT_FIELDS, action="append", default=[], help="field to match (repeatable)")
    p.add_argument("-n", type=int, default=10, help="results to show (1-100)")
    p.add_argument("--page", type=int, default=1)
    p.add_argument("--sort", choices=("relevance", "plan_page", "year"), default="relevance")
    p.add_argument("--no-synonyms", action="store_true", help="do not expand synonyms")
    p.add_argument("--json", action="store_true", help="print the /api/search response body")
    _dirs(p)
    p.set_defaults(func=_search)

    p = sub.add_parser("serve", help="serve the web app and JSON API (builds the index first if needed)")
    p.add_argument("--host", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, help="port (default 8000)")
    p.add_argument("--workers", type=int, help="server processes sharing the port (default 1; POSIX only)")
    _dirs(p)
    p.set_defaults(func=_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(args.verbose)
    try:
        overrides = {k: v for k, v in (("DATA_DIR", getattr(args, "data_dir", None)),
                                       ("INDEX_DIR", getattr(args, "index_dir", None))) if v}
        args.settings = load_settings(overrides)
        if getattr(args, "index_dir", None) is None:
            args.index_dir = args.settings["INDEX_DIR"]
        if hasattr(args, "n") and not 1 <= args.n <= 100:
            raise PlansearchError("-n must be between 1 and 100")
        return args.func(args)
    except ValueError as exc:
        print(f"plansearch: error: {printable(exc)}", file=sys.stderr)
        return 2
    except PlansearchError as exc:
        print(f"plansearch: error: {printable(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0

