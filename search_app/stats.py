"""Counts of records for /api/stats and the overview page, from the index's facet arrays."""

from __future__ import annotations

from collections import Counter

from indexer.arrays import Columns

from .models import Stats


def counts(c: Columns, records: int) -> Stats:
    def crossed(name: str) -> dict[str, dict[str, int]]:
        pairs = Counter(zip(c.codes[name].tolist(), c.codes["achievement_category"].tolist(), strict=True))
        out: dict[str, dict[str, int]] = {}
        for (a, b), k in sorted(pairs.items()):
            out.setdefault(c.values[name][a], {})[c.values["achievement_category"][b]] = k
        return out

    by_policy, by_department = crossed("policy"), crossed("department")
    by_department = dict(sorted(by_department.items(), key=lambda kv: -sum(kv[1].values())))
    return Stats(
        records=records,
        by_year=dict(sorted(crossed("year").items())),
        by_policy={k: sum(v.values()) for k, v in by_policy.items()},
        by_department={k: sum(v.values()) for k, v in by_department.items()},
        by_policy_achievement=by_policy,
        by_department_achievement=by_department,
    )
