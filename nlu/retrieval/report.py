"""The help-center answers page of the HTML evaluation report (``articles.html``, linked
from ``index.html``): figures, the threshold curve as inline SVG, the misses."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from markupsafe import Markup

from nlu.report import threshold_chart
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
    series = (("precision", "#1f77b4"), ("coverage", "#2ca02c"), ("answer_rate", "#d62728"))
    return threshold_chart(
        ev.curve, series, ev.threshold, f"threshold {ev.threshold:.2f}", guide=0.9,
        width=width, height=height,
    )  # fmt: skip
