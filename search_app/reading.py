"""How a query word is read: as itself (a word or a compound), or, written as a phrase or a short sentence
(〜が心配, 〜で困っている, 〜を支える制度, 〜したい), as its concepts and content words.

A word is read as a sentence when it has a particle or an auxiliary in it (ひとり親の仕事探し, 眠れない). Its
morphemes are then searched, longest first, for the terms and phrasings of the concept dictionary; each one found
stands for its concept. What is left is kept as plain words, except what carries no search meaning on its own:
particles and auxiliaries, pronouns and numbers, and generic words (悩み, 人, こと, 方法, 心配, 困る …). A phrasing of
a single morpheme stands for its concept only where that morpheme is a word of its own in the sentence, not part
of a compound (死にたい気持ち finds 希死念慮; 孤独死が心配 does not).

The reading is shown to the user (「…として検索」) and can be switched off (``concepts=off``).
"""

from __future__ import annotations

from dataclasses import dataclass

from indexer.analysis import Morpheme, keys, morphemes_of
from indexer.normalize import normalize

from .concepts import Concept, ConceptTable, matching_keys

#: Parts of speech that make a word a sentence when they occur in it.
_GRAMMAR = frozenset({"助詞", "助動詞"})
#: Parts of speech that never carry a search on their own.
_NEVER = frozenset({"代名詞", "数詞", "接頭辞", "接尾辞", "連体詞", "感動詞", "接続詞"})
#: Words that, in a sentence, need not be found: what people add around the matter itself.
GENERIC_WORDS = (
    "人 方 者 こと 事 もの 物 方法 やり方 悩み 気持ち 制度 仕組み 支援 サポート 相談 心配 不安 困る 悩む 支える "
    "助ける 欲しい 誰 何 所 ところ 場所 ため 時 とき 場合 件 等 する ある いる なる できる 思う 考える 知る 教える "
    "受ける 行う 使う 利用 情報 窓口 手続き 問題 状態 自分 私 僕 皆 みんな 今 最近 とても すごく 少し 多い 良い "
    "いい 分かる わかる 探す 聞く 言う 話す 見る 行く 来る 出る 入る 持つ 続く 大変 辛い つらい 苦しい 怖い 心配事 "
    "ない"
)
GENERIC = frozenset(k for word in GENERIC_WORDS.split() for k in keys(word))


@dataclass(frozen=True)
class ConceptUse:
    """A part of the query (``phrase``, as typed) that stands for a concept: one of its everyday phrasings (it then
    finds the concept's administrative terms) or one of its terms (it then finds the concept's everyday phrasings;
    terms are related, not equivalent, so one term does not find the others)."""

    phrase: str
    concept: Concept
    by_phrasing: bool = True
    in_sentence: bool = False  # found inside a sentence: the sentence is about the concept

    @property
    def finds(self) -> tuple[str, ...]:
        """What the part is searched as, besides itself: the concept's terms and phrasings."""
        return (*self.concept.all_terms, *self.concept.phrasings)

    def finds_where(self, in_index: bool) -> tuple[str, ...]:
        """``finds``, but for a term typed alone that the texts never use (``in_index`` false): only its everyday
        phrasings and the terms of its own word family (those that share a word with it: 孤独・孤立 finds 孤立防止).
        A city that never writes 生活習慣病 has no measure of that name; 糖尿病予防, a related term, is another
        thing. Where the texts do use the term, the related terms come after its own records."""
        if self.by_phrasing or self.in_sentence or in_index:
            return self.finds
        own = _words(self.phrase)
        return (*(t for t in self.concept.all_terms if own & _words(t)), *self.concept.phrasings)


def _words(text: str) -> set[str]:
    """The words of a term that make its family: keys of two characters or more, but generic ones."""
    return {k for k in keys(text) if len(k) >= 2 and k not in GENERIC}


@dataclass(frozen=True)
class Reading:
    """What a query word was read as: ``sentence`` if it was reduced; ``concepts`` the parts that stand for a
    concept (for a whole word, the word itself), ``words`` the content words kept as they are, ``dropped`` what
    need not be found."""

    text: str
    sentence: bool = False
    concepts: tuple[ConceptUse, ...] = ()
    words: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        """Whether the word is searched as anything but itself."""
        return self.sentence or bool(self.concepts)


