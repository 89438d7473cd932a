"""The real prose of the bundled table, cut into sentences, and the ways the generator varies it.

Everything here is deterministic given a ``random.Random``: the corpus generator draws sentences,
titles and achievements from a :class:`Pool` and passes them through :func:`vary_numbers`,
:class:`Localizer` and the width variants so that term statistics stay those of real policy prose.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from random import Random

from indexer import read_table

#: Yearly text fields whose cells are rebuilt from sentences.
PROSE_FIELDS: tuple[str, ...] = ("status", "evaluation", "plan")

_SPLIT = re.compile(r"(?<=[。！？])\s*|\s+(?=・)|(?<=[)）])\s+(?=\S)")
_POLICY_PREFIX = re.compile(r"^\s*(重点施策|基本施策)\s*\d+\s*")
_ITEM_PREFIX = re.compile(r"^\s*[\(（]\s*\d+\s*[\)）]\s*")
#: A count with its counter word (14校, 25,011食, 年2回 …); dates, era years and 週1日 are left alone.
_COUNT = re.compile(r"(?<![\d,./])(\d{1,3}(?:,\d{3})+|\d+)(?=\s*(?:校|食|人|名|件|回|部|日間|世帯|団体|か所|箇所))")
_PERCENT = re.compile(r"^(\d+)\s*%$")
#: Title endings that can be spliced onto another title's head (健康づくり + 相談支援事業).
TITLE_ENDINGS: tuple[str, ...] = (
    "自立相談支援事業", "総合相談支援業務", "相談支援事業", "学習支援事業", "自立支援事業", "指導事業", "設置事業",
    "活動事業", "支援事業", "事業", "業務", "事務", "制度", "相談", "対策", "協議会", "給付金",
)
#: Title suffixes seen in the real titles and items (の充実, の設置, の強化 …).
TITLE_SUFFIXES: tuple[str, ...] = ("の充実", "の推進", "の強化", "の設置", "の運営と活用", "の周知")

#: Generic plan-evaluation sentences added to the pool (per policy, found by a word of its name, and per field)
#: so that the corpus holds words the bundled table has too few of for the hard queries of the mix: short words
#: inside longer ones (ネット in ネットワーク and インターネット, ケア in ケアマネジャー and メンタルヘルスケア, 京都 in
#: 東京都), a loanword fugashi splits by context (ヤングケアラー: ヤング|ケア|ラー, but ヤング|ケアラー before を),
#: and long compounds. 貫井北 is the bundled table's area name: each synthetic city writes its own area there.
#: No real organisation or municipality is said to have done anything.
EXTRA_SENTENCES: dict[str, dict[str, tuple[str, ...]]] = {
    "子ども": {
        "status": (
            "スクールソーシャルワーカーがヤングケアラーを早期に把握し、関係機関と連携して支援につなげた。",
            "教職員を対象にヤングケアラーに関する研修を2回実施した。",
            "ヤングケアラーコーディネーターを配置し、15件の相談に対応した。",
            "インターネットやSNSを通じた相談窓口を周知するカードを市内の中学校12校に配布した。",
            "ネット上のいじめや誹謗中傷に関する啓発リーフレットを作成し、保護者に配布した。",
            "子ども家庭支援センターと学校による見守りネットワーク会議を年3回開催した。",
        ),
        "evaluation": (
            "ヤングケアラーの実態把握が進み、家族のケアを担う子どもへの支援につながった。",
            "ネット上のトラブルに関する相談が増えており、早期の対応が課題である。",
            "心のケアが必要な児童・生徒への支援体制を強化することができた。",
        ),
        "plan": (
            "ヤングケアラーを含む支援が必要な子どもを早期に発見し、適切な支援につなげる。",
            "東京都の補助事業を活用し、ヤングケアラー支援の体制整備を進める。",
            "ネットワーク会議を通じて、学校と関係機関の情報共有を一層図る。",
        ),
    },
    "高齢者": {
        "status": (
            "地域ケア会議を8回開催し、ケアマネジャーと支援困難事例の検討を行った。",
            "高齢者見守りネットワークの協力事業者として新たに5団体を登録した。",
            "ケアマネジャー向けにゲートキーパー養成講座を実施し、42人が受講した。",
            "家族介護者の心身の負担を軽減するため、介護者のケアに関する講座を開催した。",
            "貫井北地区で高齢者と家族介護者を対象とした出張相談会を開催した。",
        ),
        "evaluation": (
            "ケアマネジャーとの連携により、支援が必要な高齢者の早期把握につながった。",
            "見守りネットワークの活用により、地域での気付きが関係機関に届くようになった。",
        ),
        "plan": (
            "地域ケア会議を通じて、医療・介護・福祉の連携によるネットワークを強化する。",
            "メンタルヘルスケアに関する情報を家族介護者にも周知する。",
        ),
    },
    "生活困窮": {
        "status": (
            "生活困窮者自立相談支援事業において、新規相談を320件受け付けた。",
            "東京都と連携し、住まいを失った方への一時的な住居の確保を支援した。",
            "アウトリーチ型支援により、ひきこもり状態にある方の自宅を訪問した。",
            "庁内の関係部署によるネットワーク会議を年4回開催し、相談者の情報を共有した。",
            "貫井北地区の地域福祉コーディネーターと連携し、地域の見守りを行った。",
        ),
        "evaluation": (
            "ワンストップで相談を受ける体制により、複合的な課題を抱える世帯への支援が円滑になった。",
            "インターネットでの申請受付を開始し、利便性が向上した。",
        ),
        "plan": (
            "東京都の事業と連携しながら、生活困窮者への包括的な支援を継続する。",
            "ネット上の情報発信を充実させ、支援が必要な方が相談窓口につながるようにする。",
        ),
    },
    "勤務": {
        "status": (
            "事業者向けにメンタルヘルスケアに関するセミナーを3回開催した。",
            "東京都と連携し、中小企業向けの経営相談会を開催した。",
            "職員のセルフケアを支援するため、ストレスチェックを実施した。",
            "ハローワーク等とのネットワークを活用し、就労相談を行った。",
        ),
        "evaluation": (
            "メンタルヘルスに関する相談が増加しており、相談窓口の周知が一定程度図られた。",
        ),
        "plan": (
            "オンライン相談の導入を検討し、働く世代が相談しやすい環境を整える。",
        ),
    },
}


def split_sentences(cell: str) -> list[str]:
    """Sentences of a cell: cut after 。！？, before a ・ bullet and between parenthesised list entries."""
    return [s.strip() for s in _SPLIT.split(cell) if s and s.strip()]


def join_sentences(sentences: list[str]) -> str:
    """A cell of sentences, written as the real table writes them (no space after 。, else one space)."""
    out = ""
    for s in sentences:
        out += s if not out or out.endswith(("。", "！", "？")) else " " + s
    return out


@dataclass(frozen=True)
class SourceMeasure:
    """One real measure: where it sits and the sentences of each of its prose fields."""

    policy: int
    item: str
    title: str
    department: str
    section: str
    sentences: dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class Pool:
    """Everything the generator draws from, read from the bundled table."""

    policies: tuple[str, ...]
    items: tuple[tuple[str, ...], ...]
    measures: tuple[SourceMeasure, ...]
    by_item: dict[str, tuple[int, ...]]
    by_policy: tuple[tuple[int, ...], ...]
    #: field -> every sentence of that field, and per policy.
    sentences: dict[str, tuple[str, ...]]
    policy_sentences: dict[str, tuple[tuple[str, ...], ...]]
    #: field -> sentence counts of the real cells (drawn to size new cells).
    lengths: dict[str, tuple[int, ...]]
    achievements: tuple[str, ...]
    prefixes: tuple[str, ...]


def load_pool(path: Path) -> Pool:
    """Read the real table with the project's reader and cut its cells into sentences."""
    dataset = read_table(path)
    policies: list[str] = []
    items: list[list[str]] = []
    measures: list[SourceMeasure] = []
    lengths: dict[str, list[int]] = defaultdict(list)
    achievements: list[str] = []
    for m in dataset.measures:
        policy = _POLICY_PREFIX.sub("", m.policy).strip()
        if policy not in policies:
            policies.append(policy)
            items.append([])
        p = policies.index(policy)
        item = _ITEM_PREFIX.sub("", m.item).strip()
        if item not in items[p]:
            items[p].append(item)
        per_field: dict[str, list[str]] = {f: [] for f in PROSE_FIELDS}
        for entry in m.years:
            for name in PROSE_FIELDS:
                cut = split_sentences(getattr(entry, name))
                if cut:
                    lengths[name].append(len(cut))
                per_field[name] += [s for s in cut if s not in per_field[name]]
            if entry.achievement:
                achievements.append(entry.achievement)
        measures.append(SourceMeasure(p, item, m.title, m.department, m.section,
                                      {k: tuple(v) for k, v in per_field.items()}))
    by_item: dict[str, list[int]] = defaultdict(list)
    by_policy: list[list[int]] = [[] for _ in policies]
    for i, sm in enumerate(measures):
        by_item[sm.item].append(i)
        by_policy[sm.policy].append(i)
    extra = {f: [[s for word, per_field in EXTRA_SENTENCES.items() if word in policy for s in per_field.get(f, ())]
                 for policy in policies] for f in PROSE_FIELDS}
    sentences = {f: tuple(s for sm in measures for s in sm.sentences[f]) + tuple(s for e in extra[f] for s in e)
                 for f in PROSE_FIELDS}
    policy_sentences = {
        f: tuple(tuple(s for i in idx for s in measures[i].sentences[f]) + tuple(extra[f][p])
                 for p, idx in enumerate(by_policy))
        for f in PROSE_FIELDS
    }
    # Title prefixes from the real items and policies: 学校における支援 -> 学校における, 就労に向けた支援 ->
    # 就労に向けた, 高齢者に関する自殺対策の推進 -> 高齢者に関する
    phrases = [i for group in items for i in group] + policies
    prefixes = tuple(sorted({m.group(0) for text in phrases
                             if (m := re.match(r".+(における|に向けた)|.+?に関(する|わる)", text))}))
    return Pool(
        policies=tuple(policies), items=tuple(tuple(i) for i in items), measures=tuple(measures),
        by_item={k: tuple(v) for k, v in by_item.items()}, by_policy=tuple(tuple(v) for v in by_policy),
        sentences=sentences, policy_sentences=policy_sentences,
        lengths={k: tuple(v) for k, v in lengths.items()}, achievements=tuple(achievements), prefixes=prefixes,
    )


