"""The Zendesk e-mail channel end to end: the demo server (app factory, real port) with
its Zendesk sandbox delivering signed webhooks to ``/webhooks/zendesk``; customers
write through the sandbox's web form and e-mail replies, over real HTTP."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from chatserver.app import create_app
from chatserver.keys import STORAGE
from chatserver.settings import load_settings
from chatserver.storage import SqlStorage
from chatserver.storage.tables import events
from integrations.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, format_timestamp, sign
from tests.chatserver.harness import KeywordClassifier
from tests.chatserver.zendesk_rig import AGENT_ID, ZendeskRig, free_port

MARIA = (
    "Hi, I bought a wrap dress last week, the charge is on my card but I haven't heard "
    "anything. Has it shipped?"
)
TRACKING = "9400111899223456789017"


async def start_rig(
    aiohttp_server, tmp_path: Path, classifier=None, database_url: str | None = None, **zendesk
) -> ZendeskRig:
    port = free_port()
    settings = load_settings(
        port=port,
        database_url=database_url or f"sqlite+aiosqlite:///{tmp_path}/zd.db",
        data_dir=tmp_path,
        zendesk=zendesk or None,
    )
    app = create_app(settings, classifier=classifier or KeywordClassifier())
    server = await aiohttp_server(app, port=port)
    rig = ZendeskRig(server, httpx.AsyncClient(timeout=30))
    rig.sim.webhooks.retry_delays = (0.05, 0.05)  # Zendesk waits longer; tests need not
    return rig


@pytest.fixture
async def rig(aiohttp_server, tmp_path, database_url):
    rig = await start_rig(aiohttp_server, tmp_path, database_url=database_url)
    yield rig
    await rig.http.aclose()


def signed(body: bytes, secret: str = "demo", when: datetime | None = None) -> dict[str, str]:
    stamp = format_timestamp(when or datetime.now(UTC))
    return {
        SIGNATURE_HEADER: sign(secret, stamp, body),
        TIMESTAMP_HEADER: stamp,
        "Content-Type": "application/json",
    }


async def post_event(rig: ZendeskRig, payload: dict | bytes, **kw) -> httpx.Response:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = kw.pop("headers", None) or signed(body, **kw)
    return await rig.http.post(f"{rig.url}/webhooks/zendesk", content=body, headers=headers)


async def stored_events(rig: ZendeskRig) -> int:
    count = sa.select(sa.func.count()).select_from(events)
    return int(await rig.app[STORAGE].database.read(lambda conn: conn.scalar(count)) or 0)


# --- the case study and conversations ---------------------------------------------------


async def test_case_study_ticket_gets_the_tracking_reply(rig):
    ticket = await rig.open_ticket(MARIA, subject="My order")
    await rig.settle()
    replies = rig.bot_replies(ticket)
    assert len(replies) == 1, replies
    reply = replies[0]
    assert reply.startswith("Hi Maria,\n")  # the requester's name, from Zendesk
    assert "USPS" in reply and TRACKING in reply and "expected to arrive" in reply
    assert "? " not in reply and "?\n" not in reply  # an answer, no follow-up question
    assert {"bot_answered", "intent_track_order"} <= set(rig.tags(ticket))
    assert rig.notes(ticket) == []
    assert rig.sim.tickets[ticket].status == "pending"  # waits on the customer now


async def test_two_turn_ticket_continues_the_same_session(rig):
    ticket = await rig.open_ticket("Hi, has order #1009 shipped yet?")
    await rig.settle()
    [question] = rig.bot_replies(ticket)
    assert "#1009" in question and "order number" in question
    await rig.customer_reply(ticket, "Sorry, my mistake, it is #1001")
    await rig.settle()
    first, answer = rig.bot_replies(ticket)
    assert first == question
    assert TRACKING in answer and "#1001" in answer
    rows = await rig.queue.outbox_rows(ticket)
    assert [r.kind for r in rows] == ["reply", "reply"]
    assert all(r.status == "sent" for r in rows)


async def test_comments_in_quick_succession_are_answered_together(rig):
    rig.sim.webhooks.pause()
    ticket = await rig.open_ticket("Hello there")
    await rig.customer_reply(ticket, MARIA)
    rig.sim.webhooks.resume()
    await rig.settle()
    [reply] = rig.bot_replies(ticket)
    assert TRACKING in reply


# --- exactly once --------------------------------------------------------------------------


async def test_duplicate_and_out_of_order_deliveries_give_one_reply_per_comment(rig):
    rig.sim.webhooks.pause()
    ticket = await rig.open_ticket("Hello there")
    await rig.customer_reply(ticket, MARIA)
    created, replied = rig.sim.invocations[-2:]
    # the newer event first, then the older one, then each again (Zendesk retries)
    rig.sim.webhooks.deliver_again(replied)
    await rig.settle()
    rig.sim.webhooks.deliver_again(created)
    rig.sim.webhooks.deliver_again(replied)
    rig.sim.webhooks.resume()  # the held originals arrive too
    await rig.settle()
    replies = rig.bot_replies(ticket)
    assert len(replies) == 1 and TRACKING in replies[0]  # both comments, one answer
    assert await stored_events(rig) == 2  # duplicates were not stored again

    await rig.customer_reply(ticket, "Thanks! And has it shipped yet?")
    await rig.settle()
    for invocation in rig.sim.invocations:
        rig.sim.webhooks.deliver_again(invocation)
    await rig.settle()
    assert len(rig.bot_replies(ticket)) == 2


async def test_the_bots_own_comments_never_trigger_a_reply(rig):
    ticket = await rig.open_ticket(MARIA)
    await rig.settle()
    bot_comment = next(c for c in rig.comments(ticket) if c.author_id == AGENT_ID)
    payload = {"ticket_id": ticket, "comment_id": bot_comment.id, "event": "comment_added"}
    assert (await post_event(rig, payload)).status_code == 202
    await rig.settle()
    assert len(rig.bot_replies(ticket)) == 1


async def test_a_ticket_taken_by_an_agent_is_left_alone(rig):
    ticket = await rig.open_ticket(MARIA)
    await rig.settle()
    # An agent solves it; a stray webhook for the customer's comment changes nothing.
    agent = httpx.BasicAuth("agent@example.com/token", "demo")
    url = f"{rig.url}/sandbox/zendesk/api/v2/tickets/{ticket}.json"
    resp = await rig.http.put(url, json={"ticket": {"status": "solved"}}, auth=agent)
    assert resp.status_code == 200
    first = rig.comments(ticket)[0]
    payload = {"ticket_id": ticket, "comment_id": first.id + 1000, "event": "comment_added"}
    await post_event(rig, payload)
    await rig.settle()
    assert len(rig.bot_replies(ticket)) == 1


async def test_out_of_office_and_bounces_are_never_answered(rig):
    ooo = await rig.open_ticket(
        "I am out of the office until Monday with limited access to email.",
        subject="Automatic reply: Your order",
    )
    bounce = await rig.open_ticket(
        "This is the mail system at host mx.example.net. Your message could not be delivered.",
        email="mailer-daemon@example.net",
        subject="Undeliverable: Re: Your request",
    )
    answered = await rig.open_ticket(MARIA)
    await rig.settle()
    await rig.customer_reply(answered, "Automatic reply: I'm out of the office this week.")
    await rig.settle()
    assert rig.bot_replies(ooo) == [] and rig.bot_replies(bounce) == []
    assert "bot_auto_reply" in rig.tags(ooo) and "bot_auto_reply" in rig.tags(bounce)
    assert len(rig.bot_replies(answered)) == 1


async def test_replies_per_ticket_are_capped_then_escalated(rig):
    ticket = await rig.open_ticket("Has order #1001 shipped?")
    await rig.settle()
    for _ in range(5):
        await rig.customer_reply(ticket, "Has order #1001 shipped?")
        await rig.settle()
    assert len(rig.bot_replies(ticket)) == 5
    [note] = rig.notes(ticket)
    assert "reply limit" in note
    assert "bot_escalated" in rig.tags(ticket)
    await rig.customer_reply(ticket, "Has order #1001 shipped?")
    await rig.settle()
    assert len(rig.bot_replies(ticket)) == 5 and len(rig.notes(ticket)) == 1


# --- escalation -----------------------------------------------------------------------------


async def test_escalation_is_an_internal_note_and_a_group(aiohttp_server, tmp_path):
    rig = await start_rig(aiohttp_server, tmp_path, escalation_group_id=98002)
    ticket = await rig.open_ticket("This is unacceptable, I want to speak to a person now.")
    await rig.settle()
    assert rig.bot_replies(ticket) == []
    [note] = rig.notes(ticket)
    assert "handed this ticket over" in note and "They seem to want" in note
    assert "The bot's draft" in note  # what it would have said, for the agent
    zt = rig.sim.tickets[ticket]
    assert zt.group_id == 98002 and zt.assignee_id is None
    assert "bot_escalated" in zt.tags
    await rig.http.aclose()


async def test_chat_hand_off_tickets_are_left_to_people(rig):
    agent = httpx.BasicAuth("agent@example.com/token", "demo")
    ticket = {
        "subject": "Chat hand-off: customer_asked",
        "comment": {"body": "Has order #1001 shipped?"},
        "requester": {"email": "maria@example.com"},
        "tags": ["chat_handoff"],
    }
    url = f"{rig.url}/sandbox/zendesk/api/v2/tickets.json"
    resp = await rig.http.post(url, json={"ticket": ticket}, auth=agent)
    assert resp.status_code == 201
    await rig.settle()
    assert rig.bot_replies(resp.json()["ticket"]["id"]) == []


# --- the Zendesk API failing under the outbox: tests/chatserver/test_zendesk_retries.py,
# on the worker's clock


# --- the webhook endpoint -------------------------------------------------------------------


async def test_forged_missing_and_stale_signatures_are_refused(rig):
    body = json.dumps({"ticket_id": 35001, "comment_id": 1, "event": "ticket_created"}).encode()
    forged = signed(body, secret="not-the-secret")
    missing = {"Content-Type": "application/json"}
    stale = signed(body, when=datetime.now(UTC) - timedelta(minutes=10))
    future = signed(body, when=datetime.now(UTC) + timedelta(minutes=10))
    tampered = signed(body)
    for headers, content in [
        (forged, body), (missing, body), (stale, body), (future, body),
        (tampered, body.replace(b"35001", b"35002")),
        ({**signed(body), SIGNATURE_HEADER: "é".encode() * 22}, body),
        ({**signed(body), TIMESTAMP_HEADER: "yesterday"}, body),
    ]:  # fmt: skip
        resp = await rig.http.post(f"{rig.url}/webhooks/zendesk", content=content, headers=headers)
        assert resp.status_code == 401, headers
    assert await stored_events(rig) == 0
    assert await rig.queue.pending_work() == 0


async def test_bad_bodies_get_4xx_never_500(rig):
    big = b'{"ticket_id": 1, "x": "' + b"a" * (300 * 1024) + b'"}'
    assert (await post_event(rig, big)).status_code == 413
    assert (await post_event(rig, b"not json at all")).status_code == 400
    assert (await post_event(rig, b"[1, 2, 3]")).status_code == 400
    assert (await post_event(rig, b"")).status_code == 400
    assert (await post_event(rig, b'{"ticket_id": "abc"}')).status_code == 400
    assert (await post_event(rig, b'{"ticket_id": 1e999}')).status_code == 400
    assert (await post_event(rig, b'{"ticket_id": 99999999999999999999999}')).status_code == 400
    assert (await post_event(rig, b'{"ticket_id": -4}')).status_code == 400
    assert (await post_event(rig, b"\xff\xfe\x00garbage")).status_code == 400
    assert await stored_events(rig) == 0
    # A free-text field that broke the template's JSON still names the ticket: accepted.
    broken = b'{"ticket_id": 424242, "comment_id": 7, "latest_comment": "she said "hi""}'
    assert (await post_event(rig, broken)).status_code == 202
    await rig.settle()  # no such ticket: the worker lets it go
    assert await stored_events(rig) == 1


# --- what customers really send -----------------------------------------------------------


async def test_html_email_with_quoted_history(rig):
    html = (
        "<div dir='ltr'><p>Hi,</p><p>has my order <b>#1001</b> shipped?</p></div>"
        "<div class='gmail_quote'><blockquote>On Mon, Nov 23 support@example.com wrote:"
        "<br>I want a refund and to cancel my subscription</blockquote></div>"
    )
    ticket = await rig.open_ticket(html, html=True, subject="Order")
    await rig.settle()
    [reply] = rig.bot_replies(ticket)
    assert TRACKING in reply


async def test_other_languages_get_a_clear_outcome(rig):
    ticket = await rig.open_ticket(
        "Hola, compré un vestido la semana pasada y todavía no tengo noticias. ¿Ya lo enviaron?"
    )
    await rig.settle()
    replies, notes = rig.bot_replies(ticket), rig.notes(ticket)
    assert (len(replies), len(notes)) in ((1, 0), (0, 1))


async def test_a_two_megabyte_email_is_trimmed_not_choked_on(rig):
    text = "Has order #1001 shipped? " + "Lorem ipsum dolor sit amet. " * 75_000
    assert len(text) > 2_000_000
    ticket = await rig.open_ticket(text)
    await rig.sim.webhooks.drain()
    # The trigger's body carries ids only, so a huge email still makes a small webhook.
    assert [d.status for d in rig.sim.deliveries] == [202]
    await rig.settle()
    # The comments page (the comment three times over) fits the Zendesk client's cap.
    [reply] = rig.bot_replies(ticket)
    assert TRACKING in reply
    assert rig.notes(ticket) == []


async def test_an_empty_comment_is_escalated(rig):
    html = "<blockquote>On Monday support@example.com wrote:<br>Your order shipped.</blockquote>"
    ticket = await rig.open_ticket(html, html=True, subject="Re: Your order")
    await rig.settle()
    assert rig.bot_replies(ticket) == []
    [note] = rig.notes(ticket)
    assert "handed this ticket over" in note


# --- the queue itself -------------------------------------------------------------------------


async def test_workers_in_several_processes_never_take_the_same_row(database_url):
    stores = [SqlStorage(database_url) for _ in range(4)]  # one engine each: "processes"
    for store in stores:
        await store.start()
    try:
        queues = [s.zendesk for s in stores]
        now = datetime.now(UTC)
        for ticket in range(1, 21):
            assert await queues[0].record_event(
                ticket, ticket * 10, "ticket_created", None, "{}", now=now
            )
        assert not await queues[1].record_event(3, 30, "ticket_created", None, "{}", now=now)

        async def take(i: int) -> list[int]:
            got = []
            while (job := await queues[i].claim_ticket(f"w{i}", 60, now=now)) is not None:
                got.append(job.ticket_id)
            return got

        taken = await asyncio.gather(*(take(i) for i in range(4)))
        flat = [t for got in taken for t in got]
        assert sorted(flat) == list(range(1, 21))  # each ticket once, none twice

        # A lease that expired (its worker died) is taken over.
        job = await queues[0].claim_ticket("survivor", 60, now=now + timedelta(seconds=61))
        assert job is not None and job.attempts == 2
    finally:
        for store in stores:
            await store.aclose()
