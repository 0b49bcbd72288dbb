"""Small server-rendered SVG line charts (no JavaScript, no chart library).

``line_chart`` draws one series over fixed minute slots: a gap where a minute has no datapoint,
the largest value written in the corner. Only numbers reach the SVG; the title is escaped.
"""

from __future__ import annotations

from html import escape

from markupsafe import Markup

WIDTH, HEIGHT, PAD = 320, 80, 4


def line_chart(title: str, slots: list[float | None], unit: str = "") -> Markup:
    """An SVG of ``slots`` (oldest first; None: no datapoint that minute)."""
    known = [v for v in slots if v is not None]
    top = max(known) if known and max(known) > 0 else 1.0
    step = (WIDTH - 2 * PAD) / max(len(slots) - 1, 1)
    paths: list[str] = []
    current: list[str] = []
    for index, value in enumerate(slots):
        if value is None:
            if current:
                paths.append(" ".join(current))
            current = []
            continue
        x = PAD + index * step
        y = HEIGHT - PAD - (value / top) * (HEIGHT - 2 * PAD)
        current.append(f"{'M' if not current else 'L'}{x:.1f},{y:.1f}")
    if current:
        paths.append(" ".join(current))
    lines = "".join(f'<path d="{d}" fill="none" stroke="currentColor" stroke-width="1.5"/>' for d in paths)
    dots = "" if len(known) != 1 else _dot(slots, step, top)
    peak = f"max {top:g}{unit}" if known else "no data"
    return Markup(
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}">'
        f"<title>{escape(title)}</title>"
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="none" stroke="#ccc"/>'
        f'{lines}{dots}<text x="{WIDTH - PAD}" y="12" text-anchor="end" font-size="10">{escape(peak)}</text></svg>'
    )


def _dot(slots: list[float | None], step: float, top: float) -> str:
    """A lone datapoint draws no line: a dot instead."""
    index = next(i for i, v in enumerate(slots) if v is not None)
    value = slots[index] or 0.0
    y = HEIGHT - PAD - (value / top) * (HEIGHT - 2 * PAD)
    return f'<circle cx="{PAD + index * step:.1f}" cy="{y:.1f}" r="2" fill="currentColor"/>'


def minute_slots(
    timestamps: list[float], values: list[float], start: float, minutes: int
) -> list[float | None]:
    """Values placed on ``minutes`` one-minute slots from ``start`` (epoch seconds)."""
    slots: list[float | None] = [None] * minutes
    for when, value in zip(timestamps, values, strict=True):
        index = int((when - start) // 60)
        if 0 <= index < minutes:
            slots[index] = value
    return slots