def vary_numbers(text: str, rng: Random) -> str:
    """Scale every count (14校, 25,011食, 年2回) by a random factor in [0.5, 1.6], keeping its format."""
    def repl(m: re.Match[str]) -> str:
        raw = m.group(1)
        old = int(raw.replace(",", ""))
        if old == 0:
            new = 0 if rng.random() < 0.5 else rng.randint(1, 3)
        else:
            new = max(1, round(old * rng.uniform(0.5, 1.6)))
        return f"{new:,}" if "," in raw or new >= 10_000 else str(new)
    return _COUNT.sub(repl, text)


def vary_achievement(text: str, rng: Random) -> str:
    """An achievement like the real ones: 100% mostly kept, counts varied (3回実施, 31件(融資実行件数))."""
    m = _PERCENT.match(text)
    if m:
        return text if rng.random() < 0.85 else f"{rng.choice((50, 60, 70, 75, 80, 90))}%"
    return vary_numbers(text, rng)


def perturb_title(title: str, pool: Pool, rng: Random) -> str:
    """A title from the real ones: kept, prefixed, suffixed, or spliced with another title's ending."""
    r = rng.random()
    if r < 0.4:
        return title
    if r < 0.6 and pool.prefixes:
        prefix = rng.choice(pool.prefixes)
        return title if title.startswith(prefix) else prefix + title
    if r < 0.75:
        suffix = rng.choice(TITLE_SUFFIXES)
        return title if title.endswith(suffix) else title + suffix
    head = _title_head(title)
    other = rng.choice(pool.measures).title
    ending = next((e for e in TITLE_ENDINGS if other.endswith(e) and len(other) > len(e)), "")
    return head + ending if head and ending else title


