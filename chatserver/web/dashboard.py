"""The agents' dashboard at ``/agent/dashboard``, its figures at ``/agent/api/stats``, and
one-click labels from it (``POST /agent/dashboard/label``); all behind the console login.

The page is rendered on the server (Jinja2 with autoescape, charts from
:mod:`chatserver.web.charts`), so it needs no script; customer text only ever enters it as
escaped text.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import jinja2
from aiohttp import web
from markupsafe import Markup

from chatserver.keys import AGENT_AUTH, METRICS, SERVICE
from chatserver.web.auth import SESSION_COOKIE, same_token
from chatserver.web.charts import bar_chart, line_chart
from chatserver.web.insight import BINS, Stats, compute_stats
from chatserver.web.pages import PRIVATE
from nlu.catalogue import INTENTS

__all__ = ["setup_dashboard"]

log = logging.getLogger(__name__)

_ENV = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
_PAGE = _ENV.from_string(
    """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Support dashboard</title>
  <link rel="stylesheet" href="/static/agent/console.css">
  <style>
    .dash { padding: 1rem 1.5rem; max-width: 1100px; }
    .cards { display: flex; gap: 1rem; flex-wrap: wrap; }
    .card { border: 1px solid #ddd; border-radius: 6px; padding: .6rem 1rem; min-width: 10rem; }
    .card b { display: block; font-size: 1.6rem; }
    .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 1rem; }
    .charts figure { margin: 0; border: 1px solid #eee; padding: .5rem; }
    table.queue { border-collapse: collapse; width: 100%; }
    table.queue td, table.queue th { border-bottom: 1px solid #eee; padding: .3rem; text-align: left; }
  </style>
</head>
<body>
  <header class="topbar">
    <h1>Support dashboard</h1>
    <nav class="topnav" aria-label="Console"><a href="/agent/">Conversations</a></nav>
  </header>
  <main class="dash">
    {% if notice %}<p class="banner" role="status">{{ notice }}</p>{% endif %}
    <p class="muted">Last {{ days }} days (UTC), up to {{ now }}.</p>
    <section class="cards" aria-label="Key figures">
      <div class="card">Conversations<b>{{ s.conversations }}</b></div>
      <div class="card">Automation rate<b>{{ pct(s.automation_rate) }}</b>
        {{ s.automated }} resolved without a person</div>
      <div class="card">Escalation rate<b>{{ pct(s.escalation_rate) }}</b>
        {{ s.escalated }} handed to a person</div>
      <div class="card">Outside API failures<b>{{ s.integration_failures }}</b>
        hand-offs; {{ outside_total }} failed requests since start</div>
      <div class="card">Help-center answers<b>{{ s.articles.shown }}</b>
        {{ s.articles.helped }} helped, {{ s.articles.not_helped }} did not,
        {{ s.articles.handed_off }} went to a person next</div>
    </section>
    <section class="charts">
      <figure>{{ charts.messages }}<figcaption>Customer messages per day, by channel</figcaption></figure>
      <figure>{{ charts.reasons }}<figcaption>Escalations by reason</figcaption></figure>
      <figure>{{ charts.intents }}<figcaption>Predicted intents</figcaption></figure>
      <figure>{{ charts.confidence }}<figcaption>Model confidence</figcaption></figure>
    </section>
    {% if s.outside_errors %}
    <h2>Outside API errors (this process)</h2>
    <ul>{% for name, n in s.outside_errors.items() %}<li>{{ name }}: {{ n }}</li>{% endfor %}</ul>
    {% endif %}
    {% if s.by_article %}
    <h2>Help-center answers by article</h2>
    <table class="queue">
      <tr><th>Article</th><th>Shown</th><th>Helped</th><th>Did not help</th><th>Person next</th></tr>
      {% for a in s.by_article %}
      <tr><td>{{ a.title }}</td><td>{{ a.shown }}</td><td>{{ a.helped }}</td>
        <td>{{ a.not_helped }}</td><td>{{ a.handed_off }}</td></tr>
      {% endfor %}
    </table>
    {% endif %}
    <h2>Newest low-confidence messages and article misses to label</h2>
    {% if s.to_label %}
    <table class="queue">
      <tr><th>When</th><th>Channel</th><th>Message (masked)</th><th>Model said</th><th>Label</th></tr>
      {% for p in s.to_label %}
      <tr>
        <td>{{ p.created_at.strftime("%m-%d %H:%M") }}</td>
        <td>{{ p.channel }}</td>
        <td>{{ p.text[:300] }}</td>
        <td>{{ p.intent or "none" }} ({{ "%.2f"|format(p.confidence) }})
          {% if p.article_id %}<br>article offered: {{ p.article_title or p.article_id }}
          ({{ "%.2f"|format(p.article_confidence or 0) }}){% if p.article_feedback %},
          {{ feedback_words[p.article_feedback] }}{% endif %}{% endif %}</td>
        <td>
          <form method="post" action="/agent/dashboard/label">
            <input type="hidden" name="csrf_token" value="{{ csrf }}">
            <input type="hidden" name="message_id" value="{{ p.message_id }}">
            <select name="intent" aria-label="Intent of this message">
              {% for i in intents %}<option{% if i == p.intent %} selected{% endif %}>{{ i }}</option>{% endfor %}
            </select>
            <button type="submit">Confirm</button>
          </form>
        </td>
      </tr>
      {% endfor %}
    </table>
    {% else %}
    <p class="muted">Nothing to label.</p>
    {% endif %}
  </main>
</body>
</html>
"""
)


_FEEDBACK_WORDS = {
    "helped": "it helped",
    "not_helped": "it did not help",
    "handed_off": "a person next",
}


async def _agent(request: web.Request) -> dict[str, Any] | None:
    return await request.app[AGENT_AUTH].session(request.cookies.get(SESSION_COOKIE))


def _outside_errors(request: web.Request) -> dict[str, int]:
    counter = request.app[METRICS].outside_errors
    out: dict[str, int] = {}
    for labels, value in counter.values.items():
        d = dict(labels)
        out[f"{d.get('vendor', '?')}: {d.get('error', '?')}"] = int(value)
    return out


async def _stats(request: web.Request) -> Stats:
    service = request.app[SERVICE]
    return await compute_stats(
        service.storage.stats,
        now=service.clock(),
        days=_days(request),
        outside_errors=_outside_errors(request),
    )


def _days(request: web.Request) -> int:
    try:
        return max(1, min(int(request.query.get("days", "14")), 90))
    except ValueError:
        return 14


def _intents(request: web.Request) -> list[str]:
    known = set(request.app[SERVICE].classifier.intents)
    return sorted(known | set(INTENTS))


def _pct(rate: float) -> str:
    return f"{rate * 100:.0f}%"


def _charts(s: Stats) -> dict[str, Markup]:
    width = 1 / BINS
    bins = [
        (f"{i * width:.1f}-{(i + 1) * width:.1f}", n) for i, n in enumerate(s.confidence_histogram)
    ]
    return {
        "messages": Markup(line_chart(s.days, s.messages_per_day, "Customer messages per day")),
        "reasons": Markup(bar_chart(list(s.escalation_reasons.items()), "Escalations by reason")),
        "intents": Markup(bar_chart(list(s.intents.items())[:20], "Predicted intents")),
        "confidence": Markup(bar_chart(bins, "Confidence histogram")),
    }


async def dashboard(request: web.Request) -> web.Response:
    agent = await _agent(request)
    if agent is None:
        raise web.HTTPSeeOther("/agent/login", headers=PRIVATE)
    s = await _stats(request)
    notice = {"labelled": "Label saved.", "invalid": "That label was not saved."}.get(
        request.query.get("done", "")
    )
    text = _PAGE.render(
        s=s,
        charts=_charts(s),
        csrf=str(agent["csrf"]),
        intents=_intents(request),
        pct=_pct,
        days=len(s.days),
        now=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        outside_total=sum(s.outside_errors.values()),
        notice=notice,
        feedback_words=_FEEDBACK_WORDS,
    )
    return web.Response(text=text, content_type="text/html", headers=PRIVATE)


async def stats(request: web.Request) -> web.Response:
    if await _agent(request) is None:
        return web.json_response({"error": "sign in at /agent/login"}, status=401, headers=PRIVATE)
    return web.json_response((await _stats(request)).to_json(), headers=PRIVATE)


async def label(request: web.Request) -> web.Response:
    agent = await _agent(request)
    if agent is None:
        raise web.HTTPSeeOther("/agent/login", headers=PRIVATE)
    form = await request.post()
    if not same_token(form.get("csrf_token"), agent.get("csrf")):
        raise web.HTTPForbidden(text="The form expired; reload the dashboard and try again.")
    intent, raw_id = form.get("intent"), form.get("message_id")
    done = "invalid"
    if isinstance(intent, str) and intent in _intents(request) and isinstance(raw_id, str):
        try:
            message_id = int(raw_id)
        except ValueError:
            message_id = -1
        stored = await request.app[SERVICE].label(message_id, intent, str(agent["u"]))
        if stored is not None:
            done = "labelled"
    raise web.HTTPSeeOther(f"/agent/dashboard?done={done}", headers=PRIVATE)


def setup_dashboard(app: web.Application) -> None:
    """Routes of the dashboard page, its JSON and its label form."""
    app.router.add_get("/agent/dashboard", dashboard)
    app.router.add_get("/agent/api/stats", stats)
    app.router.add_post("/agent/dashboard/label", label)
