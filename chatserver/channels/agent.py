"""The agent console's Socket.IO namespace ``/agent`` (docs/protocol.md).

A connection must carry a valid console session cookie (and, from a browser, come from
this server's own origin); otherwise ``on_connect`` refuses it. Every agent socket sits
in the ``agents`` room, which receives ``conversation`` and ``message`` events live, and
counts in the presence every server process reads before keeping a hand-off in the chat.
Each client event answers through its ack: ``{"ok": true, ...}`` or
``{"ok": false, "error": "..."}``. The console session is checked again on every event
and every ``RECHECK_SECONDS``: a socket whose session ended (signed out, expired, a new
password) is disconnected. A handler validates, calls the service (its
``agents`` desk) and delivers what comes back through the ``Notifier``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import socketio
from aiohttp import web

from chatserver.channels.lifecycle import LIFECYCLE_EVENTS, GuardedNamespace
from chatserver.channels.notifier import AGENTS, AGENTS_ROOM, Notifier
from chatserver.channels.payloads import agent_message_json
from chatserver.errors import AgentRefused
from chatserver.keys import (
    AGENT_AUTH,
    METRICS,
    NOTIFIER,
    PRESENCE,
    SERVICE,
    SETTINGS,
    SOCKETIO,
    STORAGE,
)
from chatserver.ops.presence import Presence
from chatserver.service import AgentChange, ConversationService
from chatserver.settings import DEMO_AGENT, DEMO_AGENT_NAME, AgentUser
from chatserver.storage import Session
from chatserver.web.auth import SESSION_COOKIE, AgentAuth, hash_password, read_cookie

__all__ = ["DEMO_AGENT", "AgentNamespace", "setup_agent"]

log = logging.getLogger(__name__)

MAX_TEXT = 4000
RECHECK_SECONDS = 30.0  # a signed-out session's idle sockets are cut within this

Ack = dict[str, Any]


def _failed(error: str) -> Ack:
    return {"ok": False, "error": error}


def _text(data: Any) -> str | None:
    text = data.get("text") if isinstance(data, dict) else None
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
        return None
    return text.strip()


def _own_origin(origin: str, environ: dict[str, Any], base_url: str) -> bool:
    netloc = urlsplit(origin).netloc
    return netloc == environ.get("HTTP_HOST") or netloc == urlsplit(base_url).netloc


class AgentNamespace(GuardedNamespace):
    """Agents: list, view, join, send, note, hand back, close and label."""

    def __init__(self, app: web.Application) -> None:
        super().__init__(AGENTS)
        self.app = app
        self.signed_in: dict[str, str] = {}  # sid -> its console session's id
        self._cuts: set[asyncio.Task[None]] = set()  # disconnects after their ack

    @property
    def service(self) -> ConversationService:
        return self.app[SERVICE]

    @property
    def notifier(self) -> Notifier:
        return self.app[NOTIFIER]

    @property
    def presence(self) -> Presence:
        return self.app[PRESENCE]

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        origin = environ.get("HTTP_ORIGIN")
        if origin and not _own_origin(origin, environ, self.app[SETTINGS].base_url):
            self.app[METRICS].refused.inc(reason="agent_origin")
            raise socketio.exceptions.ConnectionRefusedError(
                {"code": "forbidden_origin", "message": "The console only works on this server."}
            )
        cookie = read_cookie(environ.get("HTTP_COOKIE"), SESSION_COOKIE)
        session = await self.app[AGENT_AUTH].session(cookie)
        if session is None:
            self.app[METRICS].refused.inc(reason="agent_unauthorized")
            raise socketio.exceptions.ConnectionRefusedError(
                {"code": "unauthorized", "message": "Sign in at /agent/login."}
            )
        username = str(session["u"])
        await self.save_session(sid, {"agent": username})
        self.signed_in[sid] = str(session["id"])
        await self.enter_room(sid, AGENTS_ROOM)
        await self.presence.arrived(sid, username)
        self.app[METRICS].connections.inc(namespace="/agent")

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        self.signed_in.pop(sid, None)
        await self.presence.left(sid)
        self.app[METRICS].connections.dec(namespace="/agent")

    async def trigger_event(self, event: str, *args: Any) -> Any:
        if event not in LIFECYCLE_EVENTS and args and not await self._still_signed_in(args[0]):
            # Answer first (the ack goes out when this returns), then close the socket.
            task = asyncio.create_task(self.disconnect(args[0]))
            self._cuts.add(task)
            task.add_done_callback(self._cuts.discard)
            return _failed("your console session has ended: sign in again")
        return await super().trigger_event(event, *args)

    async def _still_signed_in(self, sid: Any) -> bool:
        session_id = self.signed_in.get(sid)
        return session_id is not None and await self.app[AGENT_AUTH].alive(session_id)

    async def recheck(self) -> None:
        """Disconnect this process's sockets whose console session has ended."""
        for sid in list(self.signed_in):
            if not await self._still_signed_in(sid):
                log.info("console session ended: disconnecting an agent socket")
                await self.disconnect(sid)

    async def _me(self, sid: str) -> str:
        return str((await self.get_session(sid))["agent"])

    async def _session(self, data: Any) -> Session | None:
        session_id = data.get("session_id") if isinstance(data, dict) else None
        if not isinstance(session_id, str):
            return None
        return await self.service.get_session(session_id)

    async def _transcript(self, session: Session) -> Ack:
        messages = await self.service.messages_since(session.id)
        return {
            "ok": True,
            "conversation": (await self.service.summary(session)).to_json(),
            "messages": [agent_message_json(m) for m in messages],
        }

    async def _deliver(self, change: AgentChange) -> Ack:
        summary = await self.service.summary(change.session, change.line)
        await self.notifier.change(change, summary)
        return {"ok": True, "conversation": summary.to_json()}

    # --- events -----------------------------------------------------------------

    async def on_list(self, sid: str, data: Any = None) -> Ack:
        conversations = await self.service.list_conversations()
        return {
            "ok": True,
            "conversations": [c.to_json() for c in conversations],
            "intents": list(self.service.classifier.intents),
            "labels": self.service.policy.labels.to_json(),
        }

    async def on_view(self, sid: str, data: Any = None) -> Ack:
        session = await self._session(data)
        if session is None:
            return _failed("unknown conversation")
        return await self._transcript(session)

    async def on_join(self, sid: str, data: Any = None) -> Ack:
        session = await self._session(data)
        if session is None:
            return _failed("unknown conversation")
        try:
            change = await self.service.agents.take_over(session.id, await self._me(sid))
        except AgentRefused as exc:
            return _failed(str(exc))
        await self._deliver(change)
        return await self._transcript(change.session)

    async def on_send(self, sid: str, data: Any = None) -> Ack:
        session, text = await self._session(data), _text(data)
        if session is None:
            return _failed("unknown conversation")
        if text is None:
            return _failed(f"write between 1 and {MAX_TEXT} characters")
        try:
            stored = await self.service.agents.agent_message(session.id, await self._me(sid), text)
        except AgentRefused as exc:
            return _failed(str(exc))
        await self.notifier.say(stored)
        return {"ok": True, "message": agent_message_json(stored)}

    async def on_note(self, sid: str, data: Any = None) -> Ack:
        session, text = await self._session(data), _text(data)
        if session is None:
            return _failed("unknown conversation")
        if text is None:
            return _failed(f"write between 1 and {MAX_TEXT} characters")
        stored = await self.service.agents.add_note(session.id, await self._me(sid), text)
        await self.notifier.message_to_agents(stored)
        return {"ok": True, "message": agent_message_json(stored)}

    async def on_hand_back(self, sid: str, data: Any = None) -> Ack:
        session = await self._session(data)
        if session is None:
            return _failed("unknown conversation")
        return await self._deliver(await self.service.agents.hand_back(session.id))

    async def on_close(self, sid: str, data: Any = None) -> Ack:
        session = await self._session(data)
        if session is None:
            return _failed("unknown conversation")
        return await self._deliver(await self.service.agents.close(session.id))

    async def on_label(self, sid: str, data: Any = None) -> Ack:
        data = data if isinstance(data, dict) else {}
        message_id, intent = data.get("message_id"), data.get("intent")
        if not isinstance(message_id, int) or not isinstance(intent, str) or not intent.strip():
            return _failed("expected {message_id, intent}")
        stored = await self.service.label(message_id, intent.strip(), await self._me(sid))
        if stored is None:
            return _failed("unknown message")
        return {"ok": True, "message": agent_message_json(stored)}


