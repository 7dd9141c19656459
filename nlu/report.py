"""An HTML evaluation report: confusion matrix, threshold curve, errors by intent.

The two figures are inline SVG drawn here rather than matplotlib PNGs: no extra
dependency, the page is one self-contained file, and it stays sharp when zoomed.
Customer texts are escaped by Jinja's autoescape.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from markupsafe import Markup

from nlu.evaluation import Evaluation

__all__ = ["confusion_svg", "curve_svg", "threshold_chart", "write_report"]

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>NLU evaluation {{ ev.model_version }}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; max-width: 1200px; }
table { border-collapse: collapse; margin: 1em 0; }
td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
td.text { text-align: left; max-width: 600px; white-space: pre-wrap; }
th { background: #f4f4f4; }
.low { background: #fde0dd; }
.here { background: #fff3c4; font-weight: bold; }
</style></head><body>
<h1>NLU evaluation</h1>
{% if articles %}<p>Also: <a href="articles.html">help-center answers</a>.</p>{% endif %}
<p>Model <code>{{ ev.model_version }}</code>, data <code>{{ data }}</code>: {{ ev.n }} examples,
{{ ev.n_out_of_scope }} out of scope. Operating point: threshold {{ "%.2f"|format(ev.threshold) }},
margin {{ "%.2f"|format(ev.margin) }}.</p>
<table>
<tr><th>accuracy (escalated = out_of_scope)</th><td>{{ pct(ev.accuracy) }}</td></tr>
<tr><th>intent accuracy (in-scope, best intent)</th><td>{{ pct(ev.intent_accuracy) }}</td></tr>
<tr><th>answered accuracy</th><td>{{ pct(ev.answered_accuracy) }}</td></tr>
<tr><th>escalation rate</th><td>{{ pct(ev.escalation_rate) }}</td></tr>
<tr><th>in-scope escalated</th><td>{{ pct(ev.in_scope_escalation_rate) }}</td></tr>
<tr><th>out-of-scope escalated</th><td>{{ pct(ev.oos_recall) }}</td></tr>
</table>
<h2>Accuracy and escalation across thresholds</h2>
{{ curve }}
<p>Below the threshold a message goes to a person. Raise it to answer fewer messages more
accurately; lower it to escalate less. To serve another threshold, set
<code>confidence_threshold</code> in the server's config (the model's own is used otherwise).</p>
<table><tr><th>threshold</th><th>accuracy</th><th>escalated</th><th>answered accuracy</th>
<th>out-of-scope escalated</th></tr>
{% for p in ev.curve %}{% set here = (p.threshold - ev.threshold)|abs < 0.0001 %}
<tr{% if here %} class="here"{% endif %}><th>{{ "%.2f"|format(p.threshold) }}{% if here %}
(operating point){% endif %}</th><td>{{ pct(p.accuracy) }}</td><td>{{ pct(p.escalation_rate) }}</td>
<td>{{ pct(p.answered_accuracy) }}</td><td>{{ pct(p.oos_recall) }}</td></tr>
{% endfor %}</table>
<h2>Confusion matrix</h2>
<p>Rows: expected; columns: outcome (escalated messages count as out_of_scope).</p>
{{ confusion }}
<h2>Per intent</h2>
<table><tr><th>intent</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>
{% for label in ev.labels %}{% set m = ev.per_label[label] %}
<tr{% if m.f1 < 0.8 %} class="low"{% endif %}><th>{{ label }}</th>
<td>{{ "%.2f"|format(m.precision) }}</td><td>{{ "%.2f"|format(m.recall) }}</td>
<td>{{ "%.2f"|format(m.f1) }}</td><td>{{ m.support }}</td></tr>
{% endfor %}</table>
<h2>Errors by expected intent</h2>
{% for label, misses in ev.errors.items() %}
<h3>{{ label }} ({{ misses|length }} shown)</h3>
<table><tr><th>text</th><th>expected</th><th>outcome</th><th>best intent</th><th>confidence</th>
<th>reason</th></tr>
{% for m in misses %}<tr><td class="text">{{ m.text }}</td><td>{{ m.expected }}</td><td>{{ m.outcome }}</td>
<td>{{ m.intent }}</td><td>{{ "%.2f"|format(m.confidence) }}</td><td>{{ m.reason or "" }}</td></tr>
{% endfor %}</table>
{% endfor %}
</body></html>
"""


