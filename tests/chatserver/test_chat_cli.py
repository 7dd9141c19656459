"""`chatbot chat`: the protocol helpers, and script mode against a small fake bot."""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import AsyncIterator
from typing import Any

import pytest
import socketio
from aiohttp import web

from chatserver.commands.chat import (
    ChatError,
    QuickReply,
    format_event,
    quick_replies,
    read_script,
    resolve_input,
    run_script,
    session_id_from,
)

MENU = [
    {"content_type": "text", "title": "Track my order", "payload": "/order_status"},
    {"content_type": "text", "title": "Talk to a person", "payload": "/human_agent"},
]


# ---------------------------------------------------------------------- pure helpers


def test_session_id_accepts_rasa_string_and_object():
    assert session_id_from("abc") == "abc"
    assert session_id_from({"session_id": "abc"}) == "abc"
    assert session_id_from(None) is None
    assert session_id_from({"session_id": 3}) is None


def test_quick_replies_skip_malformed_entries():
    data = {"text": "?", "quick_replies": [*MENU, {"payload": "/x"}, "junk"]}
    assert quick_replies(data) == [
        QuickReply("Track my order", "/order_status"),
        QuickReply("Talk to a person", "/human_agent"),
    ]
    assert quick_replies({"text": "no buttons"}) == []


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("2", ("/human_agent", "Talk to a person")),
        (" 1 ", ("/order_status", "Track my order")),
        ("3", ("3", "3")),  # out of range: sent as typed
        ("0", ("0", "0")),
        ("where is #1001", ("where is #1001", "where is #1001")),
    ],
)
def test_a_number_picks_a_quick_reply(line, expected):
    choices = [
        QuickReply("Track my order", "/order_status"),
        QuickReply("Talk to a person", "/human_agent"),
    ]
    assert resolve_input(line, choices) == expected


@pytest.mark.parametrize(
    ("name", "data", "lines"),
    [
        ("bot_uttered", {"text": "Hi"}, ["bot: Hi"]),
        (
            "bot_uttered",
            {"text": "Pick", "quick_replies": MENU},
            ["bot: Pick", "  1) Track my order", "  2) Talk to a person"],
        ),
        (
            "bot_uttered",
            {"text": "Hello", "sender": "agent", "agent_name": "Alex"},
            ["agent Alex: Hello"],
        ),
        # Joins and leaves are the server's system line (a bot_uttered): no second notice.
        ("session_status", {"owner": "human", "agent_name": "Alex"}, []),
        ("session_status", {"owner": "bot", "agent_name": None}, []),
        (
            "bot_uttered",
            {"text": "Alex from our team joined the chat.", "sender": "system"},
            ["system: Alex from our team joined the chat."],
        ),
        ("error", {"code": "rate_limited", "message": "Slow down."}, ["error: Slow down."]),
        ("bot_typing", {"typing": True}, []),
        ("user_message", {"id": 1, "text": "hi"}, []),
        (
            "session_history",
            {"messages": [{"sender": "customer", "text": "a"}, {"sender": "bot", "text": "b"}]},
            ["you: a", "bot: b"],
        ),
    ],
)
def test_format_event(name, data, lines):
    assert format_event(name, data) == lines


def test_read_script_keeps_non_empty_lines():
    assert read_script("hello\n\n  menu  \n\t\n2\n") == ["hello", "menu", "2"]


# ---------------------------------------------------------------------- against a fake bot