def _title_head(title: str) -> str:
    for e in TITLE_ENDINGS:
        if title.endswith(e) and len(title) > len(e):
            return title[: -len(e)]
    return ""


# Local proper nouns of the bundled table, and what a synthetic municipality writes instead.
_PLACE_HEADS = (("小", "こ"), ("大", "おお"), ("東", "ひがし"), ("西", "にし"), ("南", "みなみ"), ("北", "きた"),
                ("新", "しん"), ("高", "たか"), ("若", "わか"), ("青", "あお"))
_PLACE_TAILS = (("金井", "がねい"), ("川", "かわ"), ("山", "やま"), ("野", "の"), ("田", "だ"), ("沢", "さわ"),
                ("原", "はら"), ("森", "もり"), ("宮", "みや"), ("浜", "はま"), ("岡", "おか"), ("島", "しま"))
_NICKNAMES = ("もくせい", "けやき", "さくら", "ひまわり", "わかば", "あおば", "つばさ", "すずかけ", "いちょう",
              "なのはな")
#: Area names (written where the bundled table writes 貫井北); 大和町 and 東大和台 put a place name inside a longer one.
_AREAS = ("貫井北", "本町", "中央", "駅前", "緑町", "桜町", "前原", "梶野", "東町", "南町", "大和町", "東大和台")
_UNIVERSITIES = ("東京学芸大学", "市内の大学", "近隣の大学", "地域の大学")


