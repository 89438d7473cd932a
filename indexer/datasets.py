"""Datasets from tables: a plan's yearly reports read as one dataset, its measures matched across them.

A dataset is one plan of one municipality. Its tables are the files whose dataset id is the same (the file
name's first word, or ``[datasets.ID] files = [...]`` in ``plansearch.toml``). They are merged oldest report
first: a measure of an older report is matched to the newer one by number and title (the same title under
another number is a renumbered measure; another title under the same number, if alike, a retitled one); a
measure only in the older report is kept with its years (it was dropped), one only in the newer is added. Where
two reports hold the same fiscal year, the newer report (the one whose latest year is later) wins, and every cell
that differs is reported. Every year keeps the table row it came from.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from difflib import SequenceMatcher
from pathlib import Path

from .config import DataConfig, DatasetConfig, load_config
from .models import Dataset, Measure, PlansearchError, ReadWarning, TableError, YearEntry
from .normalize import fold
from .reader import read_table
from .sources import FORMATS, table_files
from .years import year_label

#: Below this share of matched measures (of the smaller report), and with other policies, two tables are not
#: reports of one plan.
MIN_MATCHED = 0.3
#: Two titles under one number this alike (0–1) are one measure retitled.
RETITLED_SIMILARITY = 0.5
#: The year fields compared when two reports hold the same year.
_YEAR_FIELDS = {"status": "実施状況", "evaluation": "評価", "achievement": "達成度", "plan": "今後の実施計画"}

Fallback = Callable[[Path, TableError], Dataset | None]


def read_paths(paths: Iterable[Path | str], encoding: str | None = None,
               fallback: Fallback | None = None) -> list[Dataset]:
    """Read every table named, reading each folder's tables and its ``plansearch.toml``, into datasets (tables
    of one dataset merged), ordered by id.

    ``fallback(file, error)``, if given, is asked for a table when it cannot be read: it may return one (an
    earlier version), return ``None`` to leave the table out, or re-raise.
    """
    return list(read_datasets(paths, encoding, fallback))


def read_datasets(paths: Iterable[Path | str], encoding: str | None = None,
                  fallback: Fallback | None = None) -> Iterator[Dataset]:
    """``read_paths`` one dataset at a time, each read when it is asked for (a folder's tables are listed first)."""
    groups: dict[str, list[tuple[Path, DatasetConfig, DataConfig]]] = {}
    for path in (Path(p) for p in paths):
        if path.is_dir():
            config = load_config(path)
            try:
                files = table_files(path)
            except OSError as exc:
                raise PlansearchError(f"{path}: cannot be read ({exc.strerror or exc})") from None
            if not files:
                raise PlansearchError(f"{path}: no table files ({FORMATS}) in this folder")
        else:
            config, files = load_config(path.parent if path.exists() else None), [path]
        for file in files:
            ds_config = config.for_file(file)
            groups.setdefault(ds_config.slug, []).append((file, ds_config, config))
    for slug in sorted(groups):
        tables = []
        for file, ds_config, config in groups[slug]:
            try:
                tables.append(read_table(file, ds_config, config.header_aliases, encoding))
            except TableError as exc:
                if fallback is None:
                    raise
                table = fallback(file, exc)
                if table is not None:
                    tables.append(table)
        if tables:
            yield merge_tables(tables, groups[slug][0][1], fallback)


def merge_tables(tables: Sequence[Dataset], config: DatasetConfig | None = None,
                 fallback: Fallback | None = None) -> Dataset:
    """One dataset from the readings of its tables (each from ``read_table``), oldest report first.

    A table that cannot be matched to the others (another plan's structure) is a ``TableError`` naming it, or, with
    ``fallback``, is handled as a table that cannot be read.
    """
    ordered = sorted(tables, key=lambda t: (max(t.years, default=0), Path(t.path).name))
    if len(ordered) == 1:
        return _named(ordered[0], ordered, config)
    warnings: list[ReadWarning] = []
    merged = _Merged(list(ordered[0].measures), ordered[0])
    kept = [ordered[0]]
    for newer in ordered[1:]:
        try:
            merged = merged.with_report(newer, warnings)
        except TableError as exc:
            if fallback is None:
                raise
            previous = fallback(Path(newer.path), exc)
            if previous is None or previous.path == newer.path:
                continue
            merged = merged.with_report(previous, warnings)
            newer = previous
        kept.append(newer)
    newest = kept[-1]
    measures = tuple(_unique_ids(merged.measures, warnings, newest.slug))
    combined = replace(newest, measures=measures, warnings=tuple(w for t in kept for w in t.warnings) + tuple(warnings),
                       merge_notes=tuple(warnings))
    return _named(combined, kept, config)


def _named(ds: Dataset, tables: Sequence[Dataset], config: DatasetConfig | None) -> Dataset:
    """The dataset with its municipality and plan name (the configuration's, else the newest report's that
    names them), given to every measure, and its tables listed oldest first."""
    municipality = (config.municipality if config else "") or next(
        (t.municipality for t in reversed(tables) if t.municipality), "")
    name = (config.name if config else "") or next((t.name for t in reversed(tables) if t.name), "")
    measures = tuple(replace(m, municipality=municipality) for m in ds.measures)
    return replace(ds, municipality=municipality, name=name, measures=measures,
                   tables=tuple(info for t in tables for info in t.tables))


@dataclass
class _Merged:
    """The measures merged so far, and the newest report they came from."""

    measures: list[Measure]
    newest: Dataset

    def with_report(self, newer: Dataset, warnings: list[ReadWarning]) -> _Merged:
        """These measures matched to the newer report's and merged into them (its numbering and titles win)."""
        older_file, newer_file = Path(self.newest.path).name, Path(newer.path).name
        matches, notes = _match(self.measures, newer.measures)
        smaller = min(len(self.measures), len(newer.measures))
        if smaller >= 4 and len(matches) < MIN_MATCHED * smaller and not _same_policies(self.measures,
                                                                                      newer.measures):
            raise TableError(newer.path, f"matches only {len(matches)} of {smaller} measures of the other reports "
                             f"of dataset {newer.slug!r} ({older_file}); if it is another plan, give it its own "
                             "dataset id in plansearch.toml")

        def warn(measure: Measure, message: str) -> None:
            warnings.append(ReadWarning(newer_file, measure.source.line, message))

        for kind, old, new in notes:
            if kind == "renumbered":
                warn(new, f"measure 「{new.title[:40]}」 is {_number(old)} in {older_file} and {_number(new)} here "
                          f"(renumbered): one measure, {new.measure_id}")
            else:
                warn(new, f"measure {_number(new)} 「{old.title[:40]}」 of {older_file} is 「{new.title[:40]}」 here "
                          f"(retitled): one measure, {new.measure_id}")
        matched_new = {id(new): old for old, new in matches}
        out: list[Measure] = []
        for new in newer.measures:
            old = matched_new.get(id(new))
            if old is None:
                if self.measures:
                    warn(new, f"measure {new.measure_id} 「{new.title[:40]}」 is new in this report "
                              f"(not in {older_file})")
                out.append(new)
            else:
                out.append(replace(new, years=_merged_years(old, new, warnings)))
        matched_old = {id(old) for old, _ in matches}
        for old in self.measures:
            if id(old) not in matched_old:
                last = max((e.year for e in old.years), default=None)
                warnings.append(ReadWarning(older_file, old.source.line,
                                            f"measure {old.measure_id} 「{old.title[:40]}」 is not in {newer_file}; "
                                            f"kept with its years up to {year_label(last) if last else '—'}"))
                out.append(old)
        return _Merged(out, newer)


def _merged_years(old: Measure, new: Measure, warnings: list[ReadWarning]) -> tuple[YearEntry, ...]:
    """Every year of both; where both hold a year, the newer report's, each differing cell reported."""
    years = {e.year: e for e in old.years}
    for entry in new.years:
        before = years.get(entry.year)
        if before is not None:
            for name, label in _YEAR_FIELDS.items():
                a, b = getattr(before, name), getattr(entry, name)
                if a != b:
                    warnings.append(ReadWarning(
                        entry.source.file if entry.source else "", entry.source.line if entry.source else 0,
                        f"{entry.year_label} {label} of {new.measure_id} 「{new.title[:30]}」 differs from "
                        f"{_where(before)} (「{_short(a)}」 there, 「{_short(b)}」 here); this newer report's is used"))
        years[entry.year] = entry
    return tuple(years[y] for y in sorted(years))


def _where(entry: YearEntry) -> str:
    return f"{entry.source.file}:{entry.source.line}" if entry.source else "the older report"


def _short(text: str) -> str:
    return text if len(text) <= 30 else text[:29] + "…"


def _number(measure: Measure) -> str:
    """A measure's place in its plan, as its id writes it (1-2-3)."""
    return measure.measure_id.partition("/")[2]


_NOT_WORD = re.compile(r"[\W_]+")


def _title_key(title: str) -> str:
    return _NOT_WORD.sub("", fold(title))


def _match(older: Sequence[Measure], newer: Sequence[Measure]) -> tuple[list[tuple[Measure, Measure]],
                                                                        list[tuple[str, Measure, Measure]]]:
    """Pairs (older, newer) of one measure, and notes (renumbered or retitled, older, newer)."""
    pairs: list[tuple[Measure, Measure]] = []
    notes: list[tuple[str, Measure, Measure]] = []
    free_old, free_new = list(older), list(newer)

    def take(old: Measure, new: Measure, note: str | None = None) -> None:
        pairs.append((old, new))
        free_old.remove(old)
        free_new.remove(new)
        if note:
            notes.append((note, old, new))

    for old in list(free_old):  # the same number and title
        new = next((n for n in free_new if _number(n) == _number(old) and _title_key(n.title) == _title_key(old.title)),
                   None)
        if new is not None:
            take(old, new)
    for old in list(free_old):  # the same title, once in each report: renumbered
        same = [n for n in free_new if _title_key(n.title) == _title_key(old.title) and _title_key(old.title)]
        twins = [o for o in free_old if _title_key(o.title) == _title_key(old.title)]
        if len(same) == 1 and len(twins) == 1:
            take(old, same[0], "renumbered")
    for old in list(free_old):  # the same number, a title alike: retitled
        new = next((n for n in free_new if _number(n) == _number(old)), None)
        if new is not None and _alike(old.title, new.title):
            take(old, new, "retitled")
    return pairs, notes


def _same_policies(older: Sequence[Measure], newer: Sequence[Measure]) -> bool:
    """Whether two reports are of one plan by its structure: most policies of one are policies of the other (a
    report whose measures mostly started or ended that year is still the same plan)."""
    a, b = ({_title_key(m.policy) for m in ms if m.policy} for ms in (older, newer))
    return bool(a and b) and len(a & b) >= 0.5 * min(len(a), len(b))


def _alike(a: str, b: str) -> bool:
    ka, kb = _title_key(a), _title_key(b)
    if not ka or not kb:
        return False
    return ka in kb or kb in ka or SequenceMatcher(None, ka, kb, autojunk=False).ratio() >= RETITLED_SIMILARITY


def _unique_ids(measures: Sequence[Measure], warnings: list[ReadWarning], slug: str) -> list[Measure]:
    """The measures, a dropped measure whose id a newer one took renamed ``<id>.2`` (reported)."""
    seen: set[str] = set()
    out = []
    for m in measures:
        measure_id, n = m.measure_id, 1
        while measure_id in seen:
            n += 1
            measure_id = f"{m.measure_id}.{n}"
        if measure_id != m.measure_id:
            warnings.append(ReadWarning(m.source.file, m.source.line,
                                        f"measure id {m.measure_id} is taken by a measure of a newer report of "
                                        f"{slug!r}; this one is {measure_id}"))
            m = replace(m, measure_id=measure_id)
        seen.add(measure_id)
        out.append(m)
    return out
