"""The benchmark runner reads the service through the channels' paths and the sandboxes.

Crafted conversations, played with the tests' keyword classifier (no trained model):
what the widget sends (quick replies' payloads, the signed identity), what the agent's
console does, the e-mail channel's worker, the clock and who is online, and the side
effects read from the sandboxes.
"""

from __future__ import annotations

from typing import Any

import pytest

from bench.conversation_data import Conversation, Turn
from bench.conversation_runner.cli import run as run_all
from bench.conversation_runner.play import HUMAN_PAYLOAD, play
from bench.conversation_runner.records import Result
from bench.conversation_runner.world import CLOSED, OPEN, World, capabilities
from tests.chatserver.harness import KeywordClassifier

CAPS = capabilities()  # what the service reports: agents have display names


def conversation(*turns: Turn, **fields: Any) -> Conversation:
    values: dict[str, Any] = {
        "id": "crafted-01", "category": "crafted", "voice": "test", "channel": "chat",
        "identity": "none", "agents_online": False, "business_hours": True, "outcome": {},
    }  # fmt: skip
    values.update(fields)
    return Conversation(turns=turns, **values)


def customer(text: str, **expect: Any) -> Turn:
    return Turn("customer", text, expect)


async def run(conv: Conversation) -> Result:
    return await play(conv, KeywordClassifier(), CAPS, timeout=20.0)


def failed(result: Result) -> list[tuple[int | None, str, str]]:
    return [(c.turn, c.key, c.detail) for c in result.failures]


async def test_a_signed_customer_cancels_by_clicking_yes_and_the_shop_records_it():
    conv = conversation(
        customer("please cancel my order #1005", buttons=["Yes"], intent="cancel_order"),
        Turn("button", "Yes", {"must": ["cancel"]}),
        identity="signed:sam@example.com",
        outcome={"actions": [{"cancel_order": "#1005"}], "not_actions": ["return_requested"]},
    )
    result = await run(conv)
    assert failed(result) == []
    first, click = result.turns
    assert first.intents == ("cancel_order",) and first.state == "bot"
    payload = dict(first.messages[-1].buttons)["Yes"]
    assert click.sent == payload  # the quick reply's payload went over the wire
    assert result.outcome == "passed"


async def test_a_button_that_is_not_on_screen_fails_its_turn_and_the_widgets_own_is_there():
    conv = conversation(customer("hello"), Turn("button", "Cancel everything"))
    result = await run(conv)
    assert [(t, k) for t, k, _ in failed(result)] == [(2, "turn")]
    widget = await run(conversation(Turn("button", "Talk to a person")))
    assert widget.turns[0].sent == HUMAN_PAYLOAD
    assert widget.turns[0].intents == ("human_agent",)


async def test_agents_online_keep_the_chat_and_the_console_moves_are_seen_by_the_customer():
    conv = conversation(
        customer("I want to talk to a person", state="waiting"),
        Turn("agent", "join", {"state": "human", "must_not": ["cs_agent7"]}),
        Turn("agent_says", "Hi, how can I help?"),
        customer("my parcel", silent=True),
        Turn("agent", "hand_back", {"state": "bot"}),
        agents_online=True,
        outcome={"escalated": True, "tickets": 0},
    )
    result = await run(conv)
    join, says, silent, back = result.turns[1:]
    assert [m.sender for m in join.messages] == ["system"]
    assert join.names_shown == ["Alex"]  # the display name, never the login
    assert failed(result) == []
    assert says.messages[0].sender == "agent" and says.messages[0].agent_name == "Alex"
    assert silent.messages == [] and silent.intents is not None  # read, not answered
    assert back.state == "bot"


async def test_nobody_online_a_hand_off_becomes_one_ticket_in_zendesk():
    conv = conversation(
        customer("I want to talk to a person", must=["email"]),
        customer("james@example.com"),
        outcome={
            "escalated": True,
            "actions": [{"ticket_created": "james@example.com"}],
            "tickets": 1,
            "handoff_must": ["james@example.com"],
        },
    )
    result = await run(conv)
    assert failed(result) == []


