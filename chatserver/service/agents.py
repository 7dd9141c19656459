"""What agents do with a conversation: join, write, add notes, hand back, close.

Each operation holds the session's turn lock, checks that it applies (else
``AgentRefused``, whose message the console shows), stores what it changes and returns
it: the session, and the system line the customer sees (rendered from the
``handoff/*`` templates). The channels only deliver what comes back.

Customers see an agent's display name (the ``agents:`` setting's ``display_name``), never
the login: the login says who owns the session and signs the console's notes; every
line, message and status the customer receives carries ``display_name`` (or none).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from chatserver.dialogue.actions import Reply
from chatserver.dialogue.state import DialogueState
from chatserver.errors import AgentRefused, SessionNotFound
from chatserver.replies import Renderer
from chatserver.service.records import AgentChange
from chatserver.storage import Session, Storage, StoredMessage
from chatserver.storage.locks import SessionLocks

if TYPE_CHECKING:
    from chatserver.learning.collector import Collector

__all__ = ["AgentDesk"]


class AgentDesk:
    """The agents' side of the conversation service (``ConversationService.agents``)."""

    def __init__(
        self,
        storage: Storage,
        renderer: Renderer,
        *,
        clock: Callable[[], datetime],
        locks: SessionLocks,
        collector: Collector | None = None,
        names: Mapping[str, str] | None = None,
    ) -> None:
        self.storage = storage
        self.names = dict(names or {})  # login -> display name
        self.renderer = renderer
        self.clock = clock
        self.locks = locks
        self.collector = collector

    def display_name(self, agent: str | None) -> str | None:
        """What the customer may read for this agent: the display name, or None."""
        return (self.names.get(agent) or None) if agent else None

    async def _require(self, session_id: str) -> Session:
        session = await self.storage.get_session(session_id)
        if session is None:
            raise SessionNotFound(session_id)
        return session

    async def _line(self, session_id: str, template: str, **context: object) -> StoredMessage:
        text = self.renderer.render(Reply(template, dict(context))).text
        return await self.storage.add_message(session_id, "system", text, at=self.clock())

    async def take_over(self, session_id: str, agent: str) -> AgentChange:
        """A person owns the session from now on; the bot stays silent in it, and a chat
        hand-off waiting for a ticket is called off.

        Raises:
            SessionNotFound, AgentRefused: another agent is in the conversation.
        """
        async with self.locks.hold(session_id):
            session = await self._require(session_id)
            if session.owner == "human" and session.agent not in (None, agent):
                raise AgentRefused(f"{session.agent} is already in this conversation")
            joined = session.owner != "human"
            session = replace(
                session,
                owner="human",
                status="human",
                agent=agent,
                state=replace(session.state, handoff=None),
                updated_at=self.clock(),
            )
            await self.storage.save_session(session)
            if not joined:
                return AgentChange(session)
            name = self.display_name(agent)
            line = await self._line(session_id, "handoff/agent_joined", agent=name)
            return AgentChange(session, line, owner="human", agent_name=name)

    async def agent_message(self, session_id: str, agent: str, text: str) -> StoredMessage:
        """What the agent who owns the session writes to the customer.

        Raises:
            SessionNotFound, AgentRefused: the agent has not joined the conversation.
        """
        async with self.locks.hold(session_id):
            session = await self._require(session_id)
            if session.owner != "human" or session.agent != agent:
                raise AgentRefused("join the conversation before replying")
            now = self.clock()
            stored = await self.storage.add_message(
                session_id, "agent", text, at=now, agent_name=self.display_name(agent)
            )
            await self.storage.save_session(replace(session, updated_at=now))
            return stored

    async def add_note(self, session_id: str, agent: str, text: str) -> StoredMessage:
        """An internal note: in the transcript for agents, never shown to the customer."""
        async with self.locks.hold(session_id):
            await self._require(session_id)
            return await self.storage.add_message(
                session_id, "note", text, at=self.clock(), agent_name=agent
            )

    async def hand_back(self, session_id: str) -> AgentChange:
        """The bot owns the session again, starting from a fresh dialogue (identity kept)."""
        async with self.locks.hold(session_id):
            session = await self._require(session_id)
            was_human = session.owner == "human"
            name = self.display_name(session.agent)
            state = DialogueState(slots=session.state.slots, intents=session.state.intents)
            session = replace(
                session, owner="bot", status="bot", agent=None, state=state, updated_at=self.clock()
            )
            await self.storage.save_session(session)
            if not was_human:
                return AgentChange(session)
            line = await self._line(session_id, "handoff/agent_left", agent=name)
            return AgentChange(session, line, "bot")

    async def close(self, session_id: str) -> AgentChange:
        """The conversation is over; a customer who writes again starts a fresh one."""
        async with self.locks.hold(session_id):
            session = await self._require(session_id)
            # A chat waiting for a person is told too: the widget stops saying so.
            was_human = session.owner == "human" or session.status == "waiting"
            session = replace(
                session,
                owner="bot",
                status="closed",
                state=replace(session.state, handoff=None),
                updated_at=self.clock(),
            )
            await self.storage.save_session(session)
            if self.collector is not None:
                await self.collector.closed(session_id)
            line = await self._line(session_id, "handoff/closed")
            return AgentChange(session, line, "bot" if was_human else None)
