"""When a query word may match as characters inside the text: the ways the index's own morphemes spell it.

The dictionary cuts a word by its context: ヤングケアラー alone is ヤング|ケア|ラー, but ヤング|ケアラー before を. A
query word is therefore matched not only by its own keys in a row but by every way of writing its characters as a
run of whole morphemes the index has seen (``surfaces.tsv``: each written form with its keys), each way a run of
keys that must stand in a row in the text. A match always starts and ends on the text's own morpheme boundaries:

* ヤングケアラー is found as ヤング|ケア|ラー and as ヤング|ケアラー, wherever the text has it;
* 京都 is no hit inside 東京都 (東京|都): no run of the text's morphemes spells 京都 there;
* 大和 is no hit inside 東大和市 when the dictionary made 東大和 one word; ネット none inside ネットワーク.

The one exception is a katakana form the dictionary did not know: a run it grouped by character type
(ヤングケアラーコーディネーター), not a word whose meaning it recognised. A query word may match as characters
inside such a form, at its start after whole morphemes (ヤング|ケアラーコーディネーター) or at its end before
them (``unknown_runs``).

Particles and punctuation inside the word (児童・生徒) are passed over, as in the index.
"""

from __future__ import annotations

from collections.abc import Mapping

#: Most ways of spelling one word that are looked up.
MAX_RUNS = 24
#: Longest written form tried (the longest morphemes are about this long).
MAX_PIECE = 24
#: Most runs through forms the dictionary did not know that are looked up for one word.
MAX_UNKNOWN_RUNS = 256


def key_runs(folded: str, surfaces: Mapping[str, tuple[str, ...]], limit: int = MAX_RUNS,
             passable: str | None = None) -> list[tuple[str, ...]]:
    """The runs of keys that spell ``folded`` (the word folded, without spaces) as whole morphemes of the index,
    fewest morphemes first; at most ``limit``. A morpheme without a key (a particle, an auxiliary) may only stand
    where ``passable`` (one flag a character) says the word itself has one ("1"); None: anywhere."""
    n = len(folded)
    if not n:
        return []
    # fewest[i]: fewest morphemes that spell folded[i:], to try the plainest spellings first
    fewest = [0] * (n + 1)
    for i in range(n - 1, -1, -1):
        fewest[i] = min((1 + fewest[j] for j in range(i + 1, min(n, i + MAX_PIECE) + 1)
                         if folded[i:j] in surfaces and fewest[j] < n + 1), default=n + 1)
    if fewest[0] > n:
        return []
    out: list[tuple[str, ...]] = []
    seen: set[tuple[str, ...]] = set()

    def walk(i: int, keys: tuple[str, ...], pieces: int, budget: int) -> None:
        if len(out) >= limit:
            return
        if i == n:
            if keys and keys not in seen:
                seen.add(keys)
                out.append(keys)
            return
        for j in sorted(range(i + 1, min(n, i + MAX_PIECE) + 1), key=lambda j: -j):
            piece = folded[i:j]
            if piece not in surfaces or fewest[j] > n or pieces + 1 + fewest[j] > budget:
                continue
            for key in surfaces[piece]:
                if not key and passable is not None and "0" in passable[i:j]:
                    continue  # a particle over the word's own content: its meaning would be lost
                walk(j, keys + (key,) if key else keys, pieces + 1, budget)

    for extra in range(0, n):  # spellings of the fewest morphemes first, then one more …
        walk(0, (), 0, fewest[0] + extra)
        if len(out) >= limit or fewest[0] + extra >= n:
            break
    return out


def unknown_runs(folded: str, surfaces: Mapping[str, tuple[str, ...]],
                 limit: int = MAX_UNKNOWN_RUNS, passable: str | None = None) -> list[tuple[str, ...]]:
    """The runs of keys that spell ``folded`` through forms the dictionary did not know: inside one such form,
    or whole morphemes then the start of one, or the end of one then whole morphemes; at most ``limit``.
    Needs the generation's ``SurfaceTable`` (none for a plain mapping)."""
    if not hasattr(surfaces, "unknown_containing") or len(folded) < 2:
        return []
    out: list[tuple[str, ...]] = []
    seen: set[tuple[str, ...]] = set()

    def add(run: tuple[str, ...]) -> None:
        run = tuple(k for k in run if k)
        if run and run not in seen and len(out) < limit:
            seen.add(run)
            out.append(run)

    for form in surfaces.unknown_containing(folded):
        for key in surfaces[form]:
            add((key,))
    for i in range(1, len(folded)):
        head, tail = folded[:i], folded[i:]
        starting = surfaces.unknown_starting(tail)
        if starting:
            for run in key_runs(head, surfaces, limit=4, passable=passable and passable[:i]):
                for form in starting:
                    for key in surfaces[form]:
                        add(run + (key,))
        ending = surfaces.unknown_ending(head)
        if ending:
            for run in key_runs(tail, surfaces, limit=4, passable=passable and passable[i:]):
                for form in ending:
                    for key in surfaces[form]:
                        add((key,) + run)
    return out
