"""Per-document columns kept beside the Whoosh index as NumPy arrays: facet codes, measure codes, year, plan page,
field lengths.

Facet counts, filters, sorting and BM25 length normalisation read these arrays
instead of visiting documents one by one.
"""

from __future__ import annotations

import json
from array import array
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .schema import FACET_FIELDS, SEARCH_FIELDS

#: Columns kept as codes into a list of values: the facets, and each record's measure.
CODED = (*FACET_FIELDS, "measure_id")

ARRAYS_FILE = "arrays.npz"
VALUES_FILE = "facet_values.json"
VOCAB_FILE = "vocab.txt"


class ArrayBuilder:
    """Collects one row per document, in document-number order."""

    def __init__(self) -> None:
        self.values: dict[str, dict[str, int]] = {name: {} for name in CODED}
        self.codes: dict[str, list[int]] = {name: [] for name in CODED}
        self.numbers: dict[str, list[int]] = {"plan_page": [], **{f"len_{f}": [] for f in SEARCH_FIELDS}}
        self.vocab: dict[str, int] = {}
        self.tokens: dict[str, array] = {f: array("I") for f in SEARCH_FIELDS}

    def add(self, row: dict, keys: dict[str, list[str]] | None = None) -> None:
        """One document's row; ``keys`` are its index keys per field, in order (for phrase checks)."""
        vocab = self.vocab
        for name, seq in (keys or {}).items():
            self.tokens[name].extend([vocab.setdefault(k, len(vocab)) for k in seq])
        for name in CODED:
            table = self.values[name]
            value = str(row[name])
            self.codes[name].append(table.setdefault(value, len(table)))
        for name, column in self.numbers.items():
            column.append(int(row.get(name, 0)))

    def __len__(self) -> int:
        return len(self.numbers["plan_page"])

    def save(self, folder: Path) -> None:
        arrays = {f"fc_{k}": np.asarray(v, dtype=np.int32) for k, v in self.codes.items()}
        arrays.update({k: np.asarray(v, dtype=np.int32) for k, v in self.numbers.items()})
        arrays.update({f"tok_{k}": np.frombuffer(v, dtype=np.uint32) for k, v in self.tokens.items()})
        with open(folder / ARRAYS_FILE, "wb") as fh:
            np.savez(fh, **arrays)
        values = {k: list(v) for k, v in self.values.items()}
        (folder / VALUES_FILE).write_text(json.dumps(values, ensure_ascii=False), encoding="utf-8")
        (folder / VOCAB_FILE).write_text("\n".join(self.vocab), encoding="utf-8")


@dataclass(frozen=True)
class Columns:
    """The arrays of one index generation (read-only, shared by all threads)."""

    count: int
    codes: dict[str, np.ndarray]
    values: dict[str, list[str]]
    plan_page: np.ndarray
    year: np.ndarray
    lengths: dict[str, np.ndarray]
    avg_length: dict[str, float]
    tokens: dict[str, np.ndarray]  # per field: every document's key ids, one after another
    starts: dict[str, np.ndarray]  # per field: where each document's keys start in ``tokens`` (N + 1)
    vocab: dict[str, int]
    #: Each coded column's value → its code.
    code_index: dict[str, dict[str, int]]

    @classmethod
    def load(cls, folder: Path) -> Columns:
        with np.load(folder / ARRAYS_FILE) as data:
            arrays = {k: data[k] for k in data.files}
        values = json.loads((folder / VALUES_FILE).read_text(encoding="utf-8"))
        codes = {k: arrays[f"fc_{k}"] for k in CODED}
        year_values = np.asarray([int(v) for v in values["year"]] or [0], dtype=np.int32)
        year = year_values[codes["year"]] if len(codes["year"]) else np.zeros(0, dtype=np.int32)
        lengths = {f: arrays[f"len_{f}"].astype(np.float64) for f in SEARCH_FIELDS}
        avg = {f: float(a.mean()) if len(a) and a.mean() > 0 else 1.0 for f, a in lengths.items()}
        tokens = {f: arrays[f"tok_{f}"] for f in SEARCH_FIELDS}
        starts = {f: np.concatenate(([0], np.cumsum(arrays[f"len_{f}"], dtype=np.int64))) for f in SEARCH_FIELDS}
        text = (folder / VOCAB_FILE).read_text(encoding="utf-8")
        vocab = {k: i for i, k in enumerate(text.split("\n"))} if text else {}
        for a in (*codes.values(), year, *lengths.values(), *tokens.values(), *starts.values()):
            a.setflags(write=False)
        return cls(count=len(arrays["plan_page"]), codes=codes, values=values, plan_page=arrays["plan_page"],
                   year=year, lengths=lengths, avg_length=avg, tokens=tokens, starts=starts, vocab=vocab,
                   code_index={k: {v: i for i, v in enumerate(vs)} for k, vs in values.items()})

    def runs(self, field: str, keys: tuple[str, ...]) -> np.ndarray:
        """Documents whose ``field`` has ``keys`` one right after another (sorted document numbers)."""
        ids = [self.vocab.get(k) for k in keys]
        if any(i is None for i in ids):
            return np.zeros(0, dtype=np.int32)
        tokens, starts = self.tokens[field], self.starts[field]
        at = np.flatnonzero(tokens == ids[0])
        for j, token in enumerate(ids[1:], start=1):
            at = at[at + j < len(tokens)]
            at = at[tokens[at + j] == token]
        docs = np.searchsorted(starts, at, side="right") - 1
        inside = at + len(ids) <= starts[docs + 1]
        return np.unique(docs[inside]).astype(np.int32)

    def code_of(self, column: str, value: str) -> int | None:
        return self.code_index[column].get(value)
