"""The customer channel against the real server: Rasa's socketio protocol plus our keys."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest
import socketio

from chatserver.keys import SANDBOXES
from chatserver.ops.limits import ChatLimits
from chatserver.settings import PROJECT_ROOT
from tests.chatserver.live import (
    CASE_STUDY,
    TRACKING,
    Customer,
    start_server,
    text_of,
)


@pytest.fixture
async def server(aiohttp_server, tmp_path):
    return await start_server(aiohttp_server, tmp_path)


@pytest.fixture
async def customers(server):
    opened: list[Customer] = []

    def make() -> Customer:
        customer = Customer(str(server.make_url("/")))
        opened.append(customer)
        return customer

    yield make
    for customer in opened:
        await customer.aclose()


def assert_tracking_answer(text: str) -> None:
    assert "USPS" in text
    assert TRACKING in text
    assert f"https://tools.usps.com/go/TrackConfirmAction?tLabels={TRACKING}" in text
    assert "in transit" in text
    assert "Expected delivery" in text


async def test_case_study_end_to_end(customers):
    maria = customers()
    session_id = await maria.open()
    assert isinstance(session_id, str) and len(session_id) >= 24  # a plain string, like Rasa

    asked = text_of(await maria.turn(CASE_STUDY))
    assert "email" in asked and "order number" in asked
    assert "order number" in text_of(await maria.turn("maria@example.com"))
    replies = await maria.turn("#1001")
    assert_tracking_answer(text_of(replies))
    assert all(r["sender"] == "bot" and isinstance(r["id"], int) for r in replies)
    assert replies[0]["ts"].endswith("Z")


async def test_case_study_in_one_message(customers):
    maria = customers()
    await maria.open()
    await maria.turn(CASE_STUDY)
    assert_tracking_answer(text_of(await maria.turn("It's maria@example.com, order #1001")))


async def test_customer_messages_are_echoed_to_every_tab(customers):
    tab1, tab2 = customers(), customers()
    session_id = await tab1.open()
    assert await tab2.open(session_id) == session_id
    await tab2.expect("session_history")

    await tab1.send("hello", client_message_id="c-123")
    for tab in (tab1, tab2):
        echoed = await tab.expect("user_message")
        assert echoed["text"] == "hello" and echoed["client_message_id"] == "c-123"
        reply = await tab.expect("bot_uttered")
        assert reply["id"] > echoed["id"]


async def test_quick_replies_use_rasas_shape(customers):
    customer = customers()
    await customer.open()
    replies = await customer.turn("hello")
    buttons = [q for r in replies for q in r.get("quick_replies", [])]
    assert buttons, replies
    assert all(set(q) == {"content_type", "title", "payload"} for q in buttons)
    assert all(q["content_type"] == "text" for q in buttons)


async def test_resume_delivers_only_what_the_client_missed(customers):
    first = customers()
    session_id = await first.open()
    await first.turn(CASE_STUDY)
    await first.aclose()

    again = customers()
    assert await again.open(session_id, last_message_id=None) == session_id
    everything = (await again.expect("session_history"))["messages"]
    assert [m["sender"] for m in everything] == ["customer", "bot"]
    assert everything[0]["text"] == CASE_STUDY

    later = customers()
    await later.open(session_id, last_message_id=everything[0]["id"])
    missed = (await later.expect("session_history"))["messages"]
    assert [m["id"] for m in missed] == [everything[1]["id"]]


async def test_a_forged_session_id_gets_a_new_empty_session(customers):
    owner, intruder = customers(), customers()
    real = await owner.open()
    await owner.turn("maria@example.com")

    forged = await intruder.open("not-a-session-anyone-was-given")
    assert forged not in (real, "not-a-session-anyone-was-given")
    replies = await intruder.turn("hello")  # a fresh session: no history came with it
    assert replies and all(r["text"] != "maria@example.com" for r in replies)


async def test_uttering_into_another_session_is_refused(customers):
    owner, intruder = customers(), customers()
    victim = await owner.open()
    await intruder.open()
    await intruder.sio.emit("user_uttered", {"message": "hi", "session_id": victim})
    error = await intruder.expect("error")
    assert error["code"] == "wrong_session"


async def test_sessions_are_served_concurrently(customers):
    a, b = customers(), customers()
    await asyncio.gather(a.open(), b.open())
    assert a.session_id != b.session_id
    replies_a, replies_b = await asyncio.gather(a.turn(CASE_STUDY), b.turn("hello"))
    assert "order number" in text_of(replies_a)
    assert "order number" not in text_of(replies_b)


async def test_turns_of_one_session_keep_their_order(customers):
    customer = customers()
    await customer.open()
    for text in (CASE_STUDY, "maria@example.com", "#1001"):
        await customer.send(text)  # no waiting between them
    echoed = [await customer.expect("user_message") for _ in range(3)]
    assert [e["text"] for e in echoed] == [CASE_STUDY, "maria@example.com", "#1001"]


async def test_escalation_with_nobody_online_becomes_a_ticket(server, customers):
    customer = customers()
    await customer.open()
    await customer.turn("hello")
    asked = text_of(await customer.turn("/human_agent"))
    assert "email" in asked

    said = text_of(await customer.turn("maria@example.com"))
    assert "maria@example.com" in said and "ticket" in said
    zendesk = server.app[SANDBOXES].zendesk
    ticket = max(zendesk.tickets.values(), key=lambda t: t.id)
    assert "chat_handoff" in ticket.tags
    body = ticket.comments[0].body
    assert "Customer: hello" in body and "Customer: /human_agent" in body


async def test_metrics_count_turns_and_connections(server, customers):
    customer = customers()
    await customer.open()
    await customer.turn("hello")
    async with aiohttp.ClientSession() as http, http.get(server.make_url("/metrics")) as resp:
        assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = await resp.text()
    assert "chatbot_turns_total 1" in text
    assert 'chatbot_intents_total{intent="greeting"} 1' in text
    assert 'chatbot_connections{namespace="/"} 1' in text
    assert "# TYPE chatbot_outside_api_seconds histogram" in text


# --- limits ------------------------------------------------------------------------


@pytest.fixture
async def strict(aiohttp_server, tmp_path):
    limits = ChatLimits(
        max_message_chars=50,
        messages_per_minute_per_session=2,
        messages_per_minute_per_ip=100,
        connections_per_ip=2,
    )
    return await start_server(aiohttp_server, tmp_path, limits=limits)


@pytest.fixture
async def strict_customers(strict):
    opened: list[Customer] = []

    def make() -> Customer:
        customer = Customer(str(strict.make_url("/")))
        opened.append(customer)
        return customer

    yield make
    for customer in opened:
        await customer.aclose()


async def test_a_message_too_large_is_refused(strict_customers):
    customer = strict_customers()
    await customer.open()
    await customer.send("x" * 51)
    error = await customer.expect("error")
    assert error["code"] == "message_too_large" and "50" in error["message"]
    assert await customer.turn("hello")  # nothing else changed


async def test_too_many_messages_a_minute_are_refused(strict_customers):
    customer = strict_customers()
    await customer.open()
    await customer.turn("hello")
    await customer.turn("hello again")
    await customer.send("one more")
    assert (await customer.expect("error"))["code"] == "rate_limited"


async def test_too_many_messages_from_one_address_are_refused(aiohttp_server, tmp_path):
    limits = ChatLimits(messages_per_minute_per_session=10, messages_per_minute_per_ip=3)
    server = await start_server(aiohttp_server, tmp_path, limits=limits)
    url = str(server.make_url("/"))
    a, b = Customer(url), Customer(url)
    try:
        await a.open()  # a new session counts against the address too
        await a.turn("hello")
        await b.open()
        await b.send("hello")
        assert (await b.expect("error"))["code"] == "rate_limited"
    finally:
        await a.aclose()
        await b.aclose()


async def test_too_many_connections_are_refused(strict_customers):
    first, second, third = strict_customers(), strict_customers(), strict_customers()
    await first.connect()
    await second.connect()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await third.connect()
    await first.aclose()
    await third.connect()  # a slot is free again


# --- the real model ---------------------------------------------------------------


async def test_case_study_with_the_installed_model(aiohttp_server, tmp_path):
    models = Path(PROJECT_ROOT / "var" / "models")
    if not (models / "CURRENT").exists():
        pytest.skip("no installed intent model (var/models/CURRENT); run `chatbot train`")
    from chatserver.app import _load_classifier
    from chatserver.settings import load_settings

    classifier = _load_classifier(load_settings(model_dir=models))
    server = await start_server(aiohttp_server, tmp_path, classifier=classifier)
    maria = Customer(str(server.make_url("/")))
    try:
        await maria.open()
        await maria.turn(CASE_STUDY)
        await maria.turn("maria@example.com")
        assert_tracking_answer(text_of(await maria.turn("#1001")))
    finally:
        await maria.aclose()


async def test_a_known_customer_gets_a_ticket_without_being_asked(server, customers):
    maria = customers()
    await maria.open()
    await maria.turn(CASE_STUDY)
    await maria.turn("maria@example.com #1001")
    said = text_of(await maria.turn("/human_agent"))
    assert "ticket #" in said and "maria@example.com" in said
    zendesk = server.app[SANDBOXES].zendesk
    ticket = max(zendesk.tickets.values(), key=lambda t: t.id)
    assert zendesk.users[ticket.requester_id].email == "maria@example.com"
    assert TRACKING in ticket.comments[0].body  # the transcript went with it


async def test_a_second_hand_off_of_one_chat_adds_to_its_ticket(server, customers):
    maria = customers()
    await maria.open()
    await maria.turn(CASE_STUDY)
    await maria.turn("maria@example.com #1001")
    await maria.turn("/human_agent")
    zendesk = server.app[SANDBOXES].zendesk
    tickets = len(zendesk.tickets)
    ticket = max(zendesk.tickets.values(), key=lambda t: t.id)
    again = text_of(await maria.turn("/human_agent"))  # asking again: told where it stands
    assert "by email" in again and len(ticket.comments) == 1
    said = text_of(await maria.turn("/complaint"))  # a new reason for a person
    assert f"ticket #{ticket.id}" in said
    assert len(zendesk.tickets) == tickets  # no second ticket for the same chat
    note = ticket.comments[-1]
    assert not note.public and "/complaint" in note.body
