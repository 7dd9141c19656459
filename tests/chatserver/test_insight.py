"""Dashboard figures against a seeded history, the charts, and the page behind the login."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime

import aiohttp
import pytest

from chatserver.storage import Prediction, Session, SqlStorage
from chatserver.web.charts import bar_chart, line_chart
from chatserver.web.insight import compute_stats
from tests.chatserver.live import start_server

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=UTC)


@pytest.fixture
async def store(database_url):
    storage = SqlStorage(database_url)
    await storage.start()
    yield storage
    await storage.aclose()


async def seed(storage: SqlStorage) -> dict[str, int]:
    """Five sessions; four with customer messages in the last three days (23..25 Nov)."""
    log = storage.predictions
    ids: dict[str, int] = {}

    async def session(name, channel, day, *, reason=None, agent=False, owner="bot"):
        s = Session(id=f"s-{name}", channel=channel, created_at=at(day, 8), updated_at=at(day, 9))
        await storage.create_session(s)
        tags = ("bot_escalated", f"reason_{reason}") if reason else ("bot_answered",)
        await storage.save_session(replace(s, escalation_reason=reason, tags=tags, owner=owner))
        if agent:
            await storage.add_message(s.id, "agent", "Hi, Alex here", at=at(day, 14))
        return s

    async def customer(key, s, when, intent, confidence, outcome, **extra):
        m = await storage.add_message(s.id, "customer", f"text {key} order #1001", at=when)
        ids[key] = m.id
        await log.record(
            Prediction(
                message_id=m.id, session_id=s.id, channel=s.channel, text=f"text {key}",
                intent=intent, confidence=confidence, ranking=(), escalate=extra.get("escalate", False),
                reason=extra.get("reason"), model_version="m1", outcome=outcome,
                escalation_reason=extra.get("escalation_reason"), created_at=when,
            )
        )  # fmt: skip
        await storage.add_message(s.id, "bot", "a reply", at=when)

    a = await session("a", "chat", 24)
    await customer("a1", a, at(24, 9), "track_order", 0.95, "answered")
    await customer("a2", a, at(24, 10), "thanks", 0.85, "answered")
    b = await session("b", "chat", 25, reason="integration_failure")
    await customer(
        "b1", b, at(25, 10), "track_order", 0.55, "escalated",
        escalation_reason="integration_failure",
    )  # fmt: skip
    c = await session("c", "email", 25, reason="low_confidence", agent=True, owner="human")
    await customer(
        "c1", c, at(25, 12), None, 0.12, "escalated",
        escalate=True, reason="low_confidence", escalation_reason="low_confidence",
    )  # fmt: skip
    d = await session("d", "email", 23, agent=True)  # an agent stepped in unasked
    await customer("d1", d, at(23, 11), "return_item", 0.45, "answered")
    e = await session("e", "chat", 20)  # before the window
    await customer("e1", e, at(20, 11), "greeting", 0.3, "answered")
    await storage.label_message(ids["e1"], "greeting", by="alex", at=at(20, 12))
    return ids


async def test_figures_of_a_seeded_history(store):
    ids = await seed(store)
    s = await compute_stats(store.stats, now=NOW, days=3, outside_errors={"shopify: timeout": 2})
    assert s.days == ("2026-11-23", "2026-11-24", "2026-11-25")
    assert s.messages_per_day == {"chat": (0, 2, 1), "email": (1, 0, 1)}
    assert (s.conversations, s.automated, s.escalated) == (4, 1, 2)
    assert (s.automation_rate, s.escalation_rate) == (0.25, 0.5)
    assert s.escalation_reasons == {"integration_failure": 1, "low_confidence": 1}
    assert s.intents == {"track_order": 2, "none": 1, "return_item": 1, "thanks": 1}
    assert s.confidence_histogram == (0, 1, 0, 0, 1, 1, 0, 0, 1, 1)
    assert s.integration_failures == 1
    assert s.outside_errors == {"shopify: timeout": 2}
    # unlabelled, below 0.6 or escalated, newest first; e1 is labelled
    assert [p.message_id for p in s.to_label] == [ids["c1"], ids["b1"], ids["d1"]]
    body = s.to_json()
    assert body["automation_rate"] == 0.25 and body["to_label"][0]["reason"] == "low_confidence"
    assert "1001" not in str(body["to_label"])  # the masked text, not the message


async def test_an_empty_store_gives_zeros(store):
    s = await compute_stats(store.stats, now=NOW, days=2)
    assert (s.conversations, s.automation_rate, s.escalation_rate) == (0, 0.0, 0.0)
    assert s.messages_per_day == {} and s.to_label == ()


def test_charts_escape_their_text():
    evil = '<script>alert("x")</script>'
    svg = bar_chart([(evil, 3)], evil) + line_chart(["2026-11-25"], {evil: [1]}, evil)
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert svg.count("<svg") == 2 and "<rect" in svg and "<polyline" in svg
    assert "No data yet." in bar_chart([], "empty")


# --- the page ---------------------------------------------------------------------------


@pytest.fixture
async def server(aiohttp_server, tmp_path):
    return await start_server(aiohttp_server, tmp_path)


@pytest.fixture
async def http():
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


async def sign_in(http, server) -> None:
    async with http.get(server.make_url("/agent/login")) as page:
        token = re.search(r'name="csrf_token" value="([^"]+)"', await page.text())[1]
    form = {"csrf_token": token, "username": "agent", "password": "demo"}
    async with http.post(server.make_url("/agent/login"), data=form, allow_redirects=False) as r:
        assert r.status == 303


async def test_the_dashboard_needs_the_login(server, http):
    async with http.get(server.make_url("/agent/dashboard"), allow_redirects=False) as resp:
        assert resp.status == 303 and resp.headers["Location"] == "/agent/login"
    async with http.get(server.make_url("/agent/api/stats")) as resp:
        assert resp.status == 401
    form = {"csrf_token": "x", "message_id": "1", "intent": "greeting"}
    url = server.make_url("/agent/dashboard/label")
    async with http.post(url, data=form, allow_redirects=False) as resp:
        assert resp.status == 303 and resp.headers["Location"] == "/agent/login"


async def test_dashboard_shows_charts_and_labels_in_one_click(server, http):
    from chatserver.keys import MODEL, SERVICE
    from chatserver.service import InboundMessage

    service = server.app[SERVICE]
    session = await service.open_session("chat")
    # the live KeywordClassifier answers "greeting" at 0.95: serve one that looks unsure
    server.app[MODEL].swap(Unsure(server.app[MODEL].current))
    await service.handle(InboundMessage(session.id, "<b>hi</b> from ann@example.com"))
    await sign_in(http, server)
    async with http.get(server.make_url("/agent/dashboard")) as resp:
        assert resp.status == 200 and resp.headers["Cache-Control"] == "no-store"
        page = await resp.text()
    assert page.count("<svg") == 4
    assert "&lt;b&gt;hi&lt;/b&gt; from &lt;email&gt;" in page and "<b>hi" not in page
    assert "ann@example.com" not in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    message_id = re.search(r'name="message_id" value="(\d+)"', page)[1]
    async with http.get(server.make_url("/agent/api/stats")) as resp:
        stats = await resp.json()
    assert stats["conversations"] == 1 and stats["to_label"][0]["message_id"] == int(message_id)

    form = {"csrf_token": "wrong", "message_id": message_id, "intent": "greeting"}
    url = server.make_url("/agent/dashboard/label")
    async with http.post(url, data=form, allow_redirects=False) as resp:
        assert resp.status == 403
    form["csrf_token"] = token
    async with http.post(url, data=form, allow_redirects=False) as resp:
        assert resp.status == 303 and resp.headers["Location"] == "/agent/dashboard?done=labelled"
    prediction = await service.storage.predictions.get(int(message_id))
    assert (prediction.label, prediction.reviewed, prediction.labelled_by) == (
        "greeting", "pending", "agent",
    )  # fmt: skip
    async with http.get(server.make_url("/agent/api/stats")) as resp:
        assert (await resp.json())["to_label"] == []  # labelled: off the list


class Unsure:
    """The model it wraps, with the confidence of a doubtful guess."""

    def __init__(self, inner):
        self.inner, self.version, self.intents = inner, inner.version, inner.intents

    def parse(self, text, channel="chat", expecting=None):
        from dataclasses import replace as copy

        parse = self.inner.parse(text, channel)
        return copy(parse, confidence=0.3, ranking=(("greeting", 0.3),))
