"""Small SVG charts drawn on the server: bars and lines, no script, no dependency.

Every label is escaped: chart text may come from customers (intents never do, but the
functions do not rely on it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

__all__ = ["bar_chart", "line_chart"]

WIDTH, HEIGHT = 640, 220
PAD_LEFT, PAD_BOTTOM, PAD_TOP = 44, 48, 16
COLOURS = ("#2563eb", "#16a34a", "#d97706", "#dc2626", "#7c3aed")


def _svg(title: str, body: list[str], width: int = WIDTH, height: int = HEIGHT) -> str:
    t = escape(title)
    return (
        f'<svg class="chart" role="img" aria-label="{t}" viewBox="0 0 {width} {height}" '
        f'width="100%" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>'
        + "".join(body)
        + "</svg>"
    )


def _axis(top: float, width: int = WIDTH, height: int = HEIGHT) -> list[str]:
    base = height - PAD_BOTTOM
    out = [f'<line x1="{PAD_LEFT}" y1="{base}" x2="{width}" y2="{base}" stroke="#999"/>']
    for frac in (0.5, 1.0):
        y = base - frac * (base - PAD_TOP)
        value = top * frac
        label = f"{value:.0f}" if top >= 4 else f"{value:.1f}"
        out.append(
            f'<text x="{PAD_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">'
            f"{escape(label)}</text>"
            f'<line x1="{PAD_LEFT}" y1="{y:.1f}" x2="{width}" y2="{y:.1f}" stroke="#eee"/>'
        )
    return out


def bar_chart(items: Sequence[tuple[str, float]], title: str) -> str:
    """Vertical bars, one per ``(label, value)``, labels under them."""
    if not items:
        return _svg(title, ['<text x="10" y="30" font-size="13">No data yet.</text>'])
    top = max(max(v for _, v in items), 1)
    base = HEIGHT - PAD_BOTTOM
    step = (WIDTH - PAD_LEFT) / len(items)
    body = _axis(top)
    for i, (label, value) in enumerate(items):
        h = (base - PAD_TOP) * value / top
        x = PAD_LEFT + i * step + step * 0.15
        cx = PAD_LEFT + (i + 0.5) * step
        body.append(
            f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{step * 0.7:.1f}" height="{h:.1f}" '
            f'fill="{COLOURS[0]}"><title>{escape(f"{label}: {value:g}")}</title></rect>'
            f'<text x="{cx:.1f}" y="{base - h - 3:.1f}" text-anchor="middle" font-size="10">'
            f"{escape(f'{value:g}')}</text>"
            f'<text x="{cx:.1f}" y="{base + 14}" text-anchor="end" font-size="10" '
            f'transform="rotate(-30 {cx:.1f} {base + 14})">{escape(label[:24])}</text>'
        )
    return _svg(title, body)


def line_chart(labels: Sequence[str], series: Mapping[str, Sequence[float]], title: str) -> str:
    """One line per series over ``labels`` (e.g. days), with a legend."""
    values = [v for s in series.values() for v in s]
    if not labels or not values:
        return _svg(title, ['<text x="10" y="30" font-size="13">No data yet.</text>'])
    top = max(max(values), 1)
    base = HEIGHT - PAD_BOTTOM
    step = (WIDTH - PAD_LEFT - 10) / max(len(labels) - 1, 1)
    body = _axis(top)
    for i, label in enumerate(labels):
        if len(labels) <= 16 or i % 2 == 0:
            x = PAD_LEFT + i * step
            body.append(
                f'<text x="{x:.1f}" y="{base + 14}" text-anchor="middle" font-size="10">'
                f"{escape(label[-5:])}</text>"
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
            f'font-size="11">{escape(name)}</text>'
        )
    return _svg(title, body)
