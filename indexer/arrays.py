"""Per-record columns kept beside the index as NumPy arrays: facet codes, measure codes, year, plan page, field
lengths.

Facet counts, filters, sorting, BM25 length normalisation and finding where a record's fields lie in its token
stream read these arrays instead of visiting records one by one.
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .schema import FACET_FIELDS, SEARCH_FIELDS

#: Columns kept as codes into a list of values: the facets, and each record's measure.
CODED = (*FACET_FIELDS, "measure_id")

ARRAYS_FILE = "arrays.npz"
VALUES_FILE = "facet_values.json"


class ArrayBuilder:
    """Collects one row per record, in document-number order."""

    def __init__(self) -> None:
        self.values: dict[str, dict[str, int]] = {name: {} for name in CODED}
        self.codes: dict[str, array] = {name: array("i") for name in CODED}
        self.plan_page = array("i")
        self.lengths: list[np.ndarray] = []

    def add(self, row: Sequence) -> None:
        """One record's coded values (``CODED`` order, as text), then its plan page (-1 if none)."""
        for name, value in zip(CODED, row, strict=False):
            table = self.values[name]
            self.codes[name].append(table.setdefault(value, len(table)))
        self.plan_page.append(int(row[len(CODED)]))

    def add_lengths(self, lengths: np.ndarray) -> None:
        """Records' field lengths in keys, one row per record (columns in ``SEARCH_FIELDS`` order)."""
        self.lengths.append(lengths)

    def __len__(self) -> int:
        return len(self.plan_page)

    def save(self, folder: Path) -> None:
        arrays = {f"fc_{k}": np.asarray(v, dtype=np.int32) for k, v in self.codes.items()}
        arrays["plan_page"] = np.asarray(self.plan_page, dtype=np.int32)
        arrays["lengths"] = (np.concatenate(self.lengths) if self.lengths
                             else np.zeros((0, len(SEARCH_FIELDS)))).astype(np.uint32)
        with open(folder / ARRAYS_FILE, "wb") as fh:
            np.savez(fh, **arrays)
        values = {k: list(v) for k, v in self.values.items()}
        (folder / VALUES_FILE).write_text(json.dumps(values, ensure_ascii=False), encoding="utf-8")


@dataclass(frozen=True)
class Columns:
    """The arrays of one index generation (read-only, shared by all threads)."""

    count: int
    codes: dict[str, np.ndarray]
    values: dict[str, list[str]]
    plan_page: np.ndarray
    year: np.ndarray
    #: Keys per field of each record (N × fields).
    lengths: np.ndarray
    #: Where each field starts in a record's token stream (N × fields): the fields one after another, a gap of
    #: one position between them.
    field_starts: np.ndarray
    #: Each coded column's value → its code.
    code_index: dict[str, dict[str, int]]
    #: The facets' codes side by side (N × facets, ``FACET_FIELDS`` order), each facet's codes after all the codes
    #: of the facets before it (``facet_offsets``), so that one ``bincount`` counts every facet at once; and each
    #: facet's counts over all records.
    facet_codes: np.ndarray
    facet_offsets: np.ndarray
    facet_totals: tuple[np.ndarray, ...]
    #: Each record's municipality and fiscal year as one code: municipality code × number of years + year code.
    cells: np.ndarray

    @classmethod
    def load(cls, folder: Path) -> Columns:
        with np.load(folder / ARRAYS_FILE) as data:
            arrays = {k: data[k] for k in data.files}
        values = json.loads((folder / VALUES_FILE).read_text(encoding="utf-8"))
        codes = {k: arrays[f"fc_{k}"] for k in CODED}
        year_values = np.asarray([int(v) for v in values["year"]] or [0], dtype=np.int32)
        year = year_values[codes["year"]] if len(codes["year"]) else np.zeros(0, dtype=np.int32)
        lengths = arrays["lengths"].astype(np.int64)
        field_starts = np.cumsum(lengths + 1, axis=1) - (lengths + 1)
        widths = [len(values[k]) for k in FACET_FIELDS]
        offsets = np.cumsum([0, *widths[:-1]]).astype(np.int64)
        narrow = np.uint16 if sum(widths) < 1 << 16 else np.int32
        facet_codes = (np.stack([codes[k] + offsets[i] for i, k in enumerate(FACET_FIELDS)], axis=1).astype(narrow)
                       if len(lengths) else np.zeros((0, len(FACET_FIELDS)), dtype=narrow))
        totals = tuple(np.bincount(codes[k], minlength=len(values[k])) for k in FACET_FIELDS)
        cells = codes["municipality"].astype(np.int64) * len(values["year"]) + codes["year"]
        for a in (*codes.values(), year, lengths, field_starts, facet_codes, offsets, *totals, cells):
            a.setflags(write=False)
        return cls(count=len(arrays["plan_page"]), codes=codes, values=values, plan_page=arrays["plan_page"],
                   year=year, lengths=lengths, field_starts=field_starts,
                   code_index={k: {v: i for i, v in enumerate(vs)} for k, vs in values.items()},
                   facet_codes=facet_codes, facet_offsets=offsets, facet_totals=totals, cells=cells)

    def facet_counts(self, docs: np.ndarray) -> list[np.ndarray]:
        """Per facet (``FACET_FIELDS`` order), the records of ``docs`` (ascending, distinct) for each value; when
        they are most of the index, counted as all records less the others."""
        if len(docs) > self.count // 2:
            rest = np.ones(self.count, dtype=bool)
            rest[docs] = False
            return [total - n for total, n in zip(self.facet_totals, self._counted(self.facet_codes[rest]),
                                                  strict=True)]
        return self._counted(self.facet_codes[docs])

    def _counted(self, rows: np.ndarray) -> list[np.ndarray]:
        """Each facet's counts over ``rows`` of ``facet_codes``: one ``bincount`` of them all, cut per facet."""
        width = int(self.facet_offsets[-1]) + len(self.facet_totals[-1]) if len(self.facet_totals) else 0
        counts = np.bincount(rows.ravel(), minlength=width)
        bounds = [*self.facet_offsets.tolist(), width]
        return [counts[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]

    def code_of(self, column: str, value: str) -> int | None:
        return self.code_index[column].get(value)
