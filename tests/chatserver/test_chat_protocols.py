"""A customer socket speaks Rasa's protocol exactly, or ours on top of it if it asked.

rasa-webchat 1.0.1 shows a ``bot_uttered`` only when its keys are exactly ``text``, or
``text`` plus ``quick_replies``/``buttons``, or an ``attachment`` (its ``dispatchMessage``);
it sends ``session_request`` as ``{"session_id"}`` and reads only ``session_confirm`` and
``bot_uttered``. Our widget and terminal client ask for ``chatbot/1`` and get our keys and
events too (docs/protocol.md). Tabs of one session may speak different protocols.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest

from chatserver.channels.notifier import session_room
from chatserver.channels.payloads import (
    EXTENDED,
    RASA,
    bot_uttered_json,
    customer_message_json,
    requested_protocol,
)
from chatserver.commands.chat import PROTOCOL as TERMINAL_PROTOCOL
from chatserver.settings import PROJECT_ROOT
from chatserver.storage import QuickReply, StoredMessage
from chatserver.web.auth import SESSION_COOKIE
from tests.chatserver.live import WAIT, Agent, Customer, start_server
from tests.chatserver.test_agent import login, session_cookie

RASA_KEY_SETS = ({"text"}, {"text", "quick_replies"})
OUR_KEYS = {"id", "ts", "sender", "text"}


# ---------------------------------------------------------------------- the shapes (pure)


@pytest.mark.parametrize(
    ("request_", "protocol"),
    [
        ({"session_id": None}, RASA),  # rasa-webchat 1.0.1
        ({"session_id": "abc"}, RASA),
        ({}, RASA),
        ({"session_id": None, "protocol": "chatbot/1"}, EXTENDED),
        ({"session_id": None, "protocol": "rasa"}, RASA),
        ({"session_id": None, "last_message_id": 4, "protocol": "rasa"}, RASA),
        ({"session_id": None, "last_message_id": None}, EXTENDED),  # our clients before the key
        ({"session_id": None, "last_message_id": 7, "protocol": None}, EXTENDED),
        ({"session_id": None, "protocol": None}, RASA),
        ({"session_id": None, "protocol": "chatbot/2"}, None),
        ({"session_id": None, "protocol": "CHATBOT/1"}, None),
        ({"session_id": None, "protocol": ["chatbot/1"]}, None),
        ({"session_id": None, "protocol": 1}, None),
    ],
)
def test_the_protocol_a_session_request_asks_for(request_: dict[str, Any], protocol: str | None):
    assert requested_protocol(request_) == protocol


def stored(sender: str = "bot", **extra: Any) -> StoredMessage:
    return StoredMessage(
        id=12, session_id="s", ts=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), sender=sender, **extra
    )


MENU = (
    QuickReply("Track my order", "/track_order"),
    QuickReply("Talk to a person", "/human_agent"),
)


def test_bot_uttered_in_rasas_protocol_is_what_rasas_socketio_channel_sends():
    # rasa/core/channels/socketio.py: send_text_message and send_text_with_buttons
    assert bot_uttered_json(stored(text="Hi"), RASA) == {"text": "Hi"}
    assert bot_uttered_json(stored(text="Hi", quick_replies=MENU), RASA) == {
        "text": "Hi",
        "quick_replies": [
            {"content_type": "text", "title": "Track my order", "payload": "/track_order"},
            {"content_type": "text", "title": "Talk to a person", "payload": "/human_agent"},
        ],
    }
    agent = stored("agent", text="Alex here", agent_name="Alex")
    assert bot_uttered_json(agent, RASA) == {"text": "Alex here"}


def test_bot_uttered_in_our_protocol_adds_our_keys():
    said = bot_uttered_json(stored(text="Hi", quick_replies=MENU), EXTENDED)
    assert set(said) == OUR_KEYS | {"quick_replies"}
    assert said["ts"] == "2026-01-02T03:04:05Z" and said["sender"] == "bot" and said["id"] == 12
    agent = stored("agent", text="Alex here", agent_name="Alex")
    assert bot_uttered_json(agent, EXTENDED) == customer_message_json(agent)
    assert set(bot_uttered_json(agent, EXTENDED)) == OUR_KEYS | {"agent_name"}


def test_a_sessions_rooms_are_one_per_protocol_and_ours_keeps_the_session_id():
    assert session_room("k3J-_x", EXTENDED) == "k3J-_x"
    assert session_room("k3J-_x", RASA) == "rasa:k3J-_x"


def test_our_clients_ask_for_our_protocol():
    assert TERMINAL_PROTOCOL == EXTENDED
    widget = (PROJECT_ROOT / "static" / "widget.js").read_text()
    assert f'protocol: "{EXTENDED}"' in widget


# ---------------------------------------------------------------------- against the real server


class Tab(Customer):
    """A customer socket that can tell it has received everything sent to it so far."""

    async def everything_so_far(self) -> list[tuple[str, Any]]:
        """The events received up to now. An empty message is refused to this socket alone,
        after whatever the server sent it before; the refusal is the barrier."""
        await self.sio.emit("user_uttered", {"message": "", "session_id": self.session_id})
        seen: list[tuple[str, Any]] = []
        while True:
            name, data = await asyncio.wait_for(self.queue.get(), WAIT)
            if name == "error" and data["code"] == "bad_request":
                return seen
            seen.append((name, data))


@pytest.fixture
async def server(aiohttp_server, tmp_path):
    return await start_server(aiohttp_server, tmp_path)


@pytest.fixture
async def tabs(server):
    opened: list[Tab] = []

    def make() -> Tab:
        tab = Tab(str(server.make_url("/")))
        opened.append(tab)
        return tab

    yield make
    for tab in opened:
        await tab.aclose()


def rasa_view(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k in ("text", "quick_replies")}


async def test_tabs_of_one_session_each_get_the_keys_of_their_protocol(tabs):
    stock, ours = tabs(), tabs()
    session_id = await stock.request({"session_id": None})  # what rasa-webchat sends
    assert await ours.open(session_id) == session_id
    await ours.expect("session_history")

    await stock.send("hello")  # rasa-webchat sends {message, customData, session_id}
    replies = await ours.replies()  # up to bot_typing false: every emit of the turn is done
    assert replies and any("quick_replies" in r for r in replies)
    assert all(set(r) - {"quick_replies"} == OUR_KEYS and r["sender"] == "bot" for r in replies)

    seen = await stock.everything_so_far()
    assert [name for name, _ in seen] == ["bot_uttered"] * len(replies)
    said = [data for _, data in seen]
    assert all(set(s) in RASA_KEY_SETS for s in said)
    assert said == [rasa_view(r) for r in replies]


async def test_a_stock_client_resumes_its_session_without_our_events(tabs):
    stock, ours = tabs(), tabs()
    session_id = await stock.request({"session_id": None})
    await ours.open(session_id)
    await stock.send("Has my dress shipped?")
    asked = await ours.replies()

    again = tabs()  # a reload: rasa-webchat sends the id it kept in localStorage
    assert await again.request({"session_id": session_id}) == session_id
    assert await again.everything_so_far() == []  # no session_history, no session_status
    await again.send("maria@example.com, order #1001")
    await ours.replies()
    [(name, answer)] = await again.everything_so_far()
    assert name == "bot_uttered" and set(answer) == {"text"}
    assert "order number" in asked[-1]["text"] and "USPS" in answer["text"]


async def test_our_clients_from_before_the_protocol_key_keep_our_keys(tabs):
    old = tabs()
    await old.open(protocol=None)  # {"session_id": null, "last_message_id": null}
    replies = await old.turn("hello")
    assert replies and all(set(r) - {"quick_replies"} == OUR_KEYS for r in replies)


async def test_rasa_asked_for_by_name_wins_over_the_old_clients_key(tabs):
    stock, ours = tabs(), tabs()
    session_id = await stock.open(protocol="rasa")  # last_message_id is sent too
    await ours.open(session_id)
    await ours.expect("session_history")
    await ours.turn("hello")
    seen = await stock.everything_so_far()
    assert seen and all(name == "bot_uttered" and set(d) in RASA_KEY_SETS for name, d in seen)


async def test_an_unknown_protocol_is_refused_and_opens_nothing(tabs):
    tab = tabs()
    await tab.connect()
    await tab.sio.emit("session_request", {"session_id": None, "protocol": "chatbot/2"})
    name, refusal = await asyncio.wait_for(tab.queue.get(), WAIT)  # the first thing it hears
    assert name == "error" and refusal["code"] == "unsupported_protocol"
    assert "chatbot/1" in refusal["message"] and "rasa" in refusal["message"]
    await tab.sio.emit("user_uttered", {"message": "hi", "session_id": None, "customData": {}})
    assert (await tab.expect("error"))["code"] == "no_session"
    assert await tab.open()  # the same socket can still ask for one we speak


async def test_a_socket_that_changes_protocol_leaves_its_old_room(tabs):
    tab = tabs()
    session_id = await tab.request({"session_id": None})
    assert await tab.open(session_id) == session_id  # now chatbot/1 on the same socket
    await tab.expect("session_history")
    replies = await tab.turn("hello")
    assert replies and all(set(r) - {"quick_replies"} == OUR_KEYS for r in replies)
    assert await tab.everything_so_far() == []  # no Rasa-shaped copies behind them


async def test_an_agent_reaches_a_stock_client_with_rasas_keys(server, tabs):
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        assert (await login(http, server)).status == 303
        cookie = session_cookie(http)
    alex = Agent(str(server.make_url("/")), {"Cookie": f"{SESSION_COOKIE}={cookie}"})
    await alex.connect()
    try:
        stock, ours = tabs(), tabs()
        session_id = await stock.request({"session_id": None})
        await ours.open(session_id)
        await stock.send("/human_agent")
        await ours.replies()
        assert (await alex.call("join", {"session_id": session_id}))["ok"]
        sent = await alex.call("send", {"session_id": session_id, "text": "Hi, Alex here."})
        assert sent["ok"]
        while (await ours.expect("bot_uttered"))["text"] != "Hi, Alex here.":
            pass  # the hand-off and "joined" lines first

        seen = await stock.everything_so_far()
        assert all(name == "bot_uttered" and set(d) == {"text"} for name, d in seen)  # no status
        assert [d["text"] for _, d in seen][-1] == "Hi, Alex here."
        assert any("joined" in d["text"] for _, d in seen)
    finally:
        await alex.aclose()