@dataclass(frozen=True)
class Localizer:
    """Replaces the bundled table's local names (小金井, こがねい, もくせい, 貫井北, 東京学芸大学)."""

    kanji: str
    kana: str
    nickname: str
    area: str
    university: str

    @classmethod
    def for_city(cls, index: int, rng: Random) -> Localizer:
        """City 1 keeps the real names (so rare-term queries hit); the others draw different ones."""
        if index == 1:
            return cls("小金井", "こがねい", _NICKNAMES[0], _AREAS[0], _UNIVERSITIES[0])
        places = [(h + t, hk + tk) for h, hk in _PLACE_HEADS for t, tk in _PLACE_TAILS if h + t != "小金井"]
        kanji, kana = rng.choice(places)
        return cls(kanji, kana, rng.choice(_NICKNAMES[1:]), rng.choice(_AREAS[1:]), rng.choice(_UNIVERSITIES[1:]))

    def __call__(self, text: str) -> str:
        if self.kanji == "小金井":
            return text
        return (text.replace("小金井", self.kanji).replace("こがねい", self.kana).replace("もくせい", self.nickname)
                .replace("貫井北", self.area).replace("東京学芸大学", self.university))


_FULLWIDTH = str.maketrans({c: chr(ord(c) + 0xFEE0) for c in
                            "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz()%"})
_HALFWIDTH_KANA: dict[str, str] = {}
for _cp in range(0xFF61, 0xFFA0):
    _full = unicodedata.normalize("NFKC", chr(_cp))
    if len(_full) == 1:
        _HALFWIDTH_KANA.setdefault(_full, chr(_cp))
_HALFWIDTH_KANA.update({"\u3099": "\uff9e", "\u309a": "\uff9f"})


def to_fullwidth(text: str) -> str:
    """ASCII letters, digits, parentheses and % as full-width forms (ＳＯＳ, １４校, （延べ）)."""
    return text.translate(_FULLWIDTH)


def to_halfwidth_kana(text: str) -> str:
    """Katakana as half-width forms (コロナ -> ｺﾛﾅ), as some older systems export them."""
    out = []
    for ch in text:
        if "\u30a1" <= ch <= "\u30fc":
            out.append("".join(_HALFWIDTH_KANA.get(c, c) for c in unicodedata.normalize("NFD", ch)))
        else:
            out.append(ch)
    return "".join(out)
