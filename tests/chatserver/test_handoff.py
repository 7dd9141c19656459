"""Where a chat hand-off goes, decided in the conversation and kept in its state.

The step is pure: it asks who is online and the runner answers; these tests answer for
it. Then the whole service, over the sandboxes: nobody online, so the chat becomes a
Zendesk ticket, its address asked for first, the wait surviving a restart (of the
service here, and of the real server process).
"""

from __future__ import annotations

from datetime import datetime

import pytest

from chatserver.dialogue import (
    ActionFailed,
    AgentsAvailable,
    CheckAvailability,
    DialogueState,
    HandOff,
    HandOffRoute,
    OpenTicket,
    Reply,
    TicketOpened,
    UserMessage,
)
from chatserver.dialogue.engine import step
from chatserver.policy import load_policy
from tests.chatserver.harness import NOW, World
from tests.chatserver.live import Customer, text_of
from tests.chatserver.processes import ServerProcess, serve_sandboxes, write_config

POLICY = load_policy()
NIGHT = datetime.fromisoformat("2026-11-25T04:00:00+00:00")  # 23:00 in New York: closed


def said(text: str, intent: str | None = None, *, now: datetime = NOW, **kw) -> UserMessage:
    return UserMessage(text, now, intent=intent, confidence=0.9 if intent else 0.1, **kw)


def handed_over(*, now: datetime = NOW, **kw) -> tuple[DialogueState, list]:
    """A chat whose customer just asked for a person."""
    return step(DialogueState(), said("/human_agent", "human_agent", now=now, **kw), POLICY)


def test_a_chat_hand_off_asks_who_can_take_it():
    state, actions = handed_over()
    # What the customer is told waits for the answer: it depends on who can take the chat.
    assert [type(a) for a in actions] == [HandOff, CheckAvailability]
    assert state.handoff == HandOffRoute("customer_asked")
    assert [r.template for r in state.handoff.held] == ["common/escalated"]


def test_an_email_hand_off_is_left_to_the_zendesk_channel():
    state, actions = handed_over(channel="email", identity_email="maria@example.com")
    assert [type(a) for a in actions] == [Reply, HandOff]
    assert state.handoff is None


ESCALATED = "common/escalated"


@pytest.mark.parametrize(
    ("online", "now", "verified", "expected", "to"),
    [
        (True, NOW, None, [(ESCALATED, "person")], "person"),
        (False, NOW, None, [(ESCALATED, "email"), "handoff/ask_email"], "address"),
        (True, NIGHT, None, [(ESCALATED, "email"), "handoff/ask_email"], "address"),  # closed
        (False, NOW, "maria@example.com", [(ESCALATED, "email"), OpenTicket], "ticket"),
    ],
    ids=["agent-online", "nobody-online", "after-hours", "known-address"],
)  # fmt: skip
def test_a_person_now_or_a_ticket_and_the_words_say_which(online, now, verified, expected, to):
    state, _ = handed_over(now=now, identity_email=verified)
    state, actions = step(state, AgentsAvailable(online), POLICY)
    shown = [
        type(a) if not isinstance(a, Reply)
        else (a.template, a.context["route"]) if "route" in a.context else a.template
        for a in actions
    ]  # fmt: skip
    assert shown == expected
    assert state.handoff.to == to and state.handoff.held == ()


def test_after_hours_the_customer_is_told_when_the_team_is_back():
    state, _ = handed_over(now=NIGHT)
    _, actions = step(state, AgentsAvailable(False), POLICY)
    asked = actions[-1]
    assert asked.template == "handoff/ask_email" and asked.context["open_now"] is False
    assert asked.context["back"] == datetime.fromisoformat("2026-11-25T09:00:00-05:00")


def test_the_sessions_earlier_address_opens_the_ticket():
    state, _ = handed_over(known_email="ann@example.com")
    _, actions = step(state, AgentsAvailable(False), POLICY)
    assert actions[-1] == OpenTicket("ann@example.com", "customer_asked")


