"""Server-rendered SVG bar charts (no JavaScript): every label is escaped by the template."""

from __future__ import annotations

from dataclasses import dataclass

from indexer.achievement import CATEGORIES

#: One colour per achievement category (by CSS class in static/style.css).
CATEGORY_CLASS = {name: f"c{n}" for n, name in enumerate(CATEGORIES)}


@dataclass(frozen=True)
class Bar:
    label: str
    total: int
    segments: tuple[tuple[str, int, float, float], ...]  # (category, count, x, width) in chart units


@dataclass(frozen=True)
class Chart:
    bars: tuple[Bar, ...]
    width: int
    row: int
    label_width: int
    scale_max: int

    @property
    def height(self) -> int:
        return self.row * len(self.bars) + 24


def stacked(rows: dict[str, dict[str, int]], width: int = 640, label_width: int = 220, row: int = 28) -> Chart:
    """Horizontal stacked bars: one bar per row label, one segment per category."""
    scale_max = max((sum(c.values()) for c in rows.values()), default=0) or 1
    plot = width - label_width - 50
    bars = []
    for label, counts in rows.items():
        x = 0.0
        segs = []
        for cat in CATEGORIES:
            n = counts.get(cat, 0)
            if n:
                w = plot * n / scale_max
                segs.append((cat, n, label_width + x, w))
                x += w
        bars.append(Bar(label, sum(counts.values()), tuple(segs)))
    return Chart(tuple(bars), width, row, label_width, scale_max)