def _accounts(app: web.Application) -> AgentAuth:
    settings = app[SETTINGS]
    agents = settings.agents
    if not agents and settings.demo:
        username, password = DEMO_AGENT
        agents = (AgentUser(username, hash_password(password), DEMO_AGENT_NAME),)
        log.warning(
            "demo mode: the agent console accepts %r / %r; configure `agents` for real use",
            username,
            password,
        )
    elif not agents:
        log.error(
            "no `agents` configured: the agent console refuses every login "
            "(add username + password_hash entries; `chatbot hash-password` makes a hash)"
        )
    # Sessions live in the store (built when the app starts): any process sees them.
    return AgentAuth(agents, settings.cookie_secret, store=lambda: app[STORAGE].agent_sessions)


def setup_agent(app: web.Application) -> AgentNamespace:
    """The ``/agent`` namespace on the server ``setup_chat`` attached, and the accounts."""
    app[AGENT_AUTH] = _accounts(app)
    namespace = AgentNamespace(app)
    app[SOCKETIO].register_namespace(namespace)

    async def rechecking(app: web.Application) -> AsyncIterator[None]:
        async def loop() -> None:
            while True:
                await asyncio.sleep(RECHECK_SECONDS)
                try:
                    await namespace.recheck()
                except Exception:  # the store may be down for a moment: next round
                    log.exception("could not check the agents' console sessions")

        task = asyncio.create_task(loop(), name="agent-session-recheck")
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    app.cleanup_ctx.append(rechecking)
    return namespace