class FakeBot:
    """Just enough of docs/protocol.md: confirm, echo, typing, replies with quick replies."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncServer(async_mode="aiohttp")
        self.received: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self.next_id = 1
        self.sio.on("session_request", self.session_request)
        self.sio.on("user_uttered", self.user_uttered)

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    async def session_request(self, sid: str, data: dict[str, Any]) -> None:
        self.requests.append(data)
        await self.sio.emit("session_confirm", "s-" + sid, to=sid)

    async def user_uttered(self, sid: str, data: dict[str, Any]) -> None:
        self.received.append(data)
        text = data["message"]
        cid = data["customData"]["client_message_id"]
        await self.sio.emit(
            "user_message", {"id": self._id(), "text": text, "client_message_id": cid}, to=sid
        )
        if len(text) > 20:
            await self.sio.emit(
                "error", {"code": "message_too_large", "message": "Too long."}, to=sid
            )
            return
        await self.sio.emit("bot_typing", {"typing": True}, to=sid)
        if text == "silence":
            return  # never finishes the turn
        if text == "menu":
            reply = {"text": "What can I do?", "quick_replies": MENU}
            await self.sio.emit("bot_uttered", {"id": self._id(), "sender": "bot", **reply}, to=sid)
        else:
            await self.sio.emit("bot_uttered", {"id": self._id(), "text": f"got {text}"}, to=sid)
            await asyncio.sleep(0.05)  # a turn may hold several replies
            await self.sio.emit("bot_uttered", {"id": self._id(), "text": "anything else?"}, to=sid)
        await self.sio.emit("bot_typing", {"typing": False}, to=sid)


@pytest.fixture
async def fake_bot() -> AsyncIterator[tuple[str, FakeBot]]:
    bot = FakeBot()
    app = web.Application()
    bot.sio.attach(app)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}", bot
    finally:
        await bot.sio.shutdown()
        await runner.cleanup()


SCRIPT = ["hello", "menu", "2", "this one is far too long"]
TRANSCRIPT = [
    "you: hello",
    "bot: got hello",
    "bot: anything else?",
    "you: menu",
    "bot: What can I do?",
    "  1) Track my order",
    "  2) Talk to a person",
    "you: Talk to a person",
    "bot: got /human_agent",
    "bot: anything else?",
    "you: this one is far too long",
    "error: Too long.",
]


async def test_script_mode_prints_the_transcript(fake_bot):
    url, bot = fake_bot
    lines: list[str] = []
    await run_script(url, SCRIPT, timeout=5, write=lines.append)
    assert lines == TRANSCRIPT
    assert [m["message"] for m in bot.received] == [
        "hello",
        "menu",
        "/human_agent",
        "this one is far too long",
    ]
    assert {m["session_id"] for m in bot.received} == {bot.received[0]["session_id"]}
    # It asks for the server's keys and events: `bot_typing` false is how it knows a turn ended.
    assert bot.requests == [{"session_id": None, "last_message_id": None, "protocol": "chatbot/1"}]


async def test_a_turn_without_an_answer_times_out(fake_bot):
    url, _ = fake_bot
    lines: list[str] = []
    with pytest.raises(ChatError, match=r"no answer within 0\.3s"):
        await run_script(url, ["silence"], timeout=0.3, write=lines.append)
    assert lines == ["you: silence"]


async def run_cli(*args: str, stdin: bytes | None = None) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "chatserver",
        "chat",
        *args,
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(stdin), 60)
    return proc.returncode, out.decode(), err.decode()


async def test_piped_input_prints_the_answers(fake_bot):
    url, _ = fake_bot
    piped = ("\n".join(SCRIPT[:3]) + "\n").encode()
    code, out, err = await run_cli(url, "--timeout", "5", stdin=piped)
    assert (code, err) == (0, "")
    assert out.splitlines() == TRANSCRIPT[:10]


async def test_cli_script_mode_exits_zero(fake_bot, tmp_path):
    url, _ = fake_bot
    script = tmp_path / "turns.txt"
    script.write_text("\n".join(SCRIPT[:3]) + "\n\n")
    code, out, err = await run_cli(url, "--script", str(script), "--timeout", "5")
    assert (code, err) == (0, "")
    assert out.splitlines() == TRANSCRIPT[:10]


async def test_cli_reports_an_unreachable_server(tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    script = tmp_path / "turns.txt"
    script.write_text("hello\n")
    code, out, err = await run_cli(f"http://127.0.0.1:{port}", "--script", str(script))
    assert code == 1
    assert out == ""
    assert f"cannot connect to http://127.0.0.1:{port}" in err
