"""Check the concept dictionary (``concepts.txt``) before it is saved or shipped.

    python data/check_concepts.py [concepts.txt] [--tables FOLDER ...] [--review]

Errors (exit status 1):
  - a line that is not 「見出し語: 行政用語, … | 言い方, …」 (the parser skips it),
  - a headword written twice,
  - a term or phrasing with no keys, or a generic word alone (支援, 事業, 相談, 対策, 地域, 推進 …),
  - one key sequence (what a term or phrasing is matched by: ``indexer.analysis.keys``) in two concepts,
  - a phrasing of a single key that is a very common word (家, 仕事, お金 …).
Warnings (printed, exit status 0):
  - a term or phrasing of generic words only (子どもの居場所 is specific together; 相談の窓口 is not),
  - a term or phrasing of a single key that occurs in many rows of the tables of ``--tables`` folders,
  - the same key sequence written twice in one concept.
``--review`` also lists the phrasings whose negation or desire (〜ない, 〜たい, 〜れる) disappears in their keys,
to read through for ones that, without it, mean something else.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:  # run from a checkout: python data/check_concepts.py
    sys.path.insert(0, str(HERE.parent))

from indexer.analysis import keys, morphemes_of  # noqa: E402
from search_app.concepts import parse_concepts  # noqa: E402
from search_app.reading import GENERIC  # noqa: E402

#: Administrative words that say nothing on their own (rule 1 of concepts_README.md), besides reading.GENERIC.
ADMIN_GENERIC = frozenset(k for w in (
    "支援 事業 相談 対策 地域 推進 実施 充実 連携 体制 取組 取り組み 市民 住民 強化 整備 促進 向上 確保 提供 "
    "実態 把握 周知 啓発 研修 講座 会議 計画 施策 活動 機関 関係 センター サービス 事業所 担当 職員 対応 派遣 "
    "運営 開催 設置 配置 作成 配布 発信 協力 共有 検討 評価 防止 予防 早期 発見 継続 拡充 構築 その他 各種 "
    "全体 総合 一般 必要 課題 状況 環境 機会 内容 効果 目的 対象"
).split() for k in keys(w))

#: Everyday words too common to stand alone for one concept (a phrasing of a single key must not be one).
COMMON = frozenset(k for w in (
    "家 家族 親 子 子ども 子供 母 父 夫 妻 友達 友人 仲間 先生 学校 会社 職場 仕事 お金 金 病院 医者 薬 病気 "
    "体 心 こころ 気分 健康 生活 暮らし 毎日 時間 お店 店 電話 手紙 家事 食事 ご飯 勉強 将来 不安 心配 "
    "悩み 相談 支援 助け 手伝い 世話 介護 育児 子育て 結婚 離婚 命 いのち 人生 仕事 休み 働く 住む 行く "
    "帰る 話す 聞く 食べる 寝る 遊ぶ 泣く 怒る 笑う 疲れる 痛い 怖い 辛い 苦しい 悲しい"
).split() for k in keys(w))

#: Auxiliaries and endings whose meaning is lost in the keys.
_LOST = ("ない", "なかっ", "なく", "たい", "たく", "たかっ", "ぬ", "ず",
         "れる", "られる", "れ", "られ", "せる", "させる")


def _table_rows(folders: list[Path]) -> list[set[str]]:
    """The keys of each line of the .tsv/.csv files in ``folders`` (a rough row count for frequency)."""
    rows = []
    for folder in folders:
        for path in sorted(folder.glob("*")):
            if path.suffix.lower() not in {".tsv", ".csv"} or not path.is_file():
                continue
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                if line.strip():
                    rows.append(set(keys(line)))
    return rows


def check(text: str, tables: list[Path], review: bool) -> int:
    errors: list[str] = []
    warnings: list[str] = []

    class _Catch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            errors.append(record.getMessage())

    catch = _Catch()
    logger = logging.getLogger("search_app.concepts")
    logger.addHandler(catch)
    logger.propagate = False
    try:
        table = parse_concepts(text)
    finally:
        logger.removeHandler(catch)

    heads = Counter(c.head for c in table.concepts)
    errors += [f"headword written {n} times: {h}" for h, n in heads.items() if n > 1]

    owners: dict[tuple[str, ...], list[tuple[str, str]]] = defaultdict(list)
    for c in table.concepts:
        seen: dict[tuple[str, ...], str] = {}
        for kind, items in (("term", c.all_terms), ("phrasing", c.phrasings)):
            for item in items:
                run = tuple(keys(item))
                where = f"line {c.line} {c.head}: {kind} 「{item}」"
                if not run:
                    errors.append(f"{where} has no keys")
                    continue
                if all(k in GENERIC or k in ADMIN_GENERIC for k in run):
                    if len(run) == 1:
                        errors.append(f"{where} is a generic word alone {list(run)}")
                    else:
                        warnings.append(f"{where} is only generic words {list(run)}: specific together?")
                if kind == "phrasing" and len(run) == 1 and run[0] in COMMON:
                    errors.append(f"{where} is one very common word {list(run)}")
                if run in seen:
                    warnings.append(f"{where} has the same keys {list(run)} as 「{seen[run]}」 in the same line")
                    continue
                seen[run] = item
                owners[run].append((c.head, item))
    for run, who in owners.items():
        if len({h for h, _ in who}) > 1:
            errors.append(f"keys {list(run)} in several concepts: " + ", ".join(f"{h}「{i}」" for h, i in who))

    rows = _table_rows(tables)
    if rows:
        limit = max(3, len(rows) // 20)  # in more than 5% of the lines
        df = Counter(k for row in rows for k in row)
        for run, who in owners.items():
            if len(run) == 1 and df[run[0]] > limit:
                warnings.append(f"single key {run[0]} in {df[run[0]]} of {len(rows)} table lines: "
                                + ", ".join(f"{h}「{i}」" for h, i in who))

    if review:
        for c in table.concepts:
            for item in c.phrasings:
                lost = [m.surface for m in morphemes_of(item) if not m.key and m.surface in _LOST]
                if lost:
                    print(f"review: {c.head}「{item}」 → {keys(item)} (drops {''.join(lost)})")

    terms = sum(len(c.all_terms) for c in table.concepts)
    phrasings = sum(len(c.phrasings) for c in table.concepts)
    domains = len({c.domain for c in table.concepts})
    for w in warnings:
        print("warning:", w)
    for e in errors:
        print("error:", e)
    print(f"{len(table.concepts)} concepts in {domains} domains, {terms} terms (headwords included), "
          f"{phrasings} phrasings; {len(errors)} errors, {len(warnings)} warnings")
    return 1 if errors else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=HERE / "concepts.txt")
    parser.add_argument("--tables", nargs="*", type=Path, default=[], help="folders of .tsv/.csv tables")
    parser.add_argument("--review", action="store_true", help="list phrasings that lose a negation or a desire")
    args = parser.parse_args(argv)
    return check(args.path.read_text(encoding="utf-8"), args.tables, args.review)


if __name__ == "__main__":
    sys.exit(main())
