"""The Zendesk channel's retries, on the worker's injected clock: backoff, Retry-After,
leases and giving up cost the test no time at all (``tests.chatserver.mail_desk``)."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest

from tests.chatserver.mail_desk import AGENT_ID, MailDesk

MARIA = "Hi, has my order #1001 shipped yet?"
TRACKING = "9400111899223456789017"


@pytest.fixture
async def desk():
    desk = await MailDesk.start(retry_base=2.0, max_attempts=8)
    yield desk
    await desk.aclose()


class Faults:
    """Wraps the Zendesk sandbox: the requests ``matching`` get the given answers first
    ("applied-500": the sandbox applies the request, and the answer says 500)."""

    def __init__(self, sim, answers, matching) -> None:
        self.answers, self.matching, self.inner = list(answers), matching, sim.handle
        sim.handle = self

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        if not (self.answers and self.matching(request)):
            return await self.inner(request)
        answer = self.answers.pop(0)
        if answer == "applied-500":
            await self.inner(request)
            return httpx.Response(500, text="upstream timeout")
        headers = {"Retry-After": "0.1"} if answer == 429 else {}
        return httpx.Response(answer, headers=headers, json={"error": "Failure"})


def bot_reply(request: httpx.Request) -> bool:
    if request.method != "PUT":
        return False
    comment = (json.loads(request.content or b"{}").get("ticket") or {}).get("comment")
    return isinstance(comment, dict) and comment.get("author_id") == AGENT_ID


def ticket_read(request: httpx.Request) -> bool:
    return request.method == "GET" and request.url.path.endswith(".json")


@pytest.mark.parametrize(
    ("answers", "waited"),
    [
        ([429, 429, 429], 0.3),  # Retry-After: 0.1 s, three times
        ([503], 2.0),  # backoff: retry_base
        (["applied-500"], 2.0),  # it landed: the second attempt finds it, posts nothing
        ([429, 429, 429, "applied-500"], 0.3 + 16.0),  # the 4th attempt backs off 2·2³ s
    ],
    ids=["rate-limited", "5xx", "applied-but-500", "both"],
)
async def test_a_failed_reply_is_retried_on_the_clock_and_posted_once(desk, answers, waited):
    faults = Faults(desk.sim, answers, bot_reply)
    ticket = await desk.open_ticket(MARIA)
    moved = await desk.run()
    assert faults.answers == []
    [reply] = desk.bot_replies(ticket)
    assert TRACKING in reply
    [row] = await desk.queue.outbox_rows(ticket)
    assert row.status == "sent" and row.attempts == len(answers) + 1
    assert moved == timedelta(seconds=waited)


async def test_a_reply_that_never_lands_is_given_up_for_a_person(desk):
    Faults(desk.sim, [503] * 8, bot_reply)
    ticket = await desk.open_ticket(MARIA)
    moved = await desk.run()
    assert desk.bot_replies(ticket) == []
    [note] = desk.notes(ticket)
    assert "could not post its reply after 8 attempts" in note and TRACKING in note
    assert moved == timedelta(seconds=sum(2.0 * 2**i for i in range(7)))  # 2 s ... 128 s
    reply, escalation = await desk.queue.outbox_rows(ticket)
    assert (reply.status, escalation.kind, escalation.status) == ("failed", "escalate", "sent")


async def test_a_ticket_the_api_cannot_read_is_tried_again_later(desk):
    Faults(desk.sim, [503, 503], ticket_read)
    ticket = await desk.open_ticket(MARIA)
    moved = await desk.run()
    [reply] = desk.bot_replies(ticket)
    assert TRACKING in reply
    assert moved == timedelta(seconds=2.0 + 4.0)  # the ticket's own backoff


async def test_the_reply_cap_counts_the_hour_on_the_clock(desk):
    ticket = await desk.open_ticket(MARIA)
    await desk.run()
    for _ in range(4):
        await desk.customer_reply(ticket, MARIA)
        await desk.run()
    assert len(desk.bot_replies(ticket)) == 5  # the cap: a sixth within the hour escalates
    desk.world.now += timedelta(hours=1, seconds=1)
    await desk.customer_reply(ticket, MARIA)
    await desk.run()
    assert len(desk.bot_replies(ticket)) == 6 and desk.notes(ticket) == []