def test_the_awaited_address_opens_the_ticket_with_the_hand_offs_reason():
    state, _ = handed_over()
    state, _ = step(state, AgentsAvailable(False), POLICY)
    state = DialogueState.from_json(state.to_json())  # stored with the session, read back
    assert state.handoff == HandOffRoute("customer_asked", to="address")
    state, actions = step(state, said("sure, it's ann@example.com"), POLICY)
    # Typed, not proven: the ticket must not make it the requester (issue 12, finding 10).
    assert actions == [OpenTicket("ann@example.com", "customer_asked", verified=False)]
    assert actions[0].about.handoff.to == "ticket"
    assert state.handoff.to == "ticket"


def test_a_message_without_an_address_is_answered_and_the_ticket_still_waits():
    state, _ = handed_over()
    state, _ = step(state, AgentsAvailable(False), POLICY)
    state, actions = step(state, said("hello", "greeting"), POLICY)
    # Not greeted as a newcomer: reminded that the answer needs an address.
    [reply] = [a for a in actions if isinstance(a, Reply)]
    assert (reply.template, reply.context["to"]) == ("handoff/waiting", "address")
    assert state.handoff.to == "address"


@pytest.mark.parametrize(
    ("event", "template"),
    [
        (TicketOpened(17, "ann@example.com"), "handoff/ticket_opened"),
        (TicketOpened(17, "ann@example.com", added=True), "handoff/ticket_updated"),
    ],
)
def test_the_customer_is_told_where_the_answer_will_come(event, template):
    state, _ = handed_over(identity_email="ann@example.com")
    state, _ = step(state, AgentsAvailable(False), POLICY)
    state, actions = step(state, event, POLICY)
    [reply] = actions
    assert reply.template == template
    assert (reply.context["ticket"], reply.context["email"]) == (17, "ann@example.com")


def test_a_ticket_zendesk_refused_is_said_honestly_and_never_handed_over_again():
    state, _ = handed_over(identity_email="ann@example.com")
    state, _ = step(state, AgentsAvailable(False), POLICY)
    state, actions = step(state, ActionFailed("OpenTicket", "zendesk: 503"), POLICY)
    assert actions == [Reply("handoff/ticket_failed")]
    assert state.handoff is None


def test_not_knowing_who_is_online_counts_as_nobody():
    state, _ = handed_over()
    state, actions = step(state, ActionFailed("CheckAvailability", "redis: timeout"), POLICY)
    assert [a.template for a in actions] == [ESCALATED, "handoff/ask_email"]


# --- the service, over the sandboxes, nobody online -----------------------------------


class Nobody:
    async def agents_online(self) -> bool:
        return False


@pytest.fixture
async def world(database_url):
    w = await World(database_url=database_url, staff=Nobody()).start()
    yield w
    await w.aclose()


def tickets(world: World) -> list:
    return sorted(world.sandboxes.zendesk.tickets.values(), key=lambda t: t.id)


def assert_unverified(zendesk, ticket, typed: str) -> None:
    """A typed address is noted for a person to check, and nobody outside is written to."""
    requester = zendesk.users[ticket.requester_id]
    assert requester.email != typed and requester.role != "end-user"  # the bot's own ticket
    assert "unverified_email" in ticket.tags
    assert ticket.comments[0].body.startswith(
        f"UNVERIFIED ADDRESS: asked where to reply, the visitor typed {typed}."
    )
    assert not ticket.email_ccs and not ticket.followers


async def test_a_proven_address_is_the_requester(world):
    chat = await world.chat(identity_email="maria@example.com")
    await chat.say("/human_agent")
    [ticket] = tickets(world)
    assert world.sandboxes.zendesk.users[ticket.requester_id].email == "maria@example.com"
    assert "unverified_email" not in ticket.tags