#: Most readings a concept table keeps (``ConceptTable.readings``); when full, it starts again.
READINGS_KEPT = 4096


def read_word(text: str, table: ConceptTable) -> Reading:
    """How ``text`` (one query word, not quoted) is read with the concept dictionary ``table`` (kept by the table:
    the same word is read the same way until the dictionary changes)."""
    kept = table.readings.get(text)
    if kept is None:
        if len(table.readings) >= READINGS_KEPT:
            table.readings.clear()
        kept = table.readings[text] = _read_word(text, table)
    return kept


def _read_word(text: str, table: ConceptTable) -> Reading:
    found = morphemes_of(text)
    content = [m for m in found if m.key]
    if not content:
        return Reading(text)
    if not any(m.pos1 in _GRAMMAR for m in found):  # a word or a compound: itself, and its concept if it is one
        return Reading(text, concepts=tuple(ConceptUse(text, f.concept, f.by_phrasing)
                                            for f in table.of_keys(matching_keys(keys(text)))))
    folded = normalize(text).text
    chunk = _chunks(content)
    n = len(content)

    def whole(i: int) -> bool:  # a morpheme that is a word of its own, not part of a compound
        return (i == 0 or chunk[i - 1] != chunk[i]) and (i == n - 1 or chunk[i + 1] != chunk[i])

    uses: list[ConceptUse] = []
    words: list[str] = []
    dropped: list[str] = []
    i = 0
    while i < n:
        for size in range(min(table.longest, n - i), 0, -1):
            if size == 1 and not whole(i):
                continue
            run = content[i:i + size]
            found = table.of_keys(matching_keys(m.key for m in run))
            if found:
                phrase = folded[run[0].start:run[-1].end]
                uses += [ConceptUse(phrase, f.concept, f.by_phrasing, in_sentence=True) for f in found
                         if all(u.concept != f.concept for u in uses)]
                if size >= 3:  # a long phrasing's parts may stand for concepts of their own (認知症, 親の介護)
                    uses += [u for u in _inner(run, folded, table, whole)
                             if all(v.concept != u.concept for v in uses)]
                i += size
                break
        else:  # no concept starts here: the rest of the morpheme's compound is kept as a word, unless generic
            j = i
            while j + 1 < n and chunk[j + 1] == chunk[i]:
                j += 1
            piece = content[i:j + 1]
            if any(m.pos1 not in _NEVER and m.key not in GENERIC for m in piece):
                word = folded[piece[0].start:piece[-1].end]
                if word not in words:
                    words.append(word)
            else:
                dropped += [m.surface for m in piece]
            i = j + 1
    return Reading(text, sentence=True, concepts=tuple(uses), words=tuple(words), dropped=tuple(dropped))


def _inner(run: list[Morpheme], folded: str, table: ConceptTable, whole) -> list[ConceptUse]:
    """The concepts of the longest shorter runs inside ``run`` (not the whole of it)."""
    out: list[ConceptUse] = []
    n, i = len(run), 0
    while i < n:
        for size in range(n - 1 if i == 0 else n - i, 0, -1):
            part = run[i:i + size]
            if size == 1 and (not part[0].key or part[0].key in GENERIC):
                continue
            found = table.of_keys(matching_keys(m.key for m in part))
            if found:
                out += [ConceptUse(folded[part[0].start:part[-1].end], f.concept, f.by_phrasing, in_sentence=True)
                        for f in found]
                i += size
                break
        else:
            i += 1
    return out


_NOUNISH = frozenset({"名詞", "接頭辞", "接尾辞"})


def _chunks(content: list[Morpheme]) -> list[int]:
    """Each content morpheme's compound (a number): nouns and affixes written together with nothing between
    them share one; a verb or an adjective is one of its own."""
    out: list[int] = []
    for i, m in enumerate(content):
        joined = (i > 0 and m.pos1 in _NOUNISH and content[i - 1].pos1 in _NOUNISH
                  and content[i - 1].end == m.start)
        out.append(out[-1] if joined else (out[-1] + 1 if out else 0))
    return out
