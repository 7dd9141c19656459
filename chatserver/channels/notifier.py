"""The one way out to the sockets: emits through the Socket.IO server, by namespace name.

Customers (namespace ``/``, a room per session) and agents (``/agent``, all in the
``agents`` room) never hold references to each other's namespace: what either side must
tell the other's clients goes through this notifier, which emits through the server,
and with Redis (``chatserver.ops.scaleout``) reaches the sockets of every process.

A session has one room per protocol (``session_room``): tabs of one session may differ,
one a stock Rasa client and one our widget, and each must get its own ``bot_uttered``
shape. Rooms, unlike per-socket payloads, work across processes: the notifier does not
need to know which sockets exist or where. Our extra events go to the extended room only.

An emit costs a packet's encoding even when no one is in the room, and a turn has
several: with a single process (no fan-out manager) an emit to a room that has no
socket here (the agents when no agent is signed in, the Rasa room of a widget's session)
is skipped. With Redis another process's sockets may be in it, so everything is sent.
"""

from __future__ import annotations

from typing import Any

import socketio
from socketio.async_pubsub_manager import AsyncPubSubManager

from chatserver.channels.payloads import (
    EXTENDED,
    PROTOCOLS,
    agent_message_json,
    bot_uttered_json,
    user_message_json,
    waiting_for,
)
from chatserver.service import AgentChange, ConversationSummary, TurnResult, summarise
from chatserver.storage import StoredMessage

__all__ = ["AGENTS", "AGENTS_ROOM", "CUSTOMERS", "Notifier", "session_room"]

CUSTOMERS = "/"
AGENTS = "/agent"
AGENTS_ROOM = "agents"


def session_room(session_id: str, protocol: str) -> str:
    """The room of a session's sockets that speak ``protocol``.

    The extended room keeps the session id as its name, as before protocols existed.
    Session ids are URL-safe tokens, so a ``:`` never makes one room name another's.
    """
    return session_id if protocol == EXTENDED else f"{protocol}:{session_id}"


class Notifier:
    """Delivers what the service returns, to a session's tabs and to the agents."""

    def __init__(self, sio: socketio.AsyncServer) -> None:
        self.sio = sio
        # Only a local manager knows every socket of a room; a stand-in server without
        # one (the conversation benchmark's recording wire) is told everything.
        manager = getattr(sio, "manager", None)
        self._local = manager is not None and not isinstance(manager, AsyncPubSubManager)

    def heard(self, namespace: str, room: str) -> bool:
        """Could a socket receive an emit to ``room``? (Always, with a fan-out manager.)"""
        if not self._local:
            return True
        return bool(self.sio.manager.rooms.get(namespace, {}).get(room))

    async def _to_room(self, session_id: str, protocol: str, event: str, data: Any) -> None:
        room = session_room(session_id, protocol)
        if self.heard(CUSTOMERS, room):
            await self.sio.emit(event, data, room=room, namespace=CUSTOMERS)

    async def to_session(self, session_id: str, event: str, data: Any) -> None:
        """One of our events, to the session's tabs that asked for our extensions."""
        await self._to_room(session_id, EXTENDED, event, data)

    async def to_agents(self, event: str, data: Any) -> None:
        if self.heard(AGENTS, AGENTS_ROOM):
            await self.sio.emit(event, data, room=AGENTS_ROOM, namespace=AGENTS)

    async def typing(self, session_id: str, typing: bool) -> None:
        await self.to_session(session_id, "bot_typing", {"typing": typing})

    async def error(self, session_id: str, code: str, message: str) -> None:
        """A failed turn, to every tab: stock clients ignore the event, as they do refusals."""
        for protocol in PROTOCOLS:
            await self._to_room(session_id, protocol, "error", {"code": code, "message": message})

    async def message_to_agents(self, m: StoredMessage) -> None:
        if not self.heard(AGENTS, AGENTS_ROOM):
            return  # not even the payload is built
        await self.to_agents(
            "message", {"session_id": m.session_id, "message": agent_message_json(m)}
        )

    async def echo(self, m: StoredMessage) -> None:
        """A customer message as stored, to every tab of the session and to the agents."""
        await self.to_session(m.session_id, "user_message", user_message_json(m))
        await self.message_to_agents(m)

    async def say(self, m: StoredMessage) -> None:
        """A stored bot, agent or system message, to the customer and to the agents."""
        for protocol in PROTOCOLS:
            if self.heard(CUSTOMERS, session_room(m.session_id, protocol)):
                await self._to_room(
                    m.session_id, protocol, "bot_uttered", bot_uttered_json(m, protocol)
                )
        await self.message_to_agents(m)

    async def conversation(self, summary: ConversationSummary) -> None:
        """A new or changed row of the agents' conversation list."""
        await self.to_agents("conversation", summary.to_json())

    async def turn(self, result: TurnResult) -> None:
        """A customer turn: the message, the replies in order, the conversation's row."""
        await self.echo(result.customer_message)
        for reply in result.replies:
            await self.say(reply)
        waiting = waiting_for(result.session) if result.session is not None else None
        if result.escalated and waiting is not None:  # who is coming, for the header
            status = {"owner": "bot", "agent_name": None, "waiting": waiting}
            await self.to_session(result.customer_message.session_id, "session_status", status)
        if result.session is not None and self.heard(AGENTS, AGENTS_ROOM):
            last = (result.replies or [result.customer_message])[-1]
            await self.conversation(summarise(result.session, last))

    async def change(self, change: AgentChange, summary: ConversationSummary) -> None:
        """An agent's action: who owns the chat now, the system line, the row."""
        session_id = change.session.id
        if change.owner is not None:
            name = change.agent_name if change.owner == "human" else None
            status = {"owner": change.owner, "agent_name": name}  # never the login
            await self.to_session(session_id, "session_status", status)
        if change.line is not None:
            await self.say(change.line)
        await self.conversation(summary)