async def test_nobody_online_asks_the_address_then_opens_a_ticket_with_the_transcript(world):
    chat = await world.chat()
    await chat.say("hello")
    asked = await chat.say("/human_agent")
    assert "What email address" in asked and chat.last.escalated
    assert tickets(world) == []

    said = await chat.say("it's ann@example.com")
    [ticket] = tickets(world)
    assert f"ticket #{ticket.id}" in said and "ann@example.com" in said
    assert_unverified(world.sandboxes.zendesk, ticket, "ann@example.com")
    assert {"chat_handoff", "reason_customer_asked"} <= set(ticket.tags)
    body = ticket.comments[0].body
    assert "\n\nWhy a person: The customer asked for a person." in body
    assert "Customer: hello" in body and "Customer: it's ann@example.com" in body
    transcript = await world.service.messages_since(chat.session_id)
    assert [m.text for m in transcript if m.sender == "note"] == [
        f"Zendesk ticket #{ticket.id} opened for ann@example.com."
    ]
    session = await world.service.get_session(chat.session_id)
    assert session.status == "waiting" and session.state.handoff.to == "ticket"


async def test_a_later_hand_off_adds_to_the_chats_ticket(world):
    chat = await world.chat(identity_email="maria@example.com")
    await chat.say("/human_agent")
    [ticket] = tickets(world)
    await chat.say("where is my order")
    again = await chat.say("/human_agent")  # asking again only hears where the answer comes
    assert "by email" in again and len(ticket.comments) == 1
    said = await chat.say("/complaint")  # a new reason for a person
    assert f"added this to your ticket #{ticket.id}" in said
    assert len(tickets(world)) == 1
    note = ticket.comments[-1]
    assert not note.public and "Customer: where is my order" in note.body


async def test_an_agent_joining_calls_the_waiting_ticket_off(world):
    chat = await world.chat()
    await chat.say("/human_agent")
    change = await world.service.agents.take_over(chat.session_id, "alex")
    assert change.session.state.handoff is None and change.owner == "human"
    await world.service.agents.hand_back(chat.session_id)
    await chat.say("ann@example.com")
    assert tickets(world) == []


async def test_the_wait_for_the_address_survives_a_restart(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path}/chat.db"
    before = await World(database_url=url, staff=Nobody()).start()
    try:
        chat = await before.chat()
        assert "What email address" in await chat.say("/human_agent")
    finally:
        await before.aclose()
    after = await World(database_url=url, staff=Nobody()).start()  # a new process
    try:
        chat.world = after
        said = await chat.say("ann@example.com")
        assert "ticket #" in said
        [ticket] = tickets(after)
        assert_unverified(after.sandboxes.zendesk, ticket, "ann@example.com")
    finally:
        await after.aclose()


async def test_a_restarted_server_takes_the_next_message_as_the_awaited_address(
    aiohttp_server, tmp_path, model_dir
):
    """The real server, killed and started again while a chat waits for an address."""
    boxes, sandboxes = await serve_sandboxes(aiohttp_server)
    config = write_config(
        tmp_path / "config.yml",
        sandboxes,
        model_dir=model_dir,
    )
    server = ServerProcess(config, tmp_path / "server.log")
    customer = Customer(server.url)
    try:
        await server.start()
        session_id = await customer.open()
        assert "What email address" in text_of(await customer.turn("/human_agent"))
        await customer.aclose()
        await server.kill()
        await server.start()

        customer = Customer(server.url)
        assert await customer.open(session_id) == session_id
        said = text_of(await customer.turn("maria@example.com"))
        ticket = max(boxes.zendesk.tickets.values(), key=lambda t: t.id)
        assert f"ticket #{ticket.id}" in said and "maria@example.com" in said
        assert_unverified(boxes.zendesk, ticket, "maria@example.com")
        assert "Customer: /human_agent" in ticket.comments[0].body
    finally:
        await customer.aclose()
        await server.stop()
        await boxes.aclose()