def write_report(ev: Evaluation, directory: Path, data: str = "") -> Path:
    """Write ``index.html`` into ``directory`` (created if needed); return its path."""
    import jinja2

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    html = env.from_string(_PAGE).render(
        ev=ev,
        data=data,
        pct=lambda v: f"{v:.1%}",
        curve=Markup(curve_svg(ev)),
        confusion=Markup(confusion_svg(ev)),
        articles=(Path(directory) / "articles.html").is_file(),  # chatbot evaluate --articles
    )
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "index.html"
    path.write_text(html, encoding="utf-8")
    return path


def _esc(text: str) -> str:
    return str(Markup.escape(text))


def curve_svg(ev: Evaluation, width: int = 640, height: int = 320) -> str:
    """Accuracy, escalation rate and out-of-scope recall against the threshold."""
    series = (
        ("accuracy", "#1f77b4"),
        ("escalation_rate", "#d62728"),
        ("oos_recall", "#2ca02c"),
        ("answered_accuracy", "#9467bd"),
    )
    return threshold_chart(
        ev.curve,
        series,
        ev.threshold,
        f"operating point {ev.threshold:.2f}",
        width=width,
        height=height,
    )


def threshold_chart(
    curve: Sequence[Mapping[str, float]],
    series: Sequence[tuple[str, str]],
    threshold: float,
    marker: str,
    *,
    guide: float | None = None,
    width: int = 640,
    height: int = 320,
) -> str:
    """Rates (0..1) of ``curve`` rows against their ``threshold``, one line per (key,
    colour) of ``series``, the chosen threshold marked; ``guide`` draws a dashed level."""
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
    if guide is not None:
        parts.append(
            f'<line x1="{left}" x2="{left + w}" y1="{y(guide):.1f}" y2="{y(guide):.1f}" '
            f'stroke="#999" stroke-dasharray="2 3"/><text x="{left + w + 10}" '
            f'y="{y(guide) + 4:.1f}" font-size="11" fill="#999">{guide * 100:.0f} %</text>'
        )
    parts.append(
        f'<text x="{left + w / 2}" y="{height - 5}" text-anchor="middle" font-size="12">'
        "confidence threshold</text>"
    )
    for i, (key, colour) in enumerate(series):
        points = " ".join(f"{x(p['threshold']):.1f},{y(p[key]):.1f}" for p in curve)
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>'
        )
        parts.append(
            f'<text x="{left + w + 10}" y="{top + 15 + 18 * i}" fill="{colour}" font-size="12">'
            f"{_esc(key.replace('_', ' '))}</text>"
        )
    px = x(threshold)
    parts.append(
        f'<line x1="{px:.1f}" x2="{px:.1f}" y1="{top}" y2="{top + h}" stroke="#000" '
        f'stroke-dasharray="4 3"/><text x="{px + 4:.1f}" y="{top + 12}" font-size="11">'
        f"{_esc(marker)}</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


def confusion_svg(ev: Evaluation, cell: int = 26) -> str:
    """The confusion matrix as a heat map, row-normalised colours, counts in cells."""
    n = len(ev.labels)
    pad = 140
    size = pad + n * cell + 70  # room for the last rotated label
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}">']
    for i, label in enumerate(ev.labels):
        name = _esc(label)
        parts.append(
            f'<text x="{pad - 4}" y="{pad + i * cell + cell * 0.65:.1f}" text-anchor="end" '
            f'font-size="11">{name}</text>'
            f'<text transform="translate({pad + i * cell + cell * 0.65:.1f},{pad - 4}) rotate(-60)" '
            f'font-size="11">{name}</text>'
        )
        total = sum(ev.confusion[i]) or 1
        for j, count in enumerate(ev.confusion[i]):
            share = count / total
            hue = 210 if i == j else 0
            light = 100 - 55 * share
            parts.append(
                f'<rect x="{pad + j * cell}" y="{pad + i * cell}" width="{cell}" height="{cell}" '
                f'fill="hsl({hue},70%,{light:.0f}%)" stroke="#fff"/>'
            )
            if count:
                parts.append(
                    f'<text x="{pad + j * cell + cell / 2}" y="{pad + i * cell + cell * 0.65:.1f}" '
                    f'text-anchor="middle" font-size="10">{count}</text>'
                )
    parts.append("</svg>")
    return "".join(parts)
