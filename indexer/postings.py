"""Posting lists: the records a key occurs in, how much it weighs there, in which fields and at which positions.

One posting list per key, all fields together. For each record (by ascending document number) it holds:

* ``weight``: the key's BM25F term weight in the record, ``Σ field weight × occurrences / length norm``, the
  part of a BM25F score that depends on the record alone (float16);
* ``fields``: a bit mask of the fields it occurs in (``FIELD_BITS``);
* its ``positions`` in the record's token stream: the fields' keys one after another, in ``SEARCH_FIELDS``
  order, with a gap between fields so that no phrase runs from one field into the next.

On disk (inside the Whoosh postings file, see ``writer.py``) a list is a header and flat arrays. Document numbers
and positions are stored as deltas, counts as they are, each in one byte; a value of 255 or more is written as 255
and kept, in order, in a uint32 array of exceptions. Decoding is a few NumPy passes over the whole list.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import numpy as np

from .schema import SEARCH_FIELDS

#: Bit of each searchable field in a posting's field mask.
FIELD_BITS: dict[str, int] = {name: 1 << i for i, name in enumerate(SEARCH_FIELDS)}
#: n records, n positions, exceptions among the record deltas, the counts and the position deltas.
_HEADER = struct.Struct("<IIIII")
_ESCAPE = 255


def _escaped(values: np.ndarray) -> tuple[bytes, bytes]:
    """(one byte per value, uint32 exceptions for the values ≥ 255)."""
    big = values >= _ESCAPE
    small = np.where(big, _ESCAPE, values).astype(np.uint8)
    return small.tobytes(), values[big].astype(np.uint32).tobytes()


def _unescaped(small: np.ndarray, exceptions: np.ndarray) -> np.ndarray:
    out = small.astype(np.int64)
    if len(exceptions):
        out[small == _ESCAPE] = exceptions
    return out


def encode(docs: np.ndarray, weights: np.ndarray, masks: np.ndarray, counts: np.ndarray,
           positions: np.ndarray) -> bytes:
    """A posting list as bytes. ``docs`` ascending; ``counts[i]`` positions of record i, ascending, in
    ``positions`` one record after another."""
    docs = np.asarray(docs, dtype=np.int64)
    counts = np.asarray(counts, dtype=np.int64)
    positions = np.asarray(positions, dtype=np.int64)
    doc_deltas = np.diff(docs, prepend=-1)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    previous = np.concatenate(([-1], positions[:-1]))
    if len(positions):
        previous[starts[counts > 0]] = -1  # a record's first position counts from -1
    d_small, d_exc = _escaped(doc_deltas)
    c_small, c_exc = _escaped(counts)
    p_small, p_exc = _escaped(positions - previous)
    header = _HEADER.pack(len(docs), len(positions), len(d_exc) // 4, len(c_exc) // 4, len(p_exc) // 4)
    return b"".join((header, d_exc, c_exc, p_exc, np.asarray(weights, dtype=np.float16).tobytes(), d_small,
                     np.asarray(masks, dtype=np.uint8).tobytes(), c_small, p_small))


#: A record's position packed with it into one number: record << POSITION_BITS | position.
POSITION_BITS = 20
#: The most positions a record can have (a cell holds at most 100,000 characters, far fewer keys).
MAX_POSITIONS = 1 << POSITION_BITS


@dataclass
class Postings:
    """A decoded posting list (positions are decoded when asked for, and not kept)."""

    docs: np.ndarray  # int32, ascending
    weights: np.ndarray  # float32
    masks: np.ndarray  # uint8
    counts: np.ndarray  # int32: positions per record
    _position_deltas: tuple[np.ndarray, np.ndarray] = field(repr=False, default=None)  # (bytes, exceptions)

    def __len__(self) -> int:
        return len(self.docs)

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.docs, self.weights, self.masks, self.counts, *self._position_deltas))

    @property
    def positions_count(self) -> int:
        return len(self._position_deltas[0])

    def positions(self) -> np.ndarray:
        """Every record's positions, one record after another (int64)."""
        deltas = _unescaped(*self._position_deltas)
        total = np.cumsum(deltas)
        starts = np.concatenate(([0], np.cumsum(self.counts[:-1], dtype=np.int64)))
        base = np.concatenate(([0], total))[starts]  # the running total before each record
        return total - np.repeat(base, self.counts) - 1

    def codes(self) -> np.ndarray:
        """Every occurrence as record << ``POSITION_BITS`` | position, ascending (int64)."""
        return (np.repeat(self.docs.astype(np.int64), self.counts) << POSITION_BITS) | self.positions()


def decode(data: bytes | memoryview) -> Postings:
    n, n_pos, n_dexc, n_cexc, n_pexc = _HEADER.unpack_from(data, 0)
    at = _HEADER.size

    def take(dtype, count: int) -> np.ndarray:
        nonlocal at
        out = np.frombuffer(data, dtype=dtype, count=count, offset=at)
        at += out.nbytes
        return out

    d_exc, c_exc, p_exc = take(np.uint32, n_dexc), take(np.uint32, n_cexc), take(np.uint32, n_pexc)
    weights = take(np.float16, n).astype(np.float32)
    docs = np.cumsum(_unescaped(take(np.uint8, n), d_exc)) - 1
    masks = take(np.uint8, n)
    counts = _unescaped(take(np.uint8, n), c_exc).astype(np.int32)
    position_deltas = (take(np.uint8, n_pos), p_exc)
    return Postings(docs.astype(np.int32), weights, masks, counts, position_deltas)
