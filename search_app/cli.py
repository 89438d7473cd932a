"""The ``plansearch`` command: a thin layer that parses arguments and calls the library."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections import Counter
from pathlib import Path

from indexer import Dataset, PlansearchError, read_paths

DEFAULT_DATA = Path("data")


def _inspect(args: argparse.Namespace) -> int:
    datasets = read_paths(args.paths or [DEFAULT_DATA], encoding=args.encoding)
    if args.json:
        for ds in datasets:
            for record in ds.records():
                print(json.dumps(record.to_dict(), ensure_ascii=False))
        return 0
    for ds in datasets:
        print(_summary(ds))
    return 0


def _summary(ds: Dataset) -> str:
    records = ds.records()
    years = sorted({(r.entry.year, r.entry.year_label) for r in records})
    lines = [f"dataset {ds.slug}: {ds.path}" + (f" ({ds.name})" if ds.name else ""),
             f"  years: {', '.join(f'{label} ({year})' for year, label in years)}",
             f"  measures: {len(ds.measures)}  records: {len(records)}"]
    per_policy = Counter(m.policy or "(no policy)" for m in ds.measures)
    lines += [f"    {policy}: {n} measures" for policy, n in per_policy.items()]
    lines.append(f"  repairs and warnings: {len(ds.warnings)}")
    lines += [f"    {w}" for w in ds.warnings]
    return "\n".join(lines)


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
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except PlansearchError as exc:
        print(f"plansearch: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
