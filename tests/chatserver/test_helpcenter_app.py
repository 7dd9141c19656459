"""The help center in the real demo server: loaded from the Guide sandbox over HTTP at
start-up, answering in the chat over Socket.IO, kept fresh by the article webhooks the
sandbox sends, and counted on the agents' dashboard."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import aiohttp
import pytest

from chatserver.channels.zendesk.articles import ARTICLE_WEBHOOK_PATH
from chatserver.keys import HELPCENTER, HELPCENTER_SYNC, SANDBOXES
from integrations.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, format_timestamp, sign
from nlu.engine import Parse
from nlu.entities import extract
from tests.chatserver.live import WAIT, Customer, start_server
from tests.chatserver.test_insight import sign_in

GIFT_CARDS = "360000101206"


class Escalating:
    """A model that knows no intent: every question is out of its scope."""

    version = "test"
    intents = ("greeting", "out_of_scope")

    def parse(self, text: str, channel: str = "chat", expecting: str | None = None) -> Parse:
        return Parse(
            text=text, cleaned=text, intent="", confidence=0.1, escalate=True,
            ranking=(("out_of_scope", 0.9),), entities=tuple(extract(text)),
            model_version="test", reason="out_of_scope",
        )  # fmt: skip


@pytest.fixture
async def server(aiohttp_server, tmp_path):
    server = await start_server(aiohttp_server, tmp_path, classifier=Escalating())
    sync = server.app[HELPCENTER_SYNC]
    if sync.generation == 0:  # read over HTTP from the sandbox in this very server
        await asyncio.wait_for(sync.changed(after=0), WAIT)
    return server


@pytest.fixture
async def customer(server):
    c = Customer(str(server.make_url("/")))
    yield c
    await c.aclose()


async def test_the_demo_help_center_is_loaded_at_start_up(server):
    assert len(server.app[HELPCENTER]) == 39
    async with aiohttp.ClientSession() as http, http.get(server.make_url("/readyz")) as resp:
        assert (await resp.json())["articles"] == 39


async def test_a_chat_question_is_answered_from_the_help_center_over_socketio(
    server, customer, aiohttp_client
):
    await customer.open()
    answer, question = await customer.turn("do you sell gift cards?")
    assert answer["text"].startswith('From our help center, "Gift cards"')
    link = f"/sandbox/zendesk/hc/en-us/articles/{GIFT_CARDS}-Gift-cards"
    assert f"{server.make_url('')}".rstrip("/") + link in answer["text"]
    assert question["text"] == "Did that help?"
    assert [q["payload"] for q in question["quick_replies"]] == ["/affirm", "/deny", "/human_agent"]
    # the link opens: the sandbox's page of the article
    async with aiohttp.ClientSession() as http, http.get(server.make_url(link)) as page:
        assert page.status == 200 and "Gift cards" in await page.text()
    [thanks] = await customer.turn("/affirm")
    assert thanks["text"].startswith("Glad that helped!")


async def test_the_dashboard_shows_the_answers_and_the_misses(server, customer):
    await customer.open()
    await customer.turn("do you sell gift cards?")
    [sorry] = await customer.turn("/deny")
    assert [q["payload"] for q in sorry["quick_replies"]] == ["/human_agent"]
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        await sign_in(http, server)
        async with http.get(server.make_url("/agent/api/stats")) as resp:
            stats = await resp.json()
        async with http.get(server.make_url("/agent/dashboard")) as resp:
            page = await resp.text()
    articles = stats["articles"]
    assert (articles["shown"], articles["helped"], articles["not_helped"]) == (1, 0, 1)
    assert articles["by_article"][0]["title"] == "Gift cards"
    [miss] = [r for r in stats["to_label"] if r["article"]]
    assert miss["text"] == "do you sell gift cards?"
    assert miss["article"]["title"] == "Gift cards" and miss["article"]["feedback"] == "not_helped"
    assert "Help-center answers by article" in page
    assert "article offered: Gift cards" in page and "it did not help" in page


async def test_unpublishing_in_zendesk_reaches_the_bot_through_the_webhook(server, customer):
    sync = server.app[HELPCENTER_SYNC]
    before = sync.generation
    guide = server.app[SANDBOXES].helpcenter
    guide.unpublish(GIFT_CARDS)  # the sandbox POSTs zen:event-type:article.unpublished
    await asyncio.wait_for(sync.changed(after=before), WAIT)
    assert guide.webhooks.deliveries[-1].status == 202
    await customer.open()
    replies = await customer.turn("do you sell gift cards?")
    assert all('"Gift cards"' not in r["text"] for r in replies)
    guide.publish(GIFT_CARDS)
    await asyncio.wait_for(sync.changed(after=before + 1), WAIT)
    answer, _ = await customer.turn("do you sell gift cards?")
    assert '"Gift cards"' in answer["text"]


def signed(body: bytes, secret: str = "demo", when: datetime | None = None) -> dict[str, str]:
    stamp = format_timestamp(when or datetime.now(UTC))
    return {
        TIMESTAMP_HEADER: stamp,
        SIGNATURE_HEADER: sign(secret, stamp, body),
        "Content-Type": "application/json",
    }


def article_event(kind: str, article_id: str = GIFT_CARDS) -> bytes:
    return json.dumps({
        "type": f"zen:event-type:article.{kind}", "id": "01HEVENT", "time": "2026-12-01T12:00:00Z",
        "subject": f"zen:article:{article_id}", "account_id": 1,
        "detail": {"brand_id": "1", "id": article_id}, "event": {},
    }).encode()  # fmt: skip


async def test_the_article_webhook_checks_the_signature_and_the_event(server):
    url = server.make_url(ARTICLE_WEBHOOK_PATH)
    async with aiohttp.ClientSession() as http:
        body = article_event("unpublished")
        async with http.post(url, data=body, headers=signed(body, "wrong")) as resp:
            assert resp.status == 401
        old = datetime(2026, 1, 1, tzinfo=UTC)
        async with http.post(url, data=body, headers=signed(body, when=old)) as resp:
            assert resp.status == 401  # stale: replayed
        votes = article_event("vote_created")
        async with http.post(url, data=votes, headers=signed(votes)) as resp:
            assert resp.status == 200 and (await resp.json())["status"] == "nothing to change"
        ticket = b'{"ticket_id": 5, "event": "ticket_created"}'
        async with http.post(url, data=ticket, headers=signed(ticket)) as resp:
            assert resp.status == 400
        junk = b"\xff" * 10
        async with http.post(url, data=junk, headers=signed(junk)) as resp:
            assert resp.status == 400
        huge = b"{" + b" " * (300 * 1024) + b"}"
        async with http.post(url, data=huge, headers=signed(huge)) as resp:
            assert resp.status == 413
    assert len(server.app[HELPCENTER]) == 39  # nothing was applied


async def test_the_article_webhook_may_have_a_secret_of_its_own(aiohttp_server, tmp_path):
    server = await start_server(
        aiohttp_server, tmp_path, classifier=Escalating(),
        helpcenter={"webhook_secret": "guide-secret"},
    )  # fmt: skip
    body = article_event("vote_created")
    url = server.make_url(ARTICLE_WEBHOOK_PATH)
    async with aiohttp.ClientSession() as http:
        async with http.post(url, data=body, headers=signed(body, "demo")) as resp:
            assert resp.status == 401  # the ticket webhooks' secret is not this one's
        async with http.post(url, data=body, headers=signed(body, "guide-secret")) as resp:
            assert resp.status == 200


async def test_without_a_help_center_the_webhook_says_so(aiohttp_server, tmp_path):
    server = await start_server(
        aiohttp_server, tmp_path, classifier=Escalating(), helpcenter={"source": "none"}
    )
    body = article_event("published")
    async with aiohttp.ClientSession() as http:
        async with http.post(
            server.make_url(ARTICLE_WEBHOOK_PATH), data=body, headers=signed(body)
        ) as resp:
            assert resp.status == 404
        async with http.get(server.make_url("/readyz")) as resp:
            assert (await resp.json())["articles"] == 0
