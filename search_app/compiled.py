"""Compile a parsed query: each word becomes its alternatives (itself and its synonyms), each analysed once.

An alternative is matched by runs of keys that must stand in a row (see ``matching.py``): its own keys
(新型コロナウイルス is 新型|コロナ|ウイルス in a row, never apart), and every other way the index's own
morphemes spell it (``lattice.py``: ヤングケアラー is also ヤング|ケアラー). A quoted phrase gets no synonyms.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from indexer.analysis import keys, morphemes_of
from indexer.normalize import fold, normalize

from .concepts import ConceptTable
from .highlight import Pattern
from .lattice import key_runs, unknown_runs
from .query import And, Node, Not, Or, Word
from .reading import ConceptUse, Reading, read_word
from .synonyms import SynonymTable

Surfaces = Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class Alternative:
    text: str
    keys: tuple[str, ...]
    folded: str  # folded, without spaces
    #: The runs of keys that match it: its own keys, then the other spellings with the index's morphemes.
    runs: tuple[tuple[str, ...], ...] = ()


#: Added to the score of a record that matches a word as typed (or a synonym of it) where the word is also
#: searched through concepts: exact words rank first.
EXACT_FIRST = 1000.0


@dataclass(frozen=True)
class CompiledWord:
    word: Word
    alternatives: tuple[Alternative, ...]
    #: The alternatives reached through the concept dictionary (ranked below ``alternatives`` when ``boost``).
    concepts: tuple[Alternative, ...] = ()
    boost: float = 0.0  # added to the score of a record that matches one of ``alternatives``


@dataclass(frozen=True)
class AnyOf:
    """A sentence's concepts and words: records with any of them, scored by their sum times the share of them
    the record has (a record about the flood and the low mood ranks above one about either)."""

    nodes: tuple[CompiledNode, ...]


CompiledNode = CompiledWord | Not | And | Or | AnyOf


@dataclass
class CompiledQuery:
    """What a query looks up: its tree of words with their alternatives, and what the page says about it."""

    root: CompiledNode | None  # None: nothing in the query can match anything
    node: Node | None  # the parsed query, after multi-word terms were joined (None: no query, browsing)
    patterns: list[Pattern] = field(default_factory=list)
    #: Every run of keys a positive word matches by: what snippets mark.
    runs: list[tuple[str, ...]] = field(default_factory=list)
    expansions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    #: How each word read through the concept dictionary was read (those that are searched as more than
    #: themselves).
    readings: list[Reading] = field(default_factory=list)
    #: Whether a run of keys occurs in the index (the generation's): a term it never uses finds only its family.
    in_index: Callable[[tuple[str, ...]], bool] = field(default=lambda keys: True, repr=False)

    def interpreted(self) -> str:
        """The parsed query with each expanded word shown as (word OR synonym …), and a sentence as what it was
        reduced to."""
        if self.node is None:
            return ""
        return _render(self.node, self.expansions, {r.text: r for r in self.readings})


def alternative(text: str, surfaces: Surfaces | None = None, strict: bool = False) -> Alternative:
    """A word's text with its keys and the runs of keys that match it (its own, then, given the index's
    written forms, every other way they spell it). ``strict`` (a phrasing of the concept dictionary, not a word
    as typed): a spelling passes over a particle only where the phrasing itself has one. A word as typed may be
    any run of a text's words, whatever the query alone makes of it (から各校, したため), so it is not held to
    that."""
    own = tuple(keys(text))
    folded = "".join(fold(text).split())
    runs = [own] if own else []
    if surfaces is not None:
        passable = _passable(text) if strict else None
        runs += [r for r in key_runs(folded, surfaces, passable=passable) if r != own]
        runs += [r for r in unknown_runs(folded, surfaces, passable=passable) if r not in runs]
    return Alternative(text, own, folded, tuple(runs))


def _passable(text: str) -> str:
    """Which characters of the phrase (folded, without spaces) a spelling of it may pass over as a particle, an
    auxiliary or punctuation: those the phrase's own analysis passes over ("1"), not those of its content words
    ("0"). Else からかわれる could be spelt から|かわ|れる and found as 川 alone."""
    folded = fold(text)
    mask = ["1"] * len(folded)
    for m in morphemes_of(text):
        if m.key:
            mask[m.start:m.end] = "0" * (m.end - m.start)
    return "".join(flag for ch, flag in zip(folded, mask, strict=True) if not ch.isspace())


AlternativeOf = Callable[..., Alternative]


def compile_query(node: Node, table: SynonymTable, alternative_of: AlternativeOf = alternative,
                  concepts: ConceptTable | None = None,
                  in_index: Callable[[tuple[str, ...]], bool] = lambda keys: True) -> CompiledQuery:
    """Each word of ``node`` with its alternatives, each made by ``alternative_of`` (with the runs of keys of the
    index's own spellings, given a generation's). With ``concepts``, a word that is a concept's term or phrasing
    also finds the concept's terms (ranked below the word itself), and a word written as a short sentence is
    searched as its concepts and content words (``reading.py``)."""
    node = separated(node, table, concepts)
    if table.longest > 1:
        node = join_terms(node, table)
    out = CompiledQuery(root=None, node=node)
    out.in_index = in_index
    out.root = _compile(node, table, out, positive=True, alternative_of=alternative_of, concepts=concepts)
    return out


#: Marks that separate words in Japanese as a space does: 、 ， ・ ／ (NFKC makes ， and ／ ASCII); a comma between
#: digits (1,000) is part of a number.
_SEPARATOR = re.compile(r"[、・/]|(?<!\d),|,(?!\d)")
_KANA = re.compile(r"[\u3041-\u309f]{1,2}")


def separated(node: Node, table: SynonymTable, concepts: ConceptTable | None) -> Node:
    """Each word written with Japanese separators (いじめ、SOSの出し方; 児童・生徒) as the words between them (all
    required, as if typed with spaces), unless the whole is a dictionary term (孤独・孤立) or quoted."""
    if isinstance(node, Not):
        return Not(separated(node.node, table, concepts))
    if isinstance(node, And | Or):
        parts = [separated(n, table, concepts) for n in node.nodes]
        if isinstance(node, And):  # a split word's parts join the words around it
            parts = [p for part in parts for p in (part.nodes if isinstance(part, And) else (part,))]
        return type(node)(tuple(parts))
    if node.phrase or not _SEPARATOR.search(node.text):
        return node
    if table.expand(node.text) or (concepts is not None and concepts.of_text(node.text)):
        return node
    # a part that is only particles in the sentence (the て of 「…して、生活」), or a kana or two on its own, is
    # dropped: alone it would be read as a word of its own
    folded = normalize(node.text).text
    meaning = [m for m in morphemes_of(node.text) if m.key]
    parts, start = [], 0
    for cut in [*_SEPARATOR.finditer(folded), None]:
        end = cut.start() if cut else len(folded)
        piece = folded[start:end].strip()
        if piece and not _KANA.fullmatch(piece) and any(start <= m.start and m.end <= end for m in meaning):
            parts.append(Word(piece))
        start = cut.end() if cut else end
    if not parts:
        return node
    return parts[0] if len(parts) == 1 else And(tuple(parts))


def _compile(node: Node, table: SynonymTable, out: CompiledQuery, positive: bool,
             alternative_of: AlternativeOf = alternative, concepts: ConceptTable | None = None) -> CompiledNode | None:
    if isinstance(node, Word):
        reading = read_word(node.text, concepts) if concepts is not None and positive and not node.phrase else None
        if reading is not None and reading.sentence:
            return _sentence(node, reading, table, out, alternative_of)
        word = _word(node, table, out, positive, alternative_of)
        if reading is None or not reading.concepts:
            return word
        used = word is not None and any(out.in_index(a.keys) for a in word.alternatives)
        extra = _concept_alternatives(reading.concepts, word.alternatives if word else (), out, alternative_of,
                                      used)
        if not extra:
            return word
        out.readings.append(reading)
        if word is None:  # not in any text as typed, but its concept's terms are
            out.ignored = [w for w in out.ignored if w != node.text]
        return CompiledWord(node, word.alternatives if word else (), extra, EXACT_FIRST)
    if isinstance(node, Not):
        inner = _compile(node.node, table, out, positive=False, alternative_of=alternative_of)
        return Not(inner) if inner is not None else None
    parts = [p for p in (_compile(n, table, out, positive, alternative_of, concepts) for n in node.nodes)
             if p is not None]
    if not parts:
        return None
    if isinstance(node, Or):
        return parts[0] if len(parts) == 1 else Or(tuple(parts))
    if all(isinstance(p, Not) for p in parts):
        return None
    return parts[0] if len(parts) == 1 else And(tuple(parts))


def _word(node: Word, table: SynonymTable, out: CompiledQuery, positive: bool,
          alternative_of: AlternativeOf) -> CompiledWord | None:
    """The word as typed and its synonyms (none for a quoted phrase)."""
    texts = [node.text]
    if not node.phrase:
        extra = table.expand(node.text)
        if extra:
            texts += list(extra)
            if positive:
                out.expansions[node.text] = extra
    alts = tuple(a for a in (alternative_of(t) for t in texts) if a.runs)
    if not alts:
        if positive:
            out.ignored.append(node.text)
        return None
    if positive:
        _marked(alts, out)
    return CompiledWord(node, alts)


def _marked(alts: tuple[Alternative, ...], out: CompiledQuery) -> None:
    """What snippets mark: the alternatives' patterns and runs of keys."""
    out.patterns.extend(Pattern(a.keys, a.folded) for a in alts)
    out.runs.extend(r for a in alts for r in a.runs if r not in out.runs)


