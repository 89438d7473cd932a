"""Reading the bundled table: measures, records, repairs reported per line, nothing lost."""

from __future__ import annotations

import pytest
from table_tools import clean_rows, record_dicts, to_tsv, unaccounted

from indexer import Dataset, read_paths, read_table

FILE = "koganei_jisatsu_taisaku_r2_r3.tsv"

#: measure_id → (title, item, plan_page, department, section, source line)
MEASURES = [
    ("koganei/1-1-1", ("学校内における相談体制の充実", "(1) 学校における支援", 43, "学校教育部", "指導室", 5)),
    ("koganei/1-2-3", ("もくせい教室の設置", "(2) 見守り・支援体制の強化", 44, "学校教育部", "指導室", 11)),
    ("koganei/1-2-4", ("若者コーナーの運営と活用", "(2) 見守り・支援体制の強化", 44, "生涯学習部", "公民館", 12)),
    ("koganei/2-1-3", ("友愛活動事業", "(1) 高齢者の生活を支える取組", 45, "福祉保健部", "介護福祉課", 16)),
    ("koganei/2-2-1", ("高齢者食の自立支援事業", "(2) 高齢者の健康づくりに向けた支援",
                       46, "福祉保健部", "介護福祉課", 17)),
    ("koganei/2-2-2", ("健康づくりフォローアップ指導事業", "(2) 高齢者の健康づくりに向けた支援",
                       46, "福祉保健部", "健康課", 19)),
    ("koganei/2-2-3", ("成人健康相談", "(2) 高齢者の健康づくりに向けた支援", 46, "福祉保健部", "健康課", 20)),
    ("koganei/3-2-1", ("納税相談における生活困窮者等支援機関への相談・案内", "(2) 自立に向けた支援",
                       48, "市民部", "納税課", 25)),
    ("koganei/4-2-1", ("小口事業資金融資あっせん制度", "(2) 経営の安定に向けた支援", 50, "市民部", "経済課", 33)),
]

#: (measure_id, year, field, exact value)
FIELDS = [
    ("koganei/2-1-3", 2020, "achievement", "100%"),
    ("koganei/2-1-3", 2021, "achievement", "100%"),
    ("koganei/2-2-1", 2020, "achievement", "100%"),
    ("koganei/2-2-2", 2020, "achievement", "縮小して実施"),
    ("koganei/2-2-2", 2021, "achievement", "実施"),
    ("koganei/2-2-2", 2021, "plan", "引き続き"),
    ("koganei/2-2-3", 2020, "plan", "年6回、継続実施。"),
    ("koganei/2-2-3", 2021, "plan", ""),
    ("koganei/1-2-2", 2020, "achievement", "一部課題あり"),
    ("koganei/1-2-4", 2020, "achievement", "1回実施(9/27)"),
    ("koganei/4-2-1", 2020, "achievement", "31件(融資実行件数)"),
    ("koganei/4-2-1", 2021, "achievement", "165件(融資実行件数)"),
    ("koganei/4-2-1", 2021, "evaluation", "一定数が融資実行に至った。"),
    ("koganei/3-2-4", 2020, "status", "事務に必要な予算を確保した。"),
    ("koganei/3-2-1", 2021, "plan", "実施を継続していく。"),
    ("koganei/2-1-3", 2020, "year_label", "令和2年度"),
    ("koganei/2-1-3", 2021, "year_label", "令和3年度"),
]

#: (measure_id, year, field, how the value starts)
STARTS = [
    ("koganei/2-1-3", 2020, "plan", "引き続き、友愛活動により"),
    ("koganei/2-1-3", 2020, "status", "友愛活動活動員 6人"),
    ("koganei/2-1-3", 2020, "evaluation", "新型コロナウイルス感染症の影響により"),
    ("koganei/2-2-1", 2020, "plan", "引き続き、配食サービスによる"),
    ("koganei/2-2-2", 2020, "status", "いきいき健康教室(歯と栄養)"),
    ("koganei/2-2-2", 2020, "evaluation", "新型コロナウイルス感染症予防のため中止"),
    ("koganei/2-2-2", 2020, "plan", "継続。感染症予防対策を取り参加者を募る。"),
    ("koganei/2-2-2", 2021, "status", "いきいき健康教室2回実施。参加者13"),
    ("koganei/2-2-3", 2021, "status", "成人を対象に血圧、体脂肪測定のほか"),
    ("koganei/3-1-1", 2020, "status", "離職・休業に伴う収入減少により住宅を"),
    ("koganei/1-2-4", 2021, "status", "9/11(日)午前10時から正午まで"),
    ("koganei/1-2-4", 2021, "plan", "WHOが定める「世界自殺予防デー」"),
]

POLICIES = [
    ("重点施策1 子ども・若者に関する自殺対策の推進", 8),
    ("重点施策2 高齢者に関する自殺対策の推進", 6),
    ("重点施策3 生活困窮者に関わる自殺に対する対策の推進", 7),
    ("重点施策4 勤務・経営問題に関わる自殺対策の推進", 4),
]

#: line → what its warning says (each repair names its line)
WARNINGS = [
    (1, "skipped a blank line"),
    (2, "skipped a blank line"),
    (18, "skipped a blank line"),
    (16, "令和2年度: 達成度 「100%」 and 今後の実施計画 were in each other's columns"),
    (17, "令和2年度: 達成度 「100%」 and 今後の実施計画 were in each other's columns"),
    *[(line, "13 cells for 14 columns; inserted an empty 「再掲」 (column 6) cell")
      for line in (19, 20, 22, 23, 24, 25, 26, 27, 28, 30, 31, 32, 33)],
]


