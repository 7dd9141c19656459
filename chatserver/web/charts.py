"""Small SVG charts drawn on the server: bars and lines, no script, no dependency.

Bars lie horizontally with their labels whole on the left (the label column is as wide
as the longest label: nothing is clipped or rotated), and counts get whole-number axes
(0, 5, 10…; never 0.5). Every label is escaped: chart text may come from customers
(intents never do, but the functions do not rely on it).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape

__all__ = ["bar_chart", "count_ticks", "line_chart"]

WIDTH, HEIGHT = 640, 220
PAD_LEFT, PAD_BOTTOM, PAD_TOP, PAD_RIGHT = 44, 48, 16, 40
ROW, CHAR = 22, 6.8  # bar row height; width of one label character at font-size 12 (wide)
COLOURS = ("#2563eb", "#16a34a", "#b45309", "#dc2626", "#7c3aed")
INK, GRID = "#344054", "#e4e7ec"


def count_ticks(top: float, most: int = 5) -> list[int]:
    """Whole-number axis marks from 0 covering ``top``, at most ``most`` + 1 of them,
    spaced 1, 2, 5, 10, 20, 50… apart."""
    top = max(math.ceil(top), 1)
    for magnitude in (10**k for k in range(12)):
        for factor in (1, 2, 5):
            step = factor * magnitude
            if math.ceil(top / step) <= most:
                return list(range(0, step * math.ceil(top / step) + 1, step))
    return [0, top]  # pragma: no cover - unreachable below 10**12


def _svg(title: str, body: list[str], width: int, height: int) -> str:
    t = escape(title)
    return (
        f'<svg class="chart" role="img" aria-label="{t}" viewBox="0 0 {width} {height}" '
        f'width="100%" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>'
        + "".join(body)
        + "</svg>"
    )


def _empty(title: str) -> str:
    text = f'<text x="10" y="30" font-size="13" fill="{INK}">No data yet.</text>'
    return _svg(title, [text], WIDTH, 60)


def _label(value: float) -> str:
    return f"{value:g}"


def bar_chart(items: Sequence[tuple[str, float]], title: str) -> str:
    """Horizontal bars, one per ``(label, count)``, the label whole on the bar's left."""
    if not items:
        return _empty(title)
    ticks = count_ticks(max(v for _, v in items))
    top = ticks[-1]
    left = int(max(len(label) for label, _ in items) * CHAR) + 16
    width = max(WIDTH, left + 240)
    plot = width - left - PAD_RIGHT
    height = PAD_TOP + ROW * len(items) + 28
    base = PAD_TOP + ROW * len(items)
    body = []
    for tick in ticks:
        x = left + plot * tick / top
        body.append(
            f'<line x1="{x:.1f}" y1="{PAD_TOP - 4}" x2="{x:.1f}" y2="{base}" stroke="{GRID}"/>'
            f'<text x="{x:.1f}" y="{base + 16}" text-anchor="middle" font-size="11" '
            f'fill="{INK}">{tick}</text>'
        )
    for i, (label, value) in enumerate(items):
        y = PAD_TOP + i * ROW
        w = plot * value / top
        body.append(
            f'<text x="{left - 8}" y="{y + ROW * 0.68:.1f}" text-anchor="end" font-size="12" '
            f'fill="{INK}">{escape(label)}</text>'
            f'<rect x="{left}" y="{y + 4}" width="{w:.1f}" height="{ROW - 8}" '
            f'fill="{COLOURS[0]}"><title>{escape(f"{label}: {_label(value)}")}</title></rect>'
            f'<text x="{left + w + 4:.1f}" y="{y + ROW * 0.68:.1f}" font-size="11" '
            f'fill="{INK}">{escape(_label(value))}</text>'
        )
    return _svg(title, body, width, height)


def line_chart(labels: Sequence[str], series: Mapping[str, Sequence[float]], title: str) -> str:
    """One line per series of counts over ``labels`` (e.g. days), with a legend."""
    values = [v for s in series.values() for v in s]
    if not labels or not values:
        return _empty(title)
    ticks = count_ticks(max(values))
    top = ticks[-1]
    base = HEIGHT - PAD_BOTTOM
    step = (WIDTH - PAD_LEFT - PAD_RIGHT) / max(len(labels) - 1, 1)  # the last label whole
    body = []
    for tick in ticks:
        y = base - (base - PAD_TOP) * tick / top
        body.append(
            f'<line x1="{PAD_LEFT}" y1="{y:.1f}" x2="{WIDTH}" y2="{y:.1f}" stroke="{GRID}"/>'
            f'<text x="{PAD_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="{INK}">{tick}</text>'
        )
    for i, label in enumerate(labels):
        if len(labels) <= 16 or i % 2 == 0:
            x = PAD_LEFT + i * step
            body.append(
                f'<text x="{x:.1f}" y="{base + 14}" text-anchor="middle" font-size="10" '
                f'fill="{INK}">{escape(label[-5:])}</text>'
            )
    for n, (name, points) in enumerate(series.items()):
        colour = COLOURS[n % len(COLOURS)]
        xy = " ".join(
            f"{PAD_LEFT + i * step:.1f},{base - (base - PAD_TOP) * v / top:.1f}"
            for i, v in enumerate(points)
        )
        body.append(
            f'<polyline points="{xy}" fill="none" stroke="{colour}" stroke-width="2">'
            f"<title>{escape(name)}</title></polyline>"
            f'<rect x="{PAD_LEFT + 8 + n * 110}" y="{HEIGHT - 18}" width="10" height="10" '
            f'fill="{colour}"/><text x="{PAD_LEFT + 22 + n * 110}" y="{HEIGHT - 9}" '
            f'font-size="11" fill="{INK}">{escape(name)}</text>'
        )
    return _svg(title, body, WIDTH, HEIGHT)
