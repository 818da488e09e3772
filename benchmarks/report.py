"""Figures measured several times, printed as medians with their min–max, beside a baseline."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass
class Row:
    """One line of the table: repeated measurements of one thing, maybe against a baseline.

    ``ratios`` are per-repeat ratios to the baseline measured in the same repeat.
    """

    section: str
    name: str
    unit: str
    values: list[float]
    ratios: list[float] = field(default_factory=list)
    target: str = ""
    met: bool | None = None
    note: str = ""


def _fmt(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 0.1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def spread(values: Sequence[float]) -> str:
    """Median and min–max: ``1,234 (1,100–1,300)``."""
    if not values:
        return "-"
    median = statistics.median(values)
    if len(values) == 1:
        return _fmt(median)
    return f"{_fmt(median)} ({_fmt(min(values))}–{_fmt(max(values))})"


def ratio_met(
    ratios: Sequence[float], *, at_least: float | None = None, at_most: float | None = None
) -> bool:
    """Whether the median ratio meets the target."""
    median = statistics.median(ratios)
    if at_least is not None and median < at_least:
        return False
    return not (at_most is not None and median > at_most)


def render(rows: Sequence[Row], title: str) -> str:
    """The rows as a Markdown table."""
    header = ["section", "measure", "unit", "median (min–max)", "ratio (min–max)", "target", "met"]
    lines = [
        f"### {title}",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    for row in rows:
        met = "" if row.met is None else ("yes" if row.met else "**no**")
        name = row.name + (f" ({row.note})" if row.note else "")
        cells = [
            row.section,
            name,
            row.unit,
            spread(row.values),
            spread(row.ratios) + ("×" if row.ratios else ""),
            row.target,
            met,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
