"""How people are shown the codes of a record: facet titles and values in plain Japanese (pages and exports)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta, timezone

from indexer.generations import DatasetInfo
from indexer.models import FIELD_LABELS

FACET_TITLES = {
    "year": "年度", "policy": "重点施策", "department": "担当部署", "section": "担当課", "field": "見つかった欄",
    "achievement": "達成度", "changed": "前年度からの変更", "trend": "達成度の推移", "dataset": "計画",
    "municipality": "自治体",
}
VALUE_LABELS = {
    "changed": {"changed": "前年度から変更あり", "unchanged": "前年度と同じ", "first": "記録の最初の年度"},
    "trend": {"down": "達成度が下がった", "up": "達成度が上がった", "same": "達成度は同じ",
              "incomparable": "比較できない"},
    "field": FIELD_LABELS,
}
#: The mark a result shows for its trend (none for ``same``: 達成度 is shown beside the year before's).
TREND_FLAGS = {"down": "達成度↓", "up": "達成度↑", "incomparable": "比較できない"}

#: Japan Standard Time (no daylight saving): times and dates are shown in it.
JST = timezone(timedelta(hours=9), "JST")


def code_label(facet: str, code: str) -> str:
    """A facet's code in plain Japanese (changed ``unchanged``: 「前年度と同じ」); a code with no label as it is."""
    return VALUE_LABELS.get(facet, {}).get(code, code)


def dataset_names(datasets: Iterable[DatasetInfo]) -> dict[str, str]:
    """Each dataset's id → how people are shown it: its municipality and plan (「小金井市 自殺総合対策計画」), else
    its id."""
    return {d.slug: (d.name if d.municipality and d.name.startswith(d.municipality) else
                     " ".join(n for n in (d.municipality, d.name) if n)) or d.slug for d in datasets}
