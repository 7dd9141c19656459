"""A fake chat server that speaks docs/protocol.md, for browser tests and screenshots.

It serves the package's `static/` directory the way the real server does (`/`, `/static/…`,
`/agent/`, `/agent/login`), plus a tiny Socket.IO bot on `/` and a seeded agent namespace on
`/agent`. The bot echoes messages, answers "menu" with quick replies and hands `/human_agent` to
the console; nothing is persisted.

Run it by hand to look at the widget and console::

    .venv/bin/python -m tests.browser.fake_server --port 8099
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import socketio
from aiohttp import web

from chatserver.labels import Labels

__all__ = ["STATIC_DIR", "FakeChat", "create_fake_app", "serve_fake"]

STATIC_DIR = Path(__file__).resolve().parents[2] / "static"
MENU = [
    {"content_type": "text", "title": "Track my order", "payload": "/track_order"},
    {"content_type": "text", "title": "Returns", "payload": "/return_item"},
    {"content_type": "text", "title": "Talk to a person", "payload": "/human_agent"},
]
INTENTS = [
    "track_order",
    "return_item",
    "refund_status",
    "change_address",
    "cancel_order",
    "human_agent",
]
MAX_TEXT = 1000


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Session:
    session_id: str
    messages: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass
class FakeChat:
    """The fake's state, inspectable from tests.

    `received` holds every `user_uttered` payload and `requests` every `session_request`.
    """

    sio: socketio.AsyncServer
    sessions: dict[str, Session] = field(default_factory=dict)
    by_sid: dict[str, str] = field(default_factory=dict)
    received: list[dict[str, Any]] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)  # answers "slow ..." messages
    requests: list[dict[str, Any]] = field(default_factory=list)
    labels: list[dict[str, Any]] = field(default_factory=list)
    next_id: int = 1

    def add(self, session: Session, sender: str, text: str, **extra: Any) -> dict[str, Any]:
        msg = {"id": self.next_id, "ts": _iso(datetime.now(UTC)), "sender": sender, "text": text}
        msg.update(extra)
        self.next_id += 1
        session.messages.append(msg)
        session.summary["updated_at"] = msg["ts"]
        if sender != "note":
            session.summary["last_message"] = text
        return msg

    def new_session(self, session_id: str | None = None, **summary: Any) -> Session:
        session_id = session_id or secrets.token_urlsafe(16)
        session = Session(session_id)
        session.summary = {
            "session_id": session_id,
            "channel": "chat",
            "status": "bot",
            "agent": None,
            "escalation_reason": None,
            "intents": [],
            "order": None,
            "customer_email": None,
            "summary": "",
            "updated_at": _iso(datetime.now(UTC)),
            "last_message": "",
        }
        session.summary.update(summary)
        self.sessions[session_id] = session
        return session

    async def say(self, session: Session, text: str, **extra: Any) -> None:
        msg = self.add(session, extra.pop("sender", "bot"), text, **extra)
        payload = {k: v for k, v in msg.items() if k != "intent"}
        await self.sio.emit("bot_uttered", payload, room=session.session_id)
        await self.to_agents(session, msg)

    async def to_agents(self, session: Session, msg: dict[str, Any]) -> None:
        await self.sio.emit(
            "message", {"session_id": session.session_id, "message": msg}, namespace="/agent"
        )
        await self.sio.emit("conversation", session.summary, namespace="/agent")

    # ---------------------------------------------------------------- customers

    async def on_session_request(self, sid: str, data: dict[str, Any]) -> None:
        data = data if isinstance(data, dict) else {}
        self.requests.append(data)
        session = self.sessions.get(data.get("session_id") or "")
        resumed = session is not None
        if session is None:
            session = self.new_session()
        self.by_sid[sid] = session.session_id
        await self.sio.enter_room(sid, session.session_id)
        await self.sio.emit("session_confirm", session.session_id, to=sid)
        if resumed:
            last = data.get("last_message_id")
            newer = [
                {k: v for k, v in m.items() if k != "intent"}
                for m in session.messages
                if m["sender"] != "note" and (last is None or m["id"] > last)
            ]
            await self.sio.emit(
                "session_history", {"session_id": session.session_id, "messages": newer}, to=sid
            )

    async def on_user_uttered(self, sid: str, data: dict[str, Any]) -> None:
        self.received.append(data)
        session = self.sessions.get(self.by_sid.get(sid, ""))
        text = str(data.get("message", ""))
        if session is None:
            await self.sio.emit("error", {"code": "bad_request", "message": "No session."}, to=sid)
            return
        if len(text) > MAX_TEXT:
            await self.sio.emit(
                "error",
                {"code": "message_too_large", "message": "That message is too long to send."},
                to=sid,
            )
            return
        cid = (data.get("customData") or {}).get("client_message_id")
        msg = self.add(session, "customer", text, intent="track_order", confidence=0.42)
        await self.sio.emit(
            "user_message",
            {"id": msg["id"], "ts": msg["ts"], "text": text, "client_message_id": cid},
            room=session.session_id,
        )
        await self.to_agents(session, msg)
        if session.summary["status"] == "human":
            return  # the agent answers
        await self.sio.emit("bot_typing", {"typing": True}, room=session.session_id)
        await asyncio.sleep(0.05)
        if text.startswith("slow"):
            await self.release.wait()  # the test says when the bot answers
        if text == "/human_agent":
            session.summary.update(status="waiting", escalation_reason="customer_asked")
            await self.say(session, "I'm getting a person for you. It usually takes a few minutes.")
            waiting = {"owner": "bot", "agent_name": None, "waiting": "person"}
            await self.sio.emit("session_status", waiting, room=session.session_id)
        elif text.strip().lower() == "menu":
            await self.say(session, "What can I help you with?", quick_replies=MENU)
        elif "#1001" in text:
            await self.say(
                session,
                "Order #1001 (wrap dress) shipped with USPS on Monday and is on its way; "
                "it should arrive by Thursday. Track it here: "
                "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111899223197428490",
            )
        elif text.startswith("/"):
            await self.say(session, f"Intent {text[1:]} received.")
        else:
            await self.say(session, f"You said: {text}")
        await self.sio.emit("bot_typing", {"typing": False}, room=session.session_id)

    # ---------------------------------------------------------------- agents

    def _find(self, data: dict[str, Any]) -> Session | None:
        return self.sessions.get(str((data or {}).get("session_id", "")))

    async def agent_list(self, sid: str, data: Any) -> dict[str, Any]:
        conversations = [s.summary for s in self.sessions.values()]
        return {
            "ok": True,
            "conversations": conversations,
            "intents": INTENTS,
            "labels": Labels().to_json(),  # the real server's default words
        }

    async def agent_view(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        session = self._find(data)
        if session is None:
            return {"ok": False, "error": "unknown conversation"}
        return {"ok": True, "conversation": session.summary, "messages": session.messages}

    async def agent_join(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        session = self._find(data)
        if session is None:
            return {"ok": False, "error": "unknown conversation"}
        session.summary.update(status="human", agent="Alex")
        await self.sio.emit(
            "session_status", {"owner": "human", "agent_name": "Alex"}, room=session.session_id
        )
        await self.say(session, "Alex from our team joined the chat.", sender="system")
        await self.sio.emit("conversation", session.summary, namespace="/agent")
        return {"ok": True, "conversation": session.summary, "messages": session.messages}

    async def agent_send(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        session = self._find(data)
        if session is None:
            return {"ok": False, "error": "unknown conversation"}
        await self.say(session, str(data.get("text", "")), sender="agent", agent_name="Alex")
        return {"ok": True}

    async def agent_note(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        session = self._find(data)
        if session is None:
            return {"ok": False, "error": "unknown conversation"}
        msg = self.add(session, "note", str(data.get("text", "")))
        await self.to_agents(session, msg)
        return {"ok": True, "message": msg}

    async def agent_hand_back(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        session = self._find(data)
        if session is None:
            return {"ok": False, "error": "unknown conversation"}
        session.summary.update(status="bot", agent=None)
        await self.sio.emit(
            "session_status", {"owner": "bot", "agent_name": None}, room=session.session_id
        )
        text = "Alex left the chat. I'm the shop's assistant again; ask me anything."
        await self.say(session, text, sender="system")
        await self.sio.emit("conversation", session.summary, namespace="/agent")
        return {"ok": True}

    async def agent_close(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        session = self._find(data)
        if session is None:
            return {"ok": False, "error": "unknown conversation"}
        session.summary.update(status="closed")
        await self.sio.emit("conversation", session.summary, namespace="/agent")
        return {"ok": True}

    async def agent_label(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        self.labels.append(data)
        for session in self.sessions.values():
            for msg in session.messages:
                if msg["id"] == data.get("message_id"):
                    msg.update(intent=data.get("intent"), confidence=1.0, labelled=True)
                    return {"ok": True}
        return {"ok": False, "error": "unknown message"}


def seed(chat: FakeChat) -> None:
    """Conversations for the console: one waiting, one with an agent, one with the bot."""
    now = datetime.now(UTC)
    waiting = chat.new_session(
        status="waiting",
        escalation_reason="late_shipment",
        intents=[["track_order", 0.91], ["complaint", 0.06]],
        order="#1002",
        customer_email="james@example.com",
        summary="Order #1002 (trail running shoes) shipped 12 days ago with FedEx and is still "
        "in transit, past the 10-day window. Customer wants a refund or a replacement.",
    )
    chat.add(
        waiting,
        "customer",
        "Hi, where is my order #1002? It's been almost two weeks.",
        intent="track_order",
        confidence=0.91,
    )
    chat.add(
        waiting,
        "bot",
        "Order #1002 shipped with FedEx 12 days ago and is still in transit. "
        "I'm sorry it's late. I'll get a person to look at it.",
    )
    chat.add(
        waiting,
        "customer",
        "Can I just get a refund instead?",
        intent="refund_status",
        confidence=0.58,
    )
    human = chat.new_session(
        status="human",
        agent="Alex",
        escalation_reason="customer_asked",
        intents=[["change_address", 0.77], ["human_agent", 0.2]],
        order="#1005",
        customer_email="sam@example.com",
        summary="Wants to change the delivery address of unfulfilled order #1005.",
    )
    chat.add(
        human,
        "customer",
        "I need to change the address on order 1005",
        intent="change_address",
        confidence=0.77,
    )
    chat.add(human, "note", "Checked in Shopify: not fulfilled yet, safe to change.")
    chat.add(human, "agent", "Sure! What is the new address?", agent_name="Alex")
    bot = chat.new_session(
        intents=[["return_item", 0.88]],
        order="#1003",
        customer_email="priya@example.com",
        summary="Asked how to return a mug from delivered order #1003; sent the return link.",
    )
    chat.add(
        bot,
        "customer",
        "how do I return one of the mugs?",
        intent="return_item",
        confidence=0.88,
    )
    chat.add(bot, "bot", "You can start a return here: https://maison-demo.example/returns")
    for i, session in enumerate((waiting, human, bot)):
        session.summary["updated_at"] = _iso(now - timedelta(minutes=3 + 9 * i))


def create_fake_app(*, seeded: bool = True) -> tuple[web.Application, FakeChat]:
    """The fake server: static files as the real server serves them, plus the fake bot."""
    sio = socketio.AsyncServer(async_mode="aiohttp", cors_allowed_origins="*")
    chat = FakeChat(sio)
    sio.on("session_request", chat.on_session_request)
    sio.on("user_uttered", chat.on_user_uttered)
    for name in ("list", "view", "join", "send", "note", "hand_back", "close", "label"):
        sio.on(name, getattr(chat, f"agent_{name}"), namespace="/agent")
    if seeded:
        seed(chat)

    async def shop(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC_DIR / "index.html")

    async def console(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC_DIR / "agent" / "index.html")

    async def login(request: web.Request) -> web.Response:
        html = (STATIC_DIR / "agent" / "login.html").read_text()
        html = html.replace("{{csrf_token}}", "fake-token")
        return web.Response(text=html, content_type="text/html")

    app = web.Application()
    app.router.add_get("/", shop)
    app.router.add_get("/agent/", console)
    app.router.add_get("/agent/login", login)
    app.router.add_static("/static/", STATIC_DIR)
    sio.attach(app)
    return app, chat


@contextlib.asynccontextmanager
async def serve_fake(port: int = 0, **kwargs: Any) -> AsyncIterator[tuple[str, FakeChat]]:
    """Runs the fake on 127.0.0.1 (a free port by default); yields (base URL, FakeChat)."""
    app, chat = create_fake_app(**kwargs)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    bound = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{bound}", chat
    finally:
        await chat.sio.shutdown()
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8099)
    args = parser.parse_args()

    async def run() -> None:
        async with serve_fake(args.port) as (url, _):
            print(f"fake chat server on {url}", flush=True)
            await asyncio.Event().wait()

    asyncio.run(run())


if __name__ == "__main__":
    main()
