"""Identity, slot filling, subject changes, "never mind", takeover, failures and persistence."""

from __future__ import annotations

import pytest

from chatserver.identity import sign_identity, verify_identity
from chatserver.service import ConversationService
from tests.chatserver.harness import NOW, World

NOT_FOUND = "couldn't find an order with that email address and order number"


@pytest.fixture
async def world(database_url):
    w = await World(database_url=database_url).start()
    yield w
    await w.aclose()


def signed(email: str, expires: int, secret: str = "shop-secret") -> dict:
    return {"email": email, "expires": expires, "signature": sign_identity(secret, email, expires)}


LATER = int(NOW.timestamp()) + 3600
EARLIER = int(NOW.timestamp()) - 1


@pytest.mark.parametrize(
    ("proof", "reveals"),
    [
        ("maria@example.com #1001", True),
        ("james@example.com #1001", False),  # someone else's email for Maria's order
        ("maria@example.com #1002", False),  # Maria's email, James's order
        ("maria@example.com #4242", False),  # no such order
        ("nobody@example.com #1001", False),
    ],
)
async def test_order_details_need_the_email_and_number_of_the_same_order(world, proof, reveals):
    chat = await world.chat()
    await chat.say("where is my order")
    reply = await chat.say(proof)
    assert ("9400111899223456789017" in reply) == reveals
    assert ("FedEx" in reply) is False
    if not reveals:
        assert NOT_FOUND in reply  # the same words for a wrong email and an unknown order


@pytest.mark.parametrize(
    ("identity", "answered_directly"),
    [
        (signed("maria@example.com", LATER), True),
        (signed("maria@example.com", LATER, secret="guess"), False),  # forged
        (signed("maria@example.com", EARLIER), False),  # expired
        ({"email": "maria@example.com", "expires": LATER, "signature": "00"}, False),
        ({"email": "maria@example.com"}, False),
    ],
    ids=["valid", "forged", "expired", "bad-signature", "unsigned"],
)
async def test_signed_identity_answers_without_questions_only_when_valid(
    world, identity, answered_directly
):
    chat = await world.chat(identity=identity)
    reply = await chat.say("has my order shipped?")
    assert ("9400111899223456789017" in reply) == answered_directly
    if not answered_directly:
        assert "email address" in reply and "order number" in reply


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (signed("Maria@Example.com", LATER), "maria@example.com"),
        (signed("maria@example.com", LATER, "x"), None),
        (signed("maria@example.com", EARLIER), None),
        (None, None),
        ("maria@example.com", None),
        ({"email": "maria@example.com", "expires": "soon", "signature": "ab"}, None),
    ],
)
def test_verify_identity(data, expected):
    assert verify_identity(data, "shop-secret", NOW) == expected


async def test_failed_proofs_are_limited_then_a_person_takes_over(world):
    chat = await world.chat()
    await chat.say("where is my order")
    for n in range(4):  # said in two wordings in turn, never the same twice in a row
        reply = await chat.say(f"maria@example.com #20{n}0")
        assert (NOT_FOUND if n % 2 == 0 else "doesn't match an order either") in reply
        assert not chat.last.escalated
    assert "USPS" in await chat.say("maria@example.com #1001")  # the fifth try is right
    assert not chat.last.escalated
    chat = await world.chat()
    await chat.say("where is my order")
    for n in range(5):
        await chat.say(f"maria@example.com #30{n}0")
    assert chat.last.escalated and chat.last.escalation_reason == "identity_not_proven"


async def test_email_alone_reveals_nothing(world):
    chat = await world.chat()
    await chat.say("where is my order")
    reply = await chat.say("maria@example.com")
    assert "order number" in reply
    assert "#1001" not in reply and "USPS" not in reply and "dress" not in reply


async def test_a_new_confident_intent_changes_the_subject(world):
    chat = await world.chat()
    await chat.say("where is my order")
    reply = await chat.say("do you ship to canada")
    assert "Canada" in reply
    state = (await world.service.get_session(chat.session_id)).state
    # the order question is dropped (the answer comes from the help center, which asks
    # "Did that help?" in its turn)
    assert state.intent != "track_order" and state.awaiting != "identity"


