"""Japanese analysis: index keys of real phrases, spelling variants that meet, and exact offsets.

Expectations depend on the dictionary (unidic-lite 1.0.8), pinned by the first test.
"""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from indexer.analysis import ANALYZER_VERSION, analyse, keys, morphemes
from indexer.normalize import fold, normalize


def test_dictionary_is_pinned():
    assert "unidic-lite-1.0.8" in ANALYZER_VERSION


#: Spellings of one word that must give the same index keys.
SAME_KEYS = [
    ("ＳＯＳ", "SOS", "sos"),
    ("ｺﾛﾅ", "コロナ"),
    ("子ども", "こども", "子供"),
    ("取組", "取り組み"),
    ("申込み", "申し込み"),
    ("暮し", "くらし", "暮らし"),
    ("１４校", "14校"),
    ("いじめ", "イジメ", "苛め", "虐め"),
    ("ひとりぐらし", "ひとり暮らし", "一人暮らし"),
    ("㍻", "平成"),
    ("ｶﾞｲﾄﾞ", "ガイド"),
    ("自殺対策", "自殺\u200b対策", "自殺\u2060対策"),
]


@pytest.mark.parametrize("spellings", SAME_KEYS, ids=lambda s: "/".join(s))
def test_spelling_variants_meet(spellings):
    first = keys(spellings[0])
    assert first
    for other in spellings[1:]:
        assert keys(other) == first, other


#: Words that must stay apart.
DIFFERENT_KEYS = [
    ("相談", "窓口"),
    ("支援", "援助"),
    ("高齢者", "老人"),  # the synonym dictionary joins these, not the analyzer
    ("子ども", "子育て"),
    ("実施", "予定"),
    ("14校", "41校"),
]


@pytest.mark.parametrize(("a", "b"), DIFFERENT_KEYS)
def test_different_words_stay_apart(a, b):
    assert keys(a) != keys(b)


#: Real phrases of the bundled table and their index keys: particles (の, を, で, に),
#: auxiliaries (た, れる) and punctuation (、。・ spaces) dropped, numbers kept.
PHRASE_KEYS = [
    ("令和2年度 相談件数 848件", ["令和", "2", "年度", "相談", "件数", "848", "件"]),
    ("年6回、継続実施。", ["年", "6", "回", "継続", "実施"]),
    ("高齢者の安否確認・孤独感の解消等を図ります。", ["高齢", "者", "安否", "確認", "孤独", "感", "解消", "等", "図"]),
    ("家族の対話を促すことで", ["家族", "対話", "促", "事"]),
    ("新型コロナウイルス", ["新型", "コロナ", "ウイルス"]),
    ("福祉総合相談窓口", ["福祉", "総合", "相談", "窓口"]),
    ("子ども・若者", ["子供", "若者"]),
    ("13,000部", ["13", "000", "部"]),
    ("「」（）・、。", []),
]


@pytest.mark.parametrize(("text", "expected"), PHRASE_KEYS)
def test_phrase_keys(text, expected):
    assert keys(text) == expected


#: UniDic glosses its loan words (コロナ-corona); the key is the word alone.
GLOSSED = [("コロナ", "コロナ-corona"), ("ウイルス", "ウイルス-virus")]


@pytest.mark.parametrize(("word", "lemma"), GLOSSED)
def test_gloss_suffix_is_stripped(word, lemma):
    assert [m[1] for m in morphemes(normalize(word))] == [lemma]
    assert keys(word) == [word]


#: (text, [(key, position, source characters)]): positions count the words kept, and
#: offsets point into the text as written, whatever NFKC did to its length.
TOKENS = [
    ("コロナ禍で生活が一変", [("コロナ", 0, "コロナ"), ("禍", 1, "禍"), ("生活", 2, "生活"), ("一変", 3, "一変")]),
    ("高齢者の総合相談窓口",
     [("高齢", 0, "高齢"), ("者", 1, "者"), ("総合", 2, "総合"), ("相談", 3, "相談"), ("窓口", 4, "窓口")]),
    ("ｺﾛﾅ禍で", [("コロナ", 0, "ｺﾛﾅ"), ("禍", 1, "禍")]),
    ("㍻31年度", [("平成", 0, "㍻"), ("31", 1, "31"), ("年度", 2, "年度")]),
    ("ＳＯＳの出し方", [("sos", 0, "ＳＯＳ"), ("出", 1, "出し"), ("方", 2, "方")]),
    ("ｶﾞｲﾄﾞを配布", [("ガイド", 0, "ｶﾞｲﾄﾞ"), ("配布", 1, "配布")]),
]