def _concept_alternatives(uses: tuple[ConceptUse, ...], have: tuple[Alternative, ...], out: CompiledQuery,
                          alternative_of: AlternativeOf, used: bool = True) -> tuple[Alternative, ...]:
    """The alternatives of the concepts' phrases (as typed) and what they find, but those already among ``have``;
    ``used``: the word as typed occurs in the texts."""
    seen = {a.folded for a in have}
    alts = []
    for use in uses:
        for text in (use.phrase, *use.finds_where(used)):
            alt = alternative_of(text, strict=True)
            if alt.runs and alt.folded not in seen:
                seen.add(alt.folded)
                alts.append(alt)
    _marked(tuple(alts), out)
    return tuple(alts)


def _sentence(node: Word, reading: Reading, table: SynonymTable, out: CompiledQuery,
              alternative_of: AlternativeOf) -> CompiledNode | None:
    """A word written as a sentence. With concepts found in it: any of its concepts and other content words.
    With none: all of its content words, anywhere in the text (not in a row). Either way, records that have the
    sentence as typed first."""
    literal = _word(node, table, out, positive=True, alternative_of=alternative_of)
    parts: list[CompiledNode] = []
    for use in reading.concepts:
        alts = _concept_alternatives((use,), (), out, alternative_of)
        if alts:
            parts.append(CompiledWord(Word(use.phrase), (), alts))
    words = [w for w in (_word(Word(text), table, out, True, alternative_of) for text in reading.words) if w]
    if parts:
        parts += [CompiledWord(w.word, (), w.alternatives) for w in words]
    elif len(words) > 1 or (words and (literal is None or words[0].alternatives != literal.alternatives)):
        parts = [words[0] if len(words) == 1 else And(tuple(words))]
    else:  # nothing read but the words as typed: as today
        return literal
    out.readings.append(reading)
    read = parts[0] if len(parts) == 1 else AnyOf(tuple(parts))
    if literal is None:
        return read
    out.ignored = [w for w in out.ignored if w != node.text]
    return Or((CompiledWord(node, literal.alternatives, boost=EXACT_FIRST), read))


