"""Every outside API failing in turn, in every way: the customer gets an honest holding
answer, a person gets the conversation with the reason, nothing crashes, nothing is lost.

Shopify and the carriers are exercised through the conversation core (chat and email
turns, ``FailingWorld``); Zendesk through the running server, as the email channel's
reply and as the chat hand-off's ticket.
"""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from chatserver.app import create_app
from chatserver.keys import SANDBOXES, SERVICE
from chatserver.settings import load_settings
from tests.chatserver.harness import KeywordClassifier
from tests.chatserver.live import CASE_STUDY, Customer, start_server, text_of
from tests.chatserver.test_zendesk_channel import MARIA, TRACKING
from tests.chatserver.zendesk_rig import AGENT_ID, ZendeskRig, free_port
from tests.faults.outside_rig import FAULTS, SLOW, FailingWorld, misbehave

FIRST = "Hi, I bought something last week and I haven't heard anything. Has it shipped?"
# Whose latest order is answered by which API (the demo shop, integrations.sandbox.demo).
CUSTOMERS = {
    "shopify": ("maria@example.com", "#1001"),
    "usps": ("maria@example.com", "#1001"),
    "fedex": ("james@example.com", "#1002"),
    "ups": ("priya@example.com", "#1003"),
    "dhl": ("lukas@example.com", "#1004"),
}
HOLDING = {"chat": "can't reach our order system", "email": "our order system did not answer"}


@pytest.fixture
async def world():
    w = await FailingWorld().start()
    yield w
    await w.aclose()


@pytest.mark.parametrize("kind", FAULTS)
@pytest.mark.parametrize("api", list(CUSTOMERS))
@pytest.mark.parametrize("channel", ["chat", "email"])
async def test_a_failing_api_gets_a_holding_answer_and_a_person(world, channel, api, kind):
    email, order = CUSTOMERS[api]
    misbehave(world.sandboxes.by_name()[api], kind)
    if channel == "chat":
        chat = await world.chat()
        assert "order number" in await chat.say(FIRST)  # nothing asked outside yet
        text = f"{email} {order}"
    else:
        chat = await world.chat("email", identity_email=email)
        text = FIRST
    reply = await chat.say(text)

    assert HOLDING[channel] in reply
    assert chat.last.escalated and chat.last.escalation_reason == "integration_failure"
    assert "failed" in chat.last.summary
    assert world.calls[api] >= 1  # the failure really came from that API
    session = await world.service.get_session(chat.session_id)
    assert session.status == "waiting" and session.escalation_reason == "integration_failure"
    stored = await world.service.messages_since(chat.session_id)
    assert [m.sender for m in stored][-2:] == ["customer", "bot"]
    assert stored[-2].text == text and HOLDING[channel] in stored[-1].text


async def test_a_healthy_api_answers_again_after_the_failure(world):
    sim = world.sandboxes.by_name()["usps"]
    misbehave(sim, "5xx")
    chat = await world.chat("email", identity_email="maria@example.com")
    assert HOLDING["email"] in await chat.say(FIRST)
    sim.faults.reset()
    chat = await world.chat("email", identity_email="maria@example.com")
    assert "9400111899223456789017" in await chat.say(FIRST)
    assert not chat.last.escalated


# --- Zendesk: the email channel's reply -----------------------------------------------------


class ReplyFaults:
    """Wraps the Zendesk sandbox's ``handle``: the bot's public replies are applied, but
    answered ``times`` times as ``kind`` (a "timeout": after the client gave up)."""

    def __init__(self, sim, kind: str, times: int = 2) -> None:
        self.sim, self.kind, self.left, self.inner = sim, kind, times, sim.handle
        sim.handle = self

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        comment = {}
        if request.method == "PUT":
            comment = (json.loads(request.content or b"{}").get("ticket") or {}).get("comment")
        is_reply = isinstance(comment, dict) and comment.get("author_id") == AGENT_ID
        if not (is_reply and self.left):
            return await self.inner(request)
        self.left -= 1
        match self.kind:
            case "timeout":
                answer = await self.inner(request)
                await asyncio.sleep(SLOW)
                return answer
            case "html-200":
                await self.inner(request)
                return httpx.Response(200, headers={"content-type": "text/html"}, text="<html>")
            case _:
                await self.inner(request)
                return httpx.Response(200, headers={"content-type": "application/json"}, text="{")


async def zendesk_rig(aiohttp_server, tmp_path) -> ZendeskRig:
    """``start_rig``'s server, with a client timeout short enough to hit."""
    port = free_port()
    settings = load_settings(
        port=port,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/zd.db",
        data_dir=tmp_path,
        outside_timeout_seconds=0.2,
    )
    app = create_app(settings, classifier=KeywordClassifier())
    rig = ZendeskRig(await aiohttp_server(app, port=port), httpx.AsyncClient(timeout=30))
    rig.sim.webhooks.retry_delays = (0.05, 0.05)
    return rig


# 429, 5xx and "applied but 500" are in tests/chatserver/test_zendesk_channel.py
# (test_failed_reply_is_retried_and_posted_exactly_once); each retry there waits the
# outbox's real backoff, so only the kinds not covered there run here.
@pytest.mark.parametrize("kind", ["timeout", "html-200", "truncated-json"])
async def test_a_failing_zendesk_reply_is_retried_and_posted_once(aiohttp_server, tmp_path, kind):
    rig = await zendesk_rig(aiohttp_server, tmp_path)
    try:
        faults = ReplyFaults(rig.sim, kind)
        ticket = await rig.open_ticket(MARIA)
        await rig.settle(timeout=30)
        assert faults.left < 2  # it failed at least once
        replies = rig.bot_replies(ticket)
        assert len(replies) == 1 and TRACKING in replies[0]  # posted, and only once
        [row] = await rig.queue.outbox_rows(ticket)
        assert row.status == "sent" and row.attempts >= 2
    finally:
        await rig.http.aclose()


# --- Zendesk: the chat hand-off's ticket ----------------------------------------------------


@pytest.mark.parametrize("kind", FAULTS)
async def test_a_failing_zendesk_ticket_tells_the_chat_customer_where_to_write(
    aiohttp_server, tmp_path, kind
):
    server = await start_server(aiohttp_server, tmp_path, outside_timeout_seconds=0.2)
    zendesk = server.app[SANDBOXES].zendesk
    maria = Customer(str(server.make_url("/")))
    try:
        session_id = await maria.open()
        await maria.turn(CASE_STUDY)
        assert TRACKING in text_of(await maria.turn("maria@example.com #1001"))
        tickets_before = len(zendesk.tickets)
        misbehave(zendesk, kind)
        said = text_of(await maria.turn("/human_agent"))
        support = server.app[SERVICE].policy.support_email
        assert "couldn't pass this on" in said and said.rstrip(".").endswith(
            f"Please write to {support} and our team will help you"
        )
        service = server.app[SERVICE]
        session = await service.get_session(session_id)
        assert session.status == "waiting" and session.escalation_reason
        stored = await service.messages_since(session_id)
        assert stored[-1].sender == "bot" and stored[-1].text == said.splitlines()[-1]
        assert "/human_agent" in [m.text for m in stored if m.sender == "customer"]
        if kind != "timeout":  # a timed-out create may still land; no second one is made
            assert len(zendesk.tickets) == tickets_before
    finally:
        await maria.aclose()
