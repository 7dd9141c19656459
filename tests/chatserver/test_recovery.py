"""A turn cut short by a crash is run again, and costs the customer nothing.

The "process" dies (``Killed``) just before the turn's answer is stored, after every
outside call of the turn was made, an action included. Then the turn runs again: for
e-mail when the ticket's lease expires (on the worker's clock), for chat at start-up
(``answer_unanswered``). The customer gets one answer, the right one; Shopify sees
each action once; the transcript holds the customer's message once.
"""

from __future__ import annotations

import json

import httpx
import pytest

from chatserver.ops.recovery import answer_unanswered
from tests.chatserver.harness import World
from tests.chatserver.mail_desk import Killed, MailDesk, die_once

# (customer, what they write, what the answer says) — the last line does an action
ACTIONS = {
    "cancel-order": (
        "sam@example.com",
        ["Please cancel my order #1005", "yes please do it"],
        ["cancel my order", "sam@example.com #1005", "yes please do it"],
        "orderCancel",
        "is now cancelled",
        "is cancelled",
    ),
    "return": (
        "priya@example.com",
        ["I want to return something from order #1003", "the stoneware mug", "yes"],
        ["I want to return something", "priya@example.com #1003", "the stoneware mug", "yes"],
        "returnRequest",
        "started the return",
        "started the return",
    ),
    "cancel-subscription": (
        "noah@example.com",
        ["cancel my subscription", "yes"],
        ["cancel my subscription", "noah@example.com 1007", "yes"],
        "subscriptionContractCancel",
        "is now cancelled",
        "is cancelled",
    ),
}


class Mutations:
    """Counts the Shopify mutations that reached the sandbox, by name."""

    def __init__(self, sim) -> None:
        self.seen: list[str] = []
        self.inner = sim.handle
        sim.handle = self

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        query = json.loads(request.content or b"{}").get("query", "")
        for name in ("orderCancel", "returnRequest", "subscriptionContractCancel"):
            if query.lstrip().startswith("mutation") and f"{name}(" in query:
                self.seen.append(name)
        return await self.inner(request)


@pytest.fixture
async def desk():
    desk = await MailDesk.start()
    yield desk
    await desk.aclose()


async def test_an_email_turn_cut_short_is_run_again_with_one_reply(desk):
    ticket = await desk.open_ticket("Hi, has my order #1001 shipped yet?")
    die_once(desk.world.storage, "finish_turn")  # after the order and the carrier answered
    with pytest.raises(Killed):
        await desk.run()
    assert desk.bot_replies(ticket) == []
    await desk.run()  # the lease expires; the ticket is taken again
    [reply] = desk.bot_replies(ticket)
    assert "9400111899223456789017" in reply
    assert desk.notes(ticket) == []  # nobody was asked to step in
    session = await desk.world.storage.find_session("email", str(ticket))
    transcript = await desk.world.storage.messages_since(session.id)
    assert [m.sender for m in transcript] == ["customer", "bot"]


async def test_a_comment_written_while_the_turn_was_down_joins_it(desk):
    ticket = await desk.open_ticket("Hello there")
    die_once(desk.world.storage, "finish_turn")
    with pytest.raises(Killed):
        await desk.run()
    await desk.customer_reply(ticket, "Has my order #1001 shipped yet?")
    await desk.run()
    [reply] = desk.bot_replies(ticket)
    assert "9400111899223456789017" in reply
    session = await desk.world.storage.find_session("email", str(ticket))
    [customer, bot] = await desk.world.storage.messages_since(session.id)
    assert customer.text == "Hello there\n\nHas my order #1001 shipped yet?"
    assert (customer.intent, bot.sender) == ("track_order", "bot")


@pytest.mark.parametrize("action", ACTIONS, ids=list(ACTIONS))
async def test_an_email_action_cut_short_is_not_done_twice(desk, action):
    email, lines, _, mutation, done, _ = ACTIONS[action]
    shopify = Mutations(desk.world.sandboxes.shopify)
    ticket = await desk.open_ticket(lines[0], email=email)
    await desk.run()
    for line in lines[1:-1]:
        await desk.customer_reply(ticket, line)
        await desk.run()
    await desk.customer_reply(ticket, lines[-1])
    die_once(desk.world.storage, "finish_turn")  # Shopify did it; the answer is lost
    with pytest.raises(Killed):
        await desk.run()
    assert shopify.seen == [mutation]
    await desk.run()
    replies = desk.bot_replies(ticket)
    assert len(replies) == len(lines) and done in replies[-1], replies[-1]
    assert shopify.seen == [mutation]  # checked, not repeated
    assert desk.notes(ticket) == []


@pytest.mark.parametrize("action", ACTIONS, ids=list(ACTIONS))
async def test_a_chat_action_cut_short_is_answered_at_start_up(action):
    _, _, lines, mutation, _, done = ACTIONS[action]
    world = await World().start()
    try:
        shopify = Mutations(world.sandboxes.shopify)
        chat = await world.chat()
        for line in lines[:-1]:
            await chat.say(line)
        die_once(world.storage, "finish_turn")
        with pytest.raises(Killed):
            await chat.say(lines[-1])
        assert await answer_unanswered(world.service) == 1
        transcript = await world.storage.messages_since(chat.session_id)
        assert transcript[-2].text == lines[-1] and done in transcript[-1].text
        assert [m.text for m in transcript].count(lines[-1]) == 1
        assert shopify.seen == [mutation]
        assert await answer_unanswered(world.service) == 0  # answered once
    finally:
        await world.aclose()
