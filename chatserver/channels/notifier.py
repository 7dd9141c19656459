"""The one way out to the sockets: emits through the Socket.IO server, by namespace name.

Customers (namespace ``/``, a room per session) and agents (``/agent``, all in the
``agents`` room) never hold references to each other's namespace: what either side must
tell the other's clients goes through this notifier, which emits through the server,
and with Redis (``chatserver.ops.scaleout``) reaches the sockets of every process.
"""

from __future__ import annotations

from typing import Any

import socketio

from chatserver.channels.payloads import agent_message_json, bot_uttered_json, user_message_json
from chatserver.service import AgentChange, ConversationSummary, TurnResult, summarise
from chatserver.storage import StoredMessage

__all__ = ["AGENTS", "AGENTS_ROOM", "CUSTOMERS", "Notifier"]

CUSTOMERS = "/"
AGENTS = "/agent"
AGENTS_ROOM = "agents"


class Notifier:
    """Delivers what the service returns, to a session's tabs and to the agents."""

    def __init__(self, sio: socketio.AsyncServer) -> None:
        self.sio = sio

    async def to_session(self, session_id: str, event: str, data: Any) -> None:
        await self.sio.emit(event, data, room=session_id, namespace=CUSTOMERS)

    async def to_agents(self, event: str, data: Any) -> None:
        await self.sio.emit(event, data, room=AGENTS_ROOM, namespace=AGENTS)

    async def typing(self, session_id: str, typing: bool) -> None:
        await self.to_session(session_id, "bot_typing", {"typing": typing})

    async def error(self, session_id: str, code: str, message: str) -> None:
        await self.to_session(session_id, "error", {"code": code, "message": message})

    async def message_to_agents(self, m: StoredMessage) -> None:
        await self.to_agents(
            "message", {"session_id": m.session_id, "message": agent_message_json(m)}
        )

    async def echo(self, m: StoredMessage) -> None:
        """A customer message as stored, to every tab of the session and to the agents."""
        await self.to_session(m.session_id, "user_message", user_message_json(m))
        await self.message_to_agents(m)

    async def say(self, m: StoredMessage) -> None:
        """A stored bot, agent or system message, to the customer and to the agents."""
        await self.to_session(m.session_id, "bot_uttered", bot_uttered_json(m))
        await self.message_to_agents(m)

    async def conversation(self, summary: ConversationSummary) -> None:
        """A new or changed row of the agents' conversation list."""
        await self.to_agents("conversation", summary.to_json())

    async def turn(self, result: TurnResult) -> None:
        """A customer turn: the message, the replies in order, the conversation's row."""
        await self.echo(result.customer_message)
        for reply in result.replies:
            await self.say(reply)
        if result.session is not None:
            last = (result.replies or [result.customer_message])[-1]
            await self.conversation(summarise(result.session, last))

    async def change(self, change: AgentChange, summary: ConversationSummary) -> None:
        """An agent's action: who owns the chat now, the system line, the row."""
        session_id = change.session.id
        if change.owner is not None:
            status = {"owner": change.owner, "agent_name": change.session.agent}
            if change.owner == "bot":
                status["agent_name"] = None
            await self.to_session(session_id, "session_status", status)
        if change.line is not None:
            await self.say(change.line)
        await self.conversation(summary)
