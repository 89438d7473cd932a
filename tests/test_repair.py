"""The fast layout scoring of ``repair.realign`` weighs every layout exactly as scoring each whole row would."""

from __future__ import annotations

from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer import repair

#: The bundled table's column roles (再掲 is ``repost``).
ROLES = ("item", "title", "plan_page", "department", "section", "repost",
         "status", "evaluation", "achievement", "plan", "status", "evaluation", "achievement", "plan")
NAMES = tuple(f"column {i + 1}" for i in range(len(ROLES)))


def reference(cells: list[str], roles, empty_ratio) -> tuple[int, ...]:
    """Where ``realign`` should insert: every layout built and scored whole, the first best kept."""
    missing = len(roles) - len(cells)
    best: tuple[float, tuple[int, ...]] | None = None
    for positions in combinations(range(len(roles)), missing):
        row = list(cells)
        for pos in positions:
            row.insert(pos, "")
        score = repair._score(roles, row) + sum(empty_ratio[p] for p in positions) * 0.5
        if best is None or score > best[0]:
            best = (score, positions)
    return best[1]


@pytest.fixture(scope="module")
def bundled_cells(bundled_rows) -> list[str]:
    return sorted({c for row in bundled_rows[3:] for c in row})


def test_fast_scoring_matches_whole_row_scoring(bundled_cells):
    cells_of = st.lists(st.sampled_from(["", "100%", "実施", "継続して実施する。", *bundled_cells]), min_size=12,
                        max_size=13)
    ratios = st.lists(st.sampled_from([0.0, 0.25, 0.5, 1.0]), min_size=14, max_size=14)

    @settings(max_examples=300, deadline=None)
    @given(cells_of, ratios)
    def run(cells: list[str], empty_ratio: list[float]) -> None:
        fixed, _ = repair.realign(list(cells), ROLES, empty_ratio, NAMES)
        want = reference(cells, ROLES, empty_ratio)
        expected = list(cells)
        for pos in want:
            expected.insert(pos, "")
        assert fixed == expected

    run()
