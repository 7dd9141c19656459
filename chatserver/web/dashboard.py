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
from chatserver.labels import Labels, confidence_words
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
      <div class="card">Handed to a person<b>{{ pct(s.escalation_rate) }}</b>
        {{ s.escalated }} conversation{{ "" if s.escalated == 1 else "s" }}</div>
      <div class="card">Shopify or carriers failing<b>{{ s.integration_failures }}</b>
        hand-offs; {{ outside_total }} failed requests since start</div>
      <div class="card">Help-center answers<b>{{ s.articles.shown }}</b>
        {{ s.articles.helped }} helped, {{ s.articles.not_helped }} did not,
        {{ s.articles.handed_off }} went to a person next</div>
    </section>
    <section class="charts">
      <figure>{{ charts.messages }}<figcaption>Customer messages per day, by channel</figcaption></figure>
      <figure>{{ charts.reasons }}<figcaption>Why conversations went to a person</figcaption></figure>
      <figure>{{ charts.intents }}<figcaption>What customers asked for</figcaption></figure>
      <figure>{{ charts.confidence }}<figcaption>How sure the bot was (messages)</figcaption></figure>
    </section>
    {% if s.outside_errors %}
    <h2>Failed requests to Shopify, Zendesk and carriers (since this server started)</h2>
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
    <h2>Messages worth a look</h2>
    <p class="muted">The newest messages the bot was unsure about, and help-center answers
      that did not help. Say what each one asks for and the next model learns it. (Answers
      to the bot's own questions, such as an email address or an order number, are left
      out.)</p>
    {% if s.to_label %}
    <table class="queue">
      <tr><th scope="col">When</th><th scope="col">Where</th><th scope="col">Message (private details hidden)</th>
        <th scope="col">The bot thought</th><th scope="col">It asks for</th></tr>
      {% for p in s.to_label %}
      <tr>
        <td>{{ p.created_at.strftime("%b %d, %H:%M") }}</td>
        <td>{{ "Email" if p.channel == "email" else "Chat" }}</td>
        <td>{{ p.text[:300] }}</td>
        <td>{{ labels.intent(p.intent) }} <span class="muted">({{ sure(p.confidence) }})</span>
          {% if p.article_id %}<br>article offered: {{ p.article_title or p.article_id }}
          ({{ sure(p.article_confidence or 0) }}){% if p.article_feedback %},
          {{ feedback_words[p.article_feedback] }}{% endif %}{% endif %}</td>
        <td>
          <form method="post" action="/agent/dashboard/label">
            <input type="hidden" name="csrf_token" value="{{ csrf }}">
            <input type="hidden" name="message_id" value="{{ p.message_id }}">
            <select name="intent" aria-label="What this message asks for">
              {% for i in intents %}<option value="{{ i }}"{% if i == p.intent %} selected{% endif %}>{{ labels.intent(i) }}</option>{% endfor %}
            </select>
            <button type="submit">Save</button>
          </form>
        </td>
      </tr>
      {% endfor %}
    </table>
    {% else %}
    <p class="muted">Nothing to look at.</p>
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


def _labels(request: web.Request) -> Labels:
    return request.app[SERVICE].policy.labels


def _charts(s: Stats, labels: Labels) -> dict[str, Markup]:
    step = 100 // BINS
    bins = [
        (f"{i * step}–{(i + 1) * step}% sure", n)
        for i, n in reversed(list(enumerate(s.confidence_histogram)))
    ]
    reasons = [(labels.reason(r), n) for r, n in s.escalation_reasons.items()]
    intents = [(labels.intent(None if i == "none" else i), n) for i, n in s.intents.items()]
    channels = {("Email" if k == "email" else "Chat"): v for k, v in s.messages_per_day.items()}
    return {
        "messages": Markup(line_chart(s.days, channels, "Customer messages per day")),
        "reasons": Markup(bar_chart(reasons, "Why conversations went to a person")),
        "intents": Markup(bar_chart(intents[:20], "What customers asked for")),
        "confidence": Markup(bar_chart(bins, "How sure the bot was")),
    }


async def dashboard(request: web.Request) -> web.Response:
    agent = await _agent(request)
    if agent is None:
        raise web.HTTPSeeOther("/agent/login", headers=PRIVATE)
    s = await _stats(request)
    notice = {"labelled": "Label saved.", "invalid": "That label was not saved."}.get(
        request.query.get("done", "")
    )
    labels = _labels(request)
    text = _PAGE.render(
        s=s,
        charts=_charts(s, labels),
        labels=labels,
        sure=confidence_words,
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