async def test_the_clock_and_the_presence_follow_the_conversation():
    open_world = await World(conversation(customer("hi"), agents_online=True), None, CAPS).start()
    closed_world = await World(conversation(customer("hi"), business_hours=False), None, CAPS).start()  # fmt: skip
    try:
        assert open_world.now == OPEN and await open_world.presence.agents_online()
        assert closed_world.now == CLOSED and not await closed_world.presence.agents_online()
        policy = open_world.box.service.policy
        assert policy.is_open(OPEN) and not policy.is_open(CLOSED)
    finally:
        await open_world.aclose()
        await closed_world.aclose()


def email(*turns: Turn, **fields: Any) -> Conversation:
    return conversation(*turns, channel="email", identity="none", agents_online=True, **fields)


async def test_an_email_is_answered_through_zendesk_by_the_channels_worker():
    conv = email(
        Turn("customer", "Hi, where is my order #1001?", {"intent": "track_order",
             "must": ["USPS", "9400111899223456789017"]}, subject="Order"),
        Turn("customer", "Thanks! Can I return it later?", {"intent": "return_item"}),
        email_from="maria@example.com",
        outcome={"escalated": False, "tickets": 0, "not_actions": ["status_emailed"]},
    )  # fmt: skip
    result = await run(conv)
    assert failed(result) == []
    assert result.turns[0].messages[0].text.startswith("Hi Maria")


async def test_an_email_handed_over_counts_as_answered_and_its_note_is_what_a_person_gets():
    conv = email(
        Turn("customer", "This is unacceptable, my card was charged twice for #1001", {}),
        email_from="maria@example.com",
        outcome={"escalated": True, "handoff_must": ["charged twice"]},
    )
    result = await run(conv)
    assert result.turns[0].handed_over and result.turns[0].messages == []
    assert failed(result) == []


async def test_an_email_with_a_cc_opens_a_ticket_that_has_the_cc():
    conv = email(
        Turn("customer", "where is my order #1001", {}),
        email_from="maria@example.com",
        email_ccs=("friend@mailbox.example",),
    )
    world = await World(conv, KeywordClassifier(), CAPS).start()
    try:
        assert world.mail is not None
        await world.mail.write("where is my order #1001", requester="maria@example.com",
                               ccs=conv.email_ccs)  # fmt: skip
        ticket = world.mail.sim.tickets[world.mail.ticket_id or 0]
        ccs = [world.mail.sim.users[u].email for u in ticket.email_ccs]
        assert ccs == ["friend@mailbox.example"]
    finally:
        await world.aclose()


async def test_an_email_in_html_arrives_as_html():
    conv = email(
        Turn("customer", "<div>Hi,<br>where is my order #1001?</div><div>Maria</div>", {
             "must": ["USPS"]}),
        email_from="maria@example.com",
    )  # fmt: skip
    result = await run(conv)
    assert failed(result) == []


@pytest.mark.parametrize("identity", ["none", "signed:maria@example.com"])
async def test_order_details_need_proof_in_chat(identity):
    conv = conversation(
        customer("where is my order #1001", must_not=["9400111899223456789017"]),
        identity=identity,
    )
    result = await run(conv)
    shown = [k for _, k, _ in failed(result)]
    assert shown == ([] if identity == "none" else ["must_not"])


class Broken(KeywordClassifier):
    def parse(self, text: str, channel: str = "chat", expecting: str | None = None) -> Any:
        raise RuntimeError("the model fell over")


async def test_a_turn_the_server_fails_is_reported_and_the_run_goes_on():
    convs = [conversation(customer("hello"), customer("where is #1001")), conversation(customer("hi"))]  # fmt: skip
    results = await run_all(convs, Broken(), caps=CAPS)
    assert [r.outcome for r in results] == ["failed", "failed"]
    details = [c.detail for c in results[0].failures]
    assert details == ["the server answered error internal_error: "
                       "Sorry, something went wrong. Try again."] * 2  # fmt: skip
    assert "the model fell over" in results[0].turns[0].note
