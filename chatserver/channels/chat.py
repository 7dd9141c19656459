"""The live chat: customers on the default Socket.IO namespace (docs/protocol.md).

Events and payloads are those of Rasa's socketio channel (``session_request`` →
``session_confirm``, ``user_uttered`` → ``bot_uttered``); a client that asks for
``chatbot/1`` in ``session_request`` also gets our extra keys and events. Session ids are
issued by the server; each session has a room per protocol, so every tab of it sees the
conversation. A handler validates the event, calls the service and delivers what it
returns through the ``Notifier``; what to answer, and where a hand-off goes, is the
conversation's business. Turns of one session run one at a time, in order, in a worker
task per busy session; the socket handlers never wait for a turn, so a slow carrier only
delays its own customer.

On shutdown (SIGTERM) the server has stopped listening when ``ChatNamespace.shutdown``
runs: it lets the turns in flight finish (up to ``TURNS_GRACE_SECONDS``; one cut short
is answered at the next start, see ``ops/recovery``), then closes every Engine.IO
connection at once. A closed transport is what Socket.IO clients reconnect after, by
themselves (a Socket.IO "disconnect" would tell them not to), so widgets come back to
the restarted server.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

import socketio
from aiohttp import web

from chatserver.channels.lifecycle import GuardedNamespace
from chatserver.channels.notifier import CUSTOMERS, Notifier, session_room
from chatserver.channels.payloads import (
    EXTENDED,
    PROTOCOLS,
    customer_message_json,
    requested_protocol,
    waiting_for,
)
from chatserver.channels.typing import Typing
from chatserver.keys import LIMITS, METRICS, NOTIFIER, PROXIES, SERVICE, SETTINGS, SOCKETIO
from chatserver.ops.limits import ChatLimits
from chatserver.ops.metrics import Metrics
from chatserver.ops.proxies import TrustedProxies
from chatserver.ops.scaleout import close_socketio_manager, socketio_manager
from chatserver.service import ConversationService, InboundMessage, SessionNotFound

__all__ = ["ChatNamespace", "client_address", "setup_chat"]

log = logging.getLogger(__name__)

MAX_SESSION_ID = 100
MAX_CLIENT_ID = 100
MAX_PAGE_URL = 2000
MAX_PACKET_BYTES = 64 * 1024  # Engine.IO refuses bigger packets before we see them
TURNS_GRACE_SECONDS = 10.0  # on shutdown: the longest wait for the turns in flight
CLOSE_SECONDS = 5.0  # on shutdown: the longest wait for the connections to close


def client_address(environ: dict[str, Any], proxies: TrustedProxies | None = None) -> str:
    """The client's address: the peer's, or what ``trusted_proxies`` in front say it is
    (``X-Forwarded-For`` counts only from them; ``chatserver.ops.proxies``)."""
    return (proxies or TrustedProxies()).of_environ(environ)


def _message(session_id: str, data: dict[str, Any], text: str, address: str = "") -> InboundMessage:
    custom = data.get("customData")
    custom = custom if isinstance(custom, dict) else {}
    client_id = custom.get("client_message_id")
    identity = custom.get("identity")
    page_url = custom.get("page_url")
    return InboundMessage(
        session_id=session_id,
        text=text,
        channel="chat",
        identity=identity if isinstance(identity, dict) else None,
        client_message_id=(
            client_id if isinstance(client_id, str) and len(client_id) <= MAX_CLIENT_ID else None
        ),
        metadata={"page_url": page_url[:MAX_PAGE_URL]} if isinstance(page_url, str) else {},
        client_address=address,
    )


class ChatNamespace(GuardedNamespace):
    """Customers: sessions, turns and the limits on them."""

    def __init__(self, app: web.Application) -> None:
        super().__init__(CUSTOMERS)
        self.app = app
        self.sessions: dict[str, str] = {}  # sid -> the session id it was confirmed for
        self.rooms: dict[str, str] = {}  # sid -> its session's room for the protocol it speaks
        self.addresses: dict[str, str] = {}  # sid -> client address
        self._queues: dict[str, deque[InboundMessage]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self.closing = False  # the server is shutting down

    @property
    def service(self) -> ConversationService:
        return self.app[SERVICE]

    @property
    def limits(self) -> ChatLimits:
        return self.app[LIMITS]

    @property
    def metrics(self) -> Metrics:
        return self.app[METRICS]

    @property
    def notifier(self) -> Notifier:
        return self.app[NOTIFIER]

    # --- connections ------------------------------------------------------------

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        if self.closing:
            raise socketio.exceptions.ConnectionRefusedError(
                {"code": "restarting", "message": "The chat is restarting. Try again shortly."}
            )
        address = client_address(environ, self.app[PROXIES])
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
        self.rooms.pop(sid, None)

    async def on_session_request(self, sid: str, data: Any = None) -> None:
        data = data if isinstance(data, dict) else {}
        requested = data.get("session_id")
        if not isinstance(requested, str) or len(requested) > MAX_SESSION_ID:
            requested = None
        protocol = requested_protocol(data)
        if protocol is None:
            spoken = ", ".join(PROTOCOLS)
            await self.refuse(
                sid, "unsupported_protocol", f"Unknown protocol; use one of {spoken}."
            )
            return
        if not self.limits.per_ip.hit(self.addresses.get(sid, "unknown")):
            await self.refuse(sid, "rate_limited", "Too many requests. Wait a minute.")
            return
        session = await self.service.open_session("chat", requested)
        room = session_room(session.id, protocol)
        previous = self.rooms.get(sid)
        if previous is not None and previous != room:
            await self.leave_room(sid, previous)
        self.sessions[sid] = session.id
        self.rooms[sid] = room
        await self.enter_room(sid, room)
        await self.emit("session_confirm", session.id, to=sid)
        if session.id != requested or protocol != EXTENDED:
            return  # a stock Rasa client keeps its own history (rasa-webchat: localStorage)
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
            name = self.service.agents.display_name(session.agent)  # never the login
            await self.emit("session_status", {"owner": "human", "agent_name": name}, to=sid)
        elif (waiting := waiting_for(session)) is not None:
            status = {"owner": "bot", "agent_name": None, "waiting": waiting}
            await self.emit("session_status", status, to=sid)

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
        if limits.max_message_chars and len(text) > limits.max_message_chars:
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
        self._enqueue(_message(session_id, data, text, address))

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
        notifier, room = self.notifier, message.session_id
        typing = Typing(notifier, room)  # shown only if the turn takes a while
        try:
            result = await self.service.handle(message)
            await typing.done()
            await notifier.turn(result)
        except SessionNotFound:
            await notifier.error(room, "no_session", "Unknown session.")
        except Exception:
            # The boundary of a background task: log it with the traceback, tell the customer,
            # and keep serving the session.
            log.exception("turn failed in session %s…", room[:8])
            self.metrics.turn_errors.inc()
            await notifier.error(room, "internal_error", "Sorry, something went wrong. Try again.")
        finally:
            await typing.off()

    async def shutdown(
        self, grace: float = TURNS_GRACE_SECONDS, close_within: float = CLOSE_SECONDS
    ) -> None:
        """Finish the turns in flight, then close every connection (clients reconnect)."""
        self.closing = True
        log.info(
            "shutting down: %d chat connections, %d turns in flight",
            len(self.addresses),
            len(self._workers),
        )
        deadline = asyncio.get_running_loop().time() + grace
        # A message that arrives meanwhile joins its session's worker, or starts one.
        while self._workers:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                log.warning(
                    "%d turns still running after %.0fs: they are answered at the next start",
                    len(self._workers),
                    grace,
                )
                break
            await asyncio.wait(list(self._workers.values()), timeout=left)
        eio = self.server.eio
        sockets = list(eio.sockets.values())
        if not sockets:
            return
        try:
            # Engine.IO's close packet to every socket at once (polling clients get it on
            # their pending request and close)...
            await asyncio.wait_for(eio.disconnect(), close_within)
        except TimeoutError:
            log.warning("some connections did not close within %.0fs", close_within)
        # ...and each websocket closed from here: a browser's client ignores the packet on a
        # websocket and would notice only at its ping timeout (45 s). An empty item ends
        # the socket's writer, which closes its websocket (python-engineio's own way of ending
        # one; tests/chatserver/test_shutdown.py fails if that changes).
        for socket in sockets:
            socket.queue.put_nowait(None)

    async def aclose(self) -> None:
        """Cancel the turns still running (server cleanup, after ``shutdown``)."""
        workers = list(self._workers.values())
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)


def setup_chat(app: web.Application) -> socketio.AsyncServer:
    """Attach Socket.IO at ``/socket.io/`` with the customer namespace, and the notifier.

    Call after the core's ``cleanup_ctx`` so turns are cancelled before the store closes.
    """
    settings = app[SETTINGS]
    origins = list(settings.allowed_origins)
    if "*" not in origins:
        origins.append(settings.base_url)  # the widget demo page and the console are ours
    sio = socketio.AsyncServer(
        async_mode="aiohttp",
        cors_allowed_origins="*" if "*" in origins else origins,
        max_http_buffer_size=MAX_PACKET_BYTES,
        client_manager=socketio_manager(settings),  # Redis fan-out across processes, if set
    )
    sio.attach(app, socketio_path="socket.io")
    chat = ChatNamespace(app)
    sio.register_namespace(chat)
    app[SOCKETIO] = sio
    app[NOTIFIER] = Notifier(sio)

    async def drain(app: web.Application) -> None:  # listening has stopped by now
        await chat.shutdown()

    app.on_shutdown.append(drain)

    async def lifetime(app: web.Application) -> AsyncIterator[None]:
        yield
        await chat.aclose()
        await sio.shutdown()
        await close_socketio_manager(sio)

    app.cleanup_ctx.append(lifetime)
    return sio
