"""SVG chart of one score over time, drawn on the server. Pure: plain values in, SVG text out.

The chart is a picture of the history table that sits beside it on the page; the table is the accessible
version, so the SVG carries a short text alternative rather than repeating every value.
"""

from collections.abc import Sequence
from datetime import date
from html import escape

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 44
LINE_COLOUR = "#005eb8"  # NHS blue
GRID_COLOUR = "#d8dde0"
TEXT_COLOUR = "#212b32"


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    if high <= low:
        return [low]
    step = (high - low) / (count - 1)
    return [round(low + step * index, 2) for index in range(count)]


def _format(value: float) -> str:
    return f"{value:g}"


def score_chart_svg(
    points: Sequence[tuple[date, float]],
    *,
    low: float,
    high: float,
    title: str,
    description: str = "",
    chart_id: str = "chart",
) -> str:
    """A line chart of (date, score) points on a fixed scale from `low` to `high`.

    Dates are spaced by time, not by position, so a long gap between administrations looks long.
    Returns an <svg> element with role="img", a <title> and a <desc> (ids prefixed by `chart_id`, which must be
    unique on the page).
    """
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    ordered = sorted(points)
    if ordered:
        first, last = ordered[0][0].toordinal(), ordered[-1][0].toordinal()
    else:
        first = last = 0
    span = max(last - first, 1)

    def x_of(day: date) -> float:
        if len(ordered) == 1:
            return LEFT + plot_w / 2
        return LEFT + (day.toordinal() - first) / span * plot_w

    def y_of(value: float) -> float:
        clamped = min(max(value, low), high)
        return TOP + plot_h - (clamped - low) / ((high - low) or 1) * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" class="app-score-chart">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]
    for tick in _ticks(low, high):
        y = y_of(tick)
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID_COLOUR}"/>'
        )
        parts.append(
            f'<text x="{LEFT - 8}" y="{y + 5:.1f}" text-anchor="end" font-size="14" fill="{TEXT_COLOUR}">'
            f"{_format(tick)}</text>"
        )
    if ordered:
        labelled = {ordered[0][0], ordered[-1][0]}
        for day in sorted(labelled):
            # The first date starts at its point and the last ends at its point, so neither runs off the edge.
            anchor = "middle" if len(labelled) == 1 else ("start" if day == ordered[0][0] else "end")
            parts.append(
                f'<text x="{x_of(day):.1f}" y="{HEIGHT - 16}" text-anchor="{anchor}" font-size="14" '
                f'fill="{TEXT_COLOUR}">{day.day} {day:%b %Y}</text>'
            )
        path = " ".join(
            f"{'M' if i == 0 else 'L'}{x_of(d):.1f},{y_of(v):.1f}" for i, (d, v) in enumerate(ordered)
        )
        parts.append(f'<path d="{path}" fill="none" stroke="{LINE_COLOUR}" stroke-width="3"/>')
        for day, value in ordered:
            parts.append(
                f'<circle cx="{x_of(day):.1f}" cy="{y_of(value):.1f}" r="5" fill="{LINE_COLOUR}">'
                f"<title>{day.day} {day:%b %Y}: {_format(value)}</title></circle>"
            )
    parts.append("</svg>")
    return "".join(parts)
