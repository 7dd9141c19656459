"""The live chat: customers on the default Socket.IO namespace (docs/protocol.md).

Events and payloads are those of Rasa's socketio channel (``session_request`` →
``session_confirm``, ``user_uttered`` → ``bot_uttered``) with our extra keys and events.
Session ids are issued by the server; each session is a room, so every tab of it sees
the conversation. Turns of one session run one at a time, in order, in a worker task per
busy session; the socket handlers never wait for a turn, so a slow carrier only delays
its own customer.

A hand-off nobody can take in the chat (no agent online, or the shop closed) becomes a
Zendesk ticket: see ``chatserver.channels.handoff``.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import socketio
from aiohttp import web

from chatserver.channels.handoff import TicketFallback
from chatserver.keys import CHAT, LIMITS, METRICS, SERVICE, SETTINGS, SOCKETIO
from chatserver.ops.limits import ChatLimits
from chatserver.ops.scaleout import close_socketio_manager, socketio_manager
from chatserver.service import ConversationService, InboundMessage, SessionNotFound, TurnResult
from chatserver.storage import StoredMessage

if TYPE_CHECKING:
    from chatserver.channels.agent import AgentNamespace
    from chatserver.ops.metrics import Metrics

__all__ = [
    "ChatNamespace",
    "bot_uttered_json",
    "client_address",
    "customer_message_json",
    "iso",
    "setup_chat",
]

log = logging.getLogger(__name__)

MAX_SESSION_ID = 100
MAX_CLIENT_ID = 100
MAX_PAGE_URL = 2000
MAX_PACKET_BYTES = 64 * 1024  # Engine.IO refuses bigger packets before we see them


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def customer_message_json(m: StoredMessage) -> dict[str, Any]:
    """A message as customers see it (``session_history`` entries)."""
    out: dict[str, Any] = {"id": m.id, "ts": iso(m.ts), "sender": m.sender, "text": m.text}
    if m.quick_replies:
        out["quick_replies"] = [
            {"content_type": "text", "title": q.title, "payload": q.payload}
            for q in m.quick_replies
        ]
    if m.agent_name and m.sender == "agent":
        out["agent_name"] = m.agent_name
    if m.client_message_id and m.sender == "customer":
        out["client_message_id"] = m.client_message_id
    return out


def bot_uttered_json(m: StoredMessage) -> dict[str, Any]:
    """A ``bot_uttered`` payload: Rasa's ``text``/``quick_replies`` plus our keys."""
    return customer_message_json(m)


def client_address(environ: dict[str, Any]) -> str:
    """The peer's address. Forwarded headers are not trusted: a proxy in front should
    pass the real address at the TCP level or the limits apply to the proxy."""
    request = environ.get("aiohttp.request")
    remote = getattr(request, "remote", None)
    return str(remote or environ.get("REMOTE_ADDR") or "unknown")


class _Server(socketio.AsyncServer):
    """python-socketio hands a client event named "connect" or "disconnect" to
    ``on_connect``/``on_disconnect``: a customer emitting "disconnect" lost its session
    and released its connection slot while staying connected. Such events are dropped."""

    async def _handle_event(self, eio_sid: str, namespace: str, id: Any, data: Any) -> None:
        if isinstance(data, list) and data and data[0] in _LIFECYCLE_EVENTS:
            log.info("dropped a client event named %r", data[0])
            return
        await super()._handle_event(eio_sid, namespace, id, data)


_LIFECYCLE_EVENTS = {"connect", "disconnect", "connect_error"}