def join_terms(node: Node, table: SynonymTable) -> Node:
    """Join adjacent words that together form a multi-word dictionary term (school counselor)."""
    if isinstance(node, Or):
        return Or(tuple(join_terms(n, table) for n in node.nodes))
    if isinstance(node, Not):
        return Not(join_terms(node.node, table))
    if not isinstance(node, And):
        return node
    nodes = list(node.nodes)
    out: list[Node] = []
    i = 0
    while i < len(nodes):
        for size in range(min(table.longest, len(nodes) - i), 1, -1):
            run = nodes[i:i + size]
            if all(isinstance(n, Word) and not n.phrase for n in run):
                joined = " ".join(n.text for n in run)  # type: ignore[union-attr]
                if table.expand(joined):
                    out.append(Word(joined))
                    i += size
                    break
        else:
            out.append(join_terms(nodes[i], table))
            i += 1
    return out[0] if len(out) == 1 else And(tuple(out))


def _render(node, expansions: dict[str, tuple[str, ...]], readings: dict[str, Reading] | None = None) -> str:
    readings = readings or {}
    if isinstance(node, Word):
        alts = list(expansions.get(node.text, ())) if not node.phrase else []
        reading = readings.get(node.text) if not node.phrase else None
        if reading is not None:
            terms = [u.concept.head for u in reading.concepts if u.by_phrasing]
            if reading.sentence:
                return "(" + " OR ".join(dict.fromkeys([node.text, *alts, *terms, *reading.words])) + ")"
            alts += [t for t in terms if t != node.text]
        return "(" + " OR ".join(dict.fromkeys([node.text, *alts])) + ")" if alts else str(node)
    if isinstance(node, Not):
        inner = _render(node.node, expansions, readings)
        return f"-({inner})" if isinstance(node.node, And | Or) else f"-{inner}"
    joiner = " OR " if isinstance(node, Or) else " "
    return joiner.join(f"({_render(n, expansions, readings)})" if isinstance(n, And | Or)
                       else _render(n, expansions, readings) for n in node.nodes)
