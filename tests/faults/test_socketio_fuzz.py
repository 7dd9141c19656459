"""Random and malformed Socket.IO events against the running server: customers' events on
the default namespace and agents' actions on ``/agent``.

Nothing may escape as anything but the documented refusal: a customer gets a clean
``error`` event (``{code, message}``), an agent an ack ``{"ok": false, "error": ...}``.
Every event is answered (a handler that raises sends no ack, which shows here as a call
that times out), the server still answers the case study afterwards, and every accepted
customer message is stored.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatserver.keys import SERVICE
from chatserver.ops.limits import ChatLimits
from chatserver.web.auth import SESSION_COOKIE
from tests.chatserver.live import CASE_STUDY, Agent, Customer, start_server, text_of
from tests.chatserver.test_agent import login, session_cookie

ANSWER = 5.0  # seconds; an event not answered by then is a crash, not a slow server
MAX_CHARS = 4000

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=2**63),
    st.floats(), st.text(max_size=30), st.binary(max_size=30),
    st.text(min_size=MAX_CHARS - 5, max_size=MAX_CHARS + 5, alphabet="ab \x00\u202e"),
)  # fmt: skip
junk = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=10,
)
FUZZ = settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))


def no_traceback(value: Any) -> None:
    assert "Traceback" not in repr(value) and "Error(" not in repr(value), value


def accepted(data: Any, session_id: str) -> bool:
    """Would the channel store this ``user_uttered`` payload as a customer message?"""
    if not isinstance(data, dict) or data.get("session_id") != session_id:
        return False
    text = data.get("message")
    return isinstance(text, str) and bool(text.strip()) and len(text) <= MAX_CHARS


def customer_payloads(session_id: str) -> st.SearchStrategy[Any]:
    message = st.one_of(junk, st.text(max_size=200))
    well_formed = st.fixed_dictionaries(
        {"session_id": st.just(session_id) | junk, "message": message},
        optional={"customData": junk},
    )
    return st.one_of(junk, well_formed)


AGENT_EVENTS = ["list", "join", "view", "send", "note", "hand_back", "close", "label"]


def agent_payloads(session_id: str) -> st.SearchStrategy[Any]:
    ids = st.one_of(st.just(session_id), junk)
    return st.one_of(
        junk,
        st.fixed_dictionaries(
            {"session_id": ids},
            optional={
                "text": st.one_of(junk, st.text(max_size=50)),
                "message_id": junk,
                "intent": junk,
            },
        ),
        st.fixed_dictionaries({"message_id": st.integers(), "intent": junk}),
    )


async def test_socketio_events_with_any_payload_are_refused_cleanly(aiohttp_server, tmp_path):
    limits = ChatLimits(messages_per_minute_per_session=10_000, messages_per_minute_per_ip=10_000)
    server = await start_server(aiohttp_server, tmp_path, limits=limits)
    url = str(server.make_url("/"))
    loop = asyncio.get_running_loop()
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        assert (await login(http, server)).status == 303
        cookie = session_cookie(http)
    customer, opener = Customer(url), Customer(url)
    agent = Agent(url, {"Cookie": f"{SESSION_COOKIE}={cookie}"})
    expected = 0
    try:
        session_id = await customer.open()
        await opener.connect()
        await agent.connect()

        def run(coro: Any) -> Any:
            return asyncio.run_coroutine_threadsafe(coro, loop).result(ANSWER * 2)

        async def call(client: Customer, event: str, data: Any) -> Any:
            return await client.sio.call(event, data, timeout=ANSWER)

        @FUZZ
        @given(customer_payloads(session_id))
        def utter(data: Any) -> None:
            nonlocal expected
            run(call(customer, "user_uttered", data))  # answered: the handler returned
            expected += accepted(data, session_id)

        @FUZZ
        @given(junk)
        def session_request(data: Any) -> None:
            run(call(opener, "session_request", data))

        @FUZZ
        @given(st.sampled_from(AGENT_EVENTS), agent_payloads(session_id))
        def act(event: str, data: Any) -> None:
            ack = run(agent.sio.call(event, data, namespace="/agent", timeout=ANSWER))
            assert isinstance(ack, dict) and isinstance(ack.get("ok"), bool), ack
            if not ack["ok"]:
                assert isinstance(ack.get("error"), str), ack
                no_traceback(ack)

        for fuzz in (utter, session_request, act):
            await asyncio.to_thread(fuzz)
        # Unknown events, lifecycle names (python-socketio would run on_disconnect for a
        # client's "disconnect" event: the session was lost), and no payload at all.
        for client in (customer, opener):
            for event in ("nonsense", "connect", "disconnect", "bot_uttered"):
                await client.sio.emit(event, {"x": 1})
            await call(client, "user_uttered", None)

        # Every refusal a customer saw was a clean {code, message}.
        for client in (customer, opener):
            while not client.queue.empty():
                name, data = client.queue.get_nowait()
                if name == "error":
                    assert isinstance(data, dict) and set(data) == {"code", "message"}, data
                    no_traceback(data)

        # The server still answers, and every accepted message was stored.
        fresh = Customer(url)
        try:
            await fresh.open()
            replies = await fresh.turn(CASE_STUDY)
            assert "order number" in text_of(replies)
        finally:
            await fresh.aclose()
        await agent.call("hand_back", {"session_id": session_id})
        # Turns of a session run in order: when this one ends, every earlier one has.
        await customer.send("hello, last one")
        expected += 1
        while (await customer.expect("user_message"))["text"] != "hello, last one":
            pass
        while await customer.expect("bot_typing") != {"typing": False}:
            pass
        stored = await server.app[SERVICE].messages_since(session_id)
        assert sum(m.sender == "customer" for m in stored) == expected
    finally:
        for client in (customer, opener, agent):
            await client.aclose()