def record(ds: Dataset, measure_id: str, year: int) -> dict:
    [found] = [r.to_dict() for r in ds.records() if r.measure.measure_id == measure_id and r.entry.year == year]
    return found


def test_counts(bundled):
    assert (bundled.slug, len(bundled.measures), len(bundled.records())) == ("koganei", 25, 50)
    assert bundled.years == [2020, 2021]
    assert all(len(m.years) == 2 for m in bundled.measures)


def test_measure_ids_are_policy_item_number(bundled):
    ids = [m.measure_id for m in bundled.measures]
    assert len(set(ids)) == 25
    assert ids[:8] == [f"koganei/1-{i}-{n}" for i in (1, 2) for n in (1, 2, 3, 4)]
    assert ids[-4:] == ["koganei/4-1-1", "koganei/4-1-2", "koganei/4-1-3", "koganei/4-2-1"]


@pytest.mark.parametrize(("measure_id", "expected"), MEASURES)
def test_measure(bundled, measure_id, expected):
    [m] = [m for m in bundled.measures if m.measure_id == measure_id]
    assert (m.title, m.item, m.plan_page, m.department, m.section, m.source.line) == expected
    assert m.source.file == FILE
    assert m.plan_page_text == f"P.{m.plan_page}"
    assert (m.repost, m.extra) == ("", ())


def test_titles_have_no_leading_number(bundled):
    assert all(m.title and not m.title[0].isdigit() for m in bundled.measures)
    assert [m.number for m in bundled.measures[:4]] == ["1", "2", "3", "4"]


@pytest.mark.parametrize(("policy", "count"), POLICIES)
def test_policies(bundled, policy, count):
    assert sum(m.policy == policy for m in bundled.measures) == count


@pytest.mark.parametrize(("measure_id", "year", "field", "expected"), FIELDS)
def test_field(bundled, measure_id, year, field, expected):
    assert record(bundled, measure_id, year)[field] == expected


@pytest.mark.parametrize(("measure_id", "year", "field", "start"), STARTS)
def test_field_starts(bundled, measure_id, year, field, start):
    assert record(bundled, measure_id, year)[field].startswith(start)


def test_record_is_whole(bundled):
    assert record(bundled, "koganei/2-2-2", 2021) == {
        "measure_id": "koganei/2-2-2",
        "dataset": "koganei",
        "municipality": "",
        "title": "健康づくりフォローアップ指導事業",
        "policy": "重点施策2 高齢者に関する自殺対策の推進",
        "item": "(2) 高齢者の健康づくりに向けた支援",
        "plan_page": 46,
        "department": "福祉保健部",
        "section": "健康課",
        "year": 2021,
        "year_label": "令和3年度",
        "status": "いきいき健康教室2回実施。参加者13名。 糖尿病予防教室 2日間 参加者19名(延べ)。 "
                  "ボディメイク教室 2日間 参加者18名(延べ)。 骨粗しょう症予防教室1回実施 参加者16名(延べ)。 "
                  "糖尿病予防教室(復習会・調理)、親子健康教室、血管若返り教室は新型コロナウイルス感染症予防のため中止。",
        "evaluation": "新型コロナウイルス感染症予防のため中止した教室がある。感染症予防対策を行い、事業を実施した。",
        "achievement": "実施",
        "plan": "引き続き",
        "source": {"file": FILE, "line": 19},
    }


def test_records_are_frozen(bundled):
    with pytest.raises(AttributeError):
        bundled.measures[0].title = "x"  # type: ignore[misc]


@pytest.mark.parametrize(("line", "says"), WARNINGS)
def test_warning_names_line(bundled, line, says):
    assert [w for w in bundled.warnings if w.line == line and says in w.message]
    assert all(str(w).startswith(f"{FILE}:{w.line}: ") for w in bundled.warnings)


def test_no_other_warnings(bundled):
    assert sorted(w.line for w in bundled.warnings) == sorted(line for line, _ in WARNINGS)


def test_header_and_preamble_are_kept(bundled):
    assert bundled.header[:2] == ("計画における項目", "実施内容")
    assert bundled.header[6] == "令和2年度実施状況"
    assert len(bundled.header) == 14
    assert (bundled.preamble, bundled.name) == ((), "")


def test_nothing_lost(bundled, bundled_rows):
    assert unaccounted(bundled, bundled_rows) == {}


def test_nothing_lost_notices_a_loss(bundled, bundled_rows):
    rows = [list(r) for r in bundled_rows] + [["", "", "", "", "", "", "", "", "", "", "", "", "", "", "はみ出し"]]
    assert unaccounted(bundled, rows) == {"lost": {"はみ出し": 1}}


def test_the_repairs_give_the_table_as_it_should_have_been(bundled, bundled_rows, tmp_path):
    """The bundled table with its faults fixed by hand reads with no warnings, to the same records."""
    rows, lines = clean_rows(bundled_rows)
    path = tmp_path / FILE
    path.write_text(to_tsv(rows), encoding="utf-8")
    clean = read_table(path)
    assert clean.warnings == ()
    assert record_dicts(clean) == record_dicts(bundled)
    assert [lines[m.source.line - 1] for m in clean.measures] == [m.source.line for m in bundled.measures]


def test_read_paths_file_and_folder(bundled, bundled_path, tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / FILE).write_bytes(bundled_path.read_bytes())
    by_file = read_paths([bundled_path])
    by_folder = read_paths([str(folder)])
    assert [ds.slug for ds in by_file] == [ds.slug for ds in by_folder] == ["koganei"]
    assert by_file[0].municipality == "小金井市"  # data/plansearch.toml names it; the bare folder does not
    drop = ("municipality",)
    assert record_dicts(by_file[0], drop) == record_dicts(by_folder[0], drop) == record_dicts(bundled, drop)