class ChatNamespace(socketio.AsyncNamespace):
    """Customers: sessions, turns, limits, and the Zendesk fallback of hand-offs."""

    def __init__(self, app: web.Application) -> None:
        super().__init__("/")
        self.app = app
        self.agents: AgentNamespace | None = None  # set by setup_agent
        self.sessions: dict[str, str] = {}  # sid -> the session id it was confirmed for
        self.addresses: dict[str, str] = {}  # sid -> client address
        self.tickets = TicketFallback(self)
        self._queues: dict[str, deque[InboundMessage]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}

    @property
    def service(self) -> ConversationService:
        return self.app[SERVICE]

    @property
    def limits(self) -> ChatLimits:
        return self.app[LIMITS]

    @property
    def metrics(self) -> Metrics:
        return self.app[METRICS]

    # --- connections ------------------------------------------------------------

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        address = client_address(environ)
        if not self.limits.connections.acquire(address):
            self.metrics.refused.inc(reason="too_many_connections")
            raise socketio.exceptions.ConnectionRefusedError(
                {"code": "too_many_connections", "message": "Too many open chats from here."}
            )
        self.addresses[sid] = address
        self.metrics.connections.inc(namespace="/")
        self.metrics.connections_total.inc(namespace="/")

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        address = self.addresses.pop(sid, None)
        if address is not None:
            self.limits.connections.release(address)
            self.metrics.connections.dec(namespace="/")
        self.sessions.pop(sid, None)

    async def on_session_request(self, sid: str, data: Any = None) -> None:
        data = data if isinstance(data, dict) else {}
        requested = data.get("session_id")
        if not isinstance(requested, str) or len(requested) > MAX_SESSION_ID:
            requested = None
        if not self.limits.per_ip.hit(self.addresses.get(sid, "unknown")):
            await self.refuse(sid, "rate_limited", "Too many requests. Wait a minute.")
            return
        session = await self.service.open_session("chat", requested)
        previous = self.sessions.get(sid)
        if previous is not None and previous != session.id:
            await self.leave_room(sid, previous)
        self.sessions[sid] = session.id
        await self.enter_room(sid, session.id)
        await self.emit("session_confirm", session.id, to=sid)
        if session.id != requested:
            return
        last = data.get("last_message_id")
        last = last if isinstance(last, int) and not isinstance(last, bool) else None
        missed = await self.service.messages_since(session.id, last)
        await self.emit(
            "session_history",
            {
                "session_id": session.id,
                "messages": [customer_message_json(m) for m in missed if m.sender != "note"],
            },
            to=sid,
        )
        if session.owner == "human":
            await self.emit(
                "session_status", {"owner": "human", "agent_name": session.agent}, to=sid
            )

    async def on_user_uttered(self, sid: str, data: Any = None) -> None:
        session_id = self.sessions.get(sid)
        if not isinstance(data, dict):
            await self.refuse(sid, "bad_request", "Expected {message, session_id}.")
            return
        if session_id is None:
            await self.refuse(sid, "no_session", "Send session_request first.")
            return
        if data.get("session_id") != session_id:
            await self.refuse(sid, "wrong_session", "This connection belongs to another session.")
            return
        text = data.get("message")
        if not isinstance(text, str) or not text.strip():
            await self.refuse(sid, "bad_request", "The message is empty.")
            return
        limits = self.limits
        if len(text) > limits.max_message_chars:
            await self.refuse(
                sid,
                "message_too_large",
                f"That message is too long: at most {limits.max_message_chars} characters.",
            )
            return
        address = self.addresses.get(sid, "unknown")
        if not limits.per_session.hit(session_id) or not limits.per_ip.hit(address):
            await self.refuse(sid, "rate_limited", "You are sending messages too fast. Wait a bit.")
            return
        custom = data.get("customData")
        custom = custom if isinstance(custom, dict) else {}
        client_id = custom.get("client_message_id")
        identity = custom.get("identity")
        page_url = custom.get("page_url")
        message = InboundMessage(
            session_id=session_id,
            text=text,
            channel="chat",
            identity=identity if isinstance(identity, dict) else None,
            client_message_id=(
                client_id
                if isinstance(client_id, str) and len(client_id) <= MAX_CLIENT_ID
                else None
            ),
            metadata={"page_url": page_url[:MAX_PAGE_URL]} if isinstance(page_url, str) else {},
        )
        self._enqueue(message)

    async def refuse(self, sid: str, code: str, message: str) -> None:
        """Tell one socket what was refused; nothing else changes."""
        self.metrics.refused.inc(reason=code)
        await self.emit("error", {"code": code, "message": message}, to=sid)

    # --- turns ------------------------------------------------------------------

    def _enqueue(self, message: InboundMessage) -> None:
        queue = self._queues.setdefault(message.session_id, deque())
        queue.append(message)
        if message.session_id not in self._workers:
            # The dict keeps a reference to every running worker (tasks are weakly held).
            self._workers[message.session_id] = asyncio.create_task(self._drain(message.session_id))

    async def _drain(self, session_id: str) -> None:
        queue = self._queues[session_id]
        try:
            while queue:
                await self._turn(queue.popleft())
        finally:
            # No await between the last check and here: a message enqueued meanwhile
            # would have found this worker still registered and been drained above.
            del self._workers[session_id]
            if not queue:
                del self._queues[session_id]

    async def _turn(self, message: InboundMessage) -> None:
        room = message.session_id
        await self.emit("bot_typing", {"typing": True}, room=room)
        try:
            if not await self.tickets.take_email(message):
                await self._publish(await self.service.handle(message))
        except SessionNotFound:
            await self.emit(
                "error", {"code": "no_session", "message": "Unknown session."}, room=room
            )
        except Exception:
            # The boundary of a background task: log it with the traceback, tell the customer,
            # and keep serving the session.
            log.exception("turn failed in session %s", room)
            self.metrics.turn_errors.inc()
            await self.emit(
                "error",
                {"code": "internal_error", "message": "Sorry, something went wrong. Try again."},
                room=room,
            )
        finally:
            await self.emit("bot_typing", {"typing": False}, room=room)

    async def _publish(self, result: TurnResult) -> None:
        await self.echo(result.customer_message)
        self.metrics.turns.inc()
        self.metrics.intents.inc(intent=result.intent or "none")
        for reply in result.replies:
            await self.say(reply)
        session = result.session or await self.service.get_session(
            result.customer_message.session_id
        )
        if session is None:
            return
        last: StoredMessage | None = (result.replies or [result.customer_message])[-1]
        if result.escalated:
            self.metrics.escalations.inc(reason=result.escalation_reason or "unknown")
            if not self._person_can_join():
                await self.tickets.ticket_or_ask(session)
                last = None  # the ticket's lines came after the turn's: read the newest
        if self.agents is not None:
            await self.agents.publish_conversation(session, last)

    async def echo(self, m: StoredMessage) -> None:
        """A customer message as stored, to every tab of the session and to the agents."""
        await self.emit(
            "user_message",
            {"id": m.id, "ts": iso(m.ts), "text": m.text, "client_message_id": m.client_message_id},
            room=m.session_id,
        )
        if self.agents is not None:
            await self.agents.publish_message(m)

    async def say(self, m: StoredMessage) -> None:
        """A stored bot, agent or system message, to the customer and to the agents."""
        await self.emit("bot_uttered", bot_uttered_json(m), room=m.session_id)
        if self.agents is not None:
            await self.agents.publish_message(m)

    async def add(self, session_id: str, sender: str, text: str) -> StoredMessage:
        """Store a message the channel itself writes (system lines, the ticket notice)."""
        return await self.service.storage.add_message(
            session_id, sender, text, at=self.service.clock()
        )

    async def set_owner(self, session_id: str, owner: str, agent: str | None, line: str) -> None:
        """Tell the customer a person joined or left, with a system line in the transcript."""
        await self.emit("session_status", {"owner": owner, "agent_name": agent}, room=session_id)
        await self.say(await self.add(session_id, "system", line))

    def _person_can_join(self) -> bool:
        online = self.agents is not None and self.agents.online()
        return online and self.service.policy.is_open(self.service.clock())

    async def aclose(self) -> None:
        """Cancel the running turns (server shutdown)."""
        workers = list(self._workers.values())
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)


def setup_chat(app: web.Application) -> socketio.AsyncServer:
    """Attach Socket.IO at ``/socket.io/`` with the customer namespace.

    Call after the core's ``cleanup_ctx`` so turns are cancelled before the store closes.
    """
    settings = app[SETTINGS]
    origins = list(settings.allowed_origins)
    if "*" not in origins:
        origins.append(settings.base_url)  # the widget demo page and the console are ours
    sio = _Server(
        async_mode="aiohttp",
        cors_allowed_origins="*" if "*" in origins else origins,
        max_http_buffer_size=MAX_PACKET_BYTES,
        client_manager=socketio_manager(settings),  # Redis fan-out across processes, if set
    )
    sio.attach(app, socketio_path="socket.io")
    chat = ChatNamespace(app)
    sio.register_namespace(chat)
    app[SOCKETIO] = sio
    app[CHAT] = chat

    async def lifetime(app: web.Application) -> AsyncIterator[None]:
        yield
        await chat.aclose()
        await sio.shutdown()
        await close_socketio_manager(sio)

    app.cleanup_ctx.append(lifetime)
    return sio