@pytest.mark.parametrize("exit_phrase", ["never mind", "Cancel", "forget it", "/deny"])
async def test_never_mind_gets_out_of_a_question(world, exit_phrase):
    chat = await world.chat()
    await chat.say("where is my order")
    assert "stopped" in await chat.say(exit_phrase)
    assert (await world.service.get_session(chat.session_id)).state.awaiting is None


async def test_gibberish_while_waiting_asks_again_then_escalates(world):
    chat = await world.chat()
    await chat.say("where is my order")
    first = await chat.say("blue")
    assert "didn't quite catch" in first
    second = await chat.say("potato")  # asked again, in other words: never the same sentence
    assert "another way" in second and second != first
    await chat.say("zzz")
    assert chat.last.escalation_reason == "not_understood"


async def test_quick_reply_payloads_skip_the_classifier(world):
    chat = await world.chat()
    await chat.send("/human_agent")
    assert chat.last.intent == "human_agent" and chat.last.confidence == 1.0
    assert chat.last.escalated and chat.last.escalation_reason == "customer_asked"


async def test_the_bot_is_silent_while_a_human_owns_the_session(world):
    service: ConversationService = world.service
    chat = await world.chat()
    await chat.say("hello")
    await service.agents.take_over(chat.session_id, "alex")
    result = await chat.send("where is my order")
    assert result.replies == []
    sent = await service.agents.agent_message(chat.session_id, "alex", "Hi, Alex here.")
    note = await service.agents.add_note(chat.session_id, "alex", "customer seems upset")
    await service.agents.hand_back(chat.session_id)
    assert "How can I help" in await chat.say("hi")
    senders = [m.sender for m in await service.messages_since(chat.session_id)]
    # a person joining and leaving is said in the chat ("system" lines)
    joined = ["customer", "bot", "system", "customer", "agent", "note", "system"]
    assert senders == [*joined, "customer", "bot"]
    ids = [m.id for m in await service.messages_since(chat.session_id)]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    after_agent = await service.messages_since(chat.session_id, sent.id)
    assert after_agent[0].id == note.id


@pytest.mark.parametrize("api", ["shopify", "usps"])
async def test_an_outside_api_failure_gets_a_holding_answer_and_a_person(world, api):
    world.sandboxes.by_name()[api].faults.error_rate = 1.0
    chat = await world.chat("email", identity_email="maria@example.com")
    reply = await chat.say("has my order shipped?")
    assert "couldn't check this" in reply
    assert chat.last.escalated and chat.last.escalation_reason == "integration_failure"
    assert "failed" in chat.last.summary


async def test_sessions_survive_a_restart(database_url):
    first = await World(database_url=database_url).start()
    chat = await first.chat()
    await chat.say("where is my order")
    await chat.say("maria@example.com")
    await first.aclose()

    second = await World(database_url=database_url).start()
    try:
        session = await second.service.open_session("chat", chat.session_id)
        assert session.id == chat.session_id and session.state.awaiting == "identity"
        chat.world = second
        assert "USPS" in await chat.say("#1001")
    finally:
        await second.aclose()


async def test_unknown_session_ids_get_a_new_unguessable_id(world):
    session = await world.service.open_session("chat", "someone-elses-id")
    assert session.id != "someone-elses-id" and len(session.id) >= 32


async def test_escalated_conversations_are_listed_for_agents(world):
    chat = await world.chat("email", identity_email="james@example.com")
    await chat.say("where is my order")
    [summary] = await world.service.list_conversations(["waiting"])
    assert summary.session_id == chat.session_id
    assert summary.escalation_reason == "late_shipment"
    assert summary.order == "#1002" and summary.customer_email == "james@example.com"
    assert summary.intents[0][0] == "track_order"
    assert summary.to_json()["updated_at"].endswith("Z")
    labelled = await world.service.label(chat.last.customer_message.id, "track_order")
    assert labelled is not None and labelled.label == "track_order"
