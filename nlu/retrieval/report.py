"""The help-center answers page of the HTML evaluation report (``articles.html``, linked
from ``index.html``): figures, the threshold curve as inline SVG, the misses."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from markupsafe import Markup

from nlu.retrieval.evaluation import ArticleEvaluation

__all__ = ["curve_svg", "write_articles_report"]

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Help-center answers</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; max-width: 1200px; }
table { border-collapse: collapse; margin: 1em 0; }
td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
td.text { text-align: left; max-width: 600px; white-space: pre-wrap; }
th { background: #f4f4f4; }
.here { background: #fff3c4; font-weight: bold; }
</style></head><body>
<h1>Help-center answers</h1>
<p>{{ ev.n }} questions ({{ ev.protocol }}), {{ ev.n_answerable }} with an answering article,
{{ ev.n_null }} without. Ranker <code>{{ ev.ranker }}</code>, threshold
{{ "%.2f"|format(ev.threshold) }} (chosen on the tuning set for ≥ 90 % precision).
{% if data %}Questions: <code>{{ data }}</code>.{% endif %}</p>
<table>
<tr><th>precision (answers that are right)</th><td>{{ pct(ev.precision) }}</td></tr>
<tr><th>coverage (answerable questions answered right)</th><td>{{ pct(ev.coverage) }}</td></tr>
<tr><th>answered</th><td>{{ pct(ev.answer_rate) }}</td></tr>
<tr><th>"none" questions answered</th><td>{{ ev.null_answered }} / {{ ev.n_null }}</td></tr>
<tr><th>best article right, no threshold</th><td>{{ pct(ev.top1) }}</td></tr>
{% if ev.routed %}<tr><th>with the intent model's routing (what the server answers):
precision, coverage, answered, "none" answered</th><td>{{ pct(ev.routed.precision) }},
{{ pct(ev.routed.coverage) }}, {{ ev.routed.answered }}, {{ ev.routed.null_answered }}</td></tr>{% endif %}
</table>
{% if others %}<h2>Rankers</h2><table><tr><th>ranker</th><th>threshold</th><th>precision</th>
<th>coverage</th><th>best article right</th></tr>
{% for o in [ev] + others %}<tr><th>{{ o.ranker }}</th><td>{{ "%.2f"|format(o.threshold) }}</td>
<td>{{ pct(o.precision) }}</td><td>{{ pct(o.coverage) }}</td><td>{{ pct(o.top1) }}</td></tr>
{% endfor %}</table>{% endif %}
<h2>Precision and coverage across thresholds</h2>
{{ curve }}
<table><tr><th>threshold</th><th>precision</th><th>coverage</th><th>answered</th></tr>
{% for p in ev.curve %}{% set here = (p.threshold - ev.threshold)|abs < 0.026 %}
<tr{% if here %} class="here"{% endif %}><th>{{ "%.2f"|format(p.threshold) }}</th>
<td>{{ pct(p.precision) }}</td><td>{{ pct(p.coverage) }}</td><td>{{ pct(p.answer_rate) }}</td></tr>
{% endfor %}</table>
<h2>Misses</h2>
<table><tr><th>question</th><th>expected</th><th>best article</th><th>confidence</th><th>answered</th></tr>
{% for m in ev.misses %}<tr><td class="text">{{ m.question }}</td><td class="text">{{ m.expected|join(" / ") }}</td>
<td class="text">{{ m.offered }}</td><td>{{ "%.2f"|format(m.confidence) }}</td><td>{{ "yes" if m.answered else "no" }}</td></tr>
{% endfor %}</table>
</body></html>
"""


def write_articles_report(ev: ArticleEvaluation, directory: Path,
                          others: Sequence[ArticleEvaluation] = (), data: str = "") -> Path:  # fmt: skip
    """Write ``articles.html`` into ``directory`` (created if needed); return its path."""
    import jinja2

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    html = env.from_string(_PAGE).render(
        ev=ev, others=list(others), data=data, pct=lambda v: f"{v:.1%}", curve=Markup(curve_svg(ev))
    )
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "articles.html"
    path.write_text(html, encoding="utf-8")
    return path


def curve_svg(ev: ArticleEvaluation, width: int = 640, height: int = 320) -> str:
    """Precision, coverage and answer rate against the threshold, the 90 % line dashed."""
    left, right, top, bottom = 50, 150, 15, 40
    w, h = width - left - right, height - top - bottom

    def x(t: float) -> float:
        return left + t * w

    def y(v: float) -> float:
        return top + (1 - v) * h

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">']
    for v in (0, 0.25, 0.5, 0.75, 1.0):
        parts.append(
            f'<line x1="{left}" x2="{left + w}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#ddd"/>'
            f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end" font-size="11">{v:.2f}</text>'
            f'<text x="{x(v):.1f}" y="{top + h + 16}" text-anchor="middle" font-size="11">{v:.2f}</text>'
        )
    parts.append(
        f'<line x1="{left}" x2="{left + w}" y1="{y(0.9):.1f}" y2="{y(0.9):.1f}" stroke="#999" '
        f'stroke-dasharray="2 3"/><text x="{left + w + 10}" y="{y(0.9) + 4:.1f}" font-size="11" '
        'fill="#999">90 %</text>'
        f'<text x="{left + w / 2}" y="{height - 5}" text-anchor="middle" font-size="12">'
        "confidence threshold</text>"
    )
    series = (("precision", "#1f77b4"), ("coverage", "#2ca02c"), ("answer_rate", "#d62728"))
    for i, (key, colour) in enumerate(series):
        points = " ".join(f"{x(p['threshold']):.1f},{y(p[key]):.1f}" for p in ev.curve)
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>'
        )
        parts.append(
            f'<text x="{left + w + 10}" y="{top + 15 + 18 * i}" fill="{colour}" font-size="12">'
            f"{key.replace('_', ' ')}</text>"
        )
    px = x(ev.threshold)
    parts.append(
        f'<line x1="{px:.1f}" x2="{px:.1f}" y1="{top}" y2="{top + h}" stroke="#000" '
        f'stroke-dasharray="4 3"/><text x="{px + 4:.1f}" y="{top + 12}" font-size="11">'
        f"threshold {ev.threshold:.2f}</text></svg>"
    )
    return "".join(parts)