@pytest.mark.parametrize(("text", "expected"), TOKENS)
def test_tokens_positions_and_offsets(text, expected):
    got = [(t.key, pos, text[t.start:t.end]) for pos, t in enumerate(analyse(text))]
    assert got == expected


# -- offsets hold for any text ---------------------------------------------------------------------------------

#: Pieces that change length or meaning under NFKC and case folding, mixed with real text.
PIECES = [
    "新型コロナウイルス", "子ども", "取り組み", "令和2年度", "１４校", "相談件数 848件", "、", "。", "・", "「", "」",
    "ｶﾞ", "ｺﾛﾅ", "ﾊﾟ", "ﾞ", "ﾟ", "㍻", "㍿", "㌔", "ＳＯＳ", "SOS", "ＯＲ", "e\u0301", "\u3099", "ｳﾞ", "ヴ",
    "\x00", "\t", "\n", "\r", "\u200b", "\u3000", " ", "😀", "👨\u200d👩\u200d👧", "ΑΣ", "İ", "ß", "ﬁ", "\u1100\u1161",
]
TEXTS = st.one_of(st.text(), st.lists(st.sampled_from(PIECES) | st.characters(), max_size=20).map("".join))


def _folded_length(norm, start: int, end: int) -> int:
    """How many folded characters come from source characters start..end."""
    if norm.starts is None:
        return end - start
    return sum(1 for s, e in zip(norm.starts, norm.ends, strict=True) if start <= s and e <= end)


@settings(max_examples=100, deadline=None)
@given(TEXTS)
@example("ΑΣ ΟΔΟΣ")  # final sigma: folding a whole string and folding its pieces must agree
@example("\u1100\u1161 한")  # Hangul jamo that NFKC composes
@example("ｶﾞｲﾄﾞ㍻ＳＯＳｺﾛﾅ e\u0301")
def test_ja_offsets_for_any_text(text):
    norm = normalize(text)
    last = -1
    for pos, t in enumerate(analyse(text)):
        assert 0 <= t.start < t.end <= len(text)
        assert pos > last
        last = pos
        if t.key == t.surface:  # the key is the folded surface: the source characters fold to it
            source = fold(text[t.start:t.end])
            assert t.key in source
            if _folded_length(norm, t.start, t.end) == len(t.key):
                assert source == t.key  # (unless the token is part of one character's expansion: ㍿ → 株式会社)


#: fold is what the index sees: NFKC, lower case, one character at a time.
FOLDED = [
    ("ＳＯＳ", "sos"),
    ("ｺﾛﾅ", "コロナ"),
    ("㍻", "平成"),
    ("ΟΔΟΣ", "οδοσ"),  # not οδος: the index folds Σ alone, so the query word must too
    ("a\x00b", "a b"),
    ("いじ\u200bめ", "いじめ"),  # a zero-width space pasted from a web page joins, not splits
    ("ゲート\u00adキーパー", "ゲートキーパー"),  # soft hyphen
    ("\ufeffコロナ", "コロナ"),
]


@pytest.mark.parametrize(("text", "expected"), FOLDED)
def test_fold(text, expected):
    assert fold(text) == expected
    assert fold(text) == normalize(text).text


FOLD_PIECES = ["ΑΣ", "Σ", "ς", "Ϲ", "\U0001d6ba", "\u1100", "\u1161", "\u11a8", "㉠", "\u0b47", "\u0b3e", "ｶ", "ﾞ", "゛",
               "\u3099", "e", "\u0301", "İ", "ß", "ﬁ", "㍻", "Ａ", "\x00", " ", "子ども", "😀", "\u200b", "\u00ad"]


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.text(), st.lists(st.sampled_from(FOLD_PIECES) | st.characters(), max_size=12).map("".join)))
@example("ΟΔΟΣ Ϲ")
@example("\u1100\u1161\u11a8")
def test_fold_is_what_normalize_gives(text):
    """Query words are folded whole; field text piece by piece with offsets: both must agree."""
    assert fold(text) == normalize(text).text
