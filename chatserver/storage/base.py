"""The one storage interface the service talks to; ``SqlStorage`` implements it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol

from chatserver.storage.predictions import Prediction, PredictionLog
from chatserver.storage.records import QuickReply, Session, StoredMessage
from chatserver.storage.statistics import Statistics
from chatserver.storage.zendesk_queue import ZendeskQueue
from chatserver.storage.zendesk_records import TicketTurn

__all__ = ["Storage"]


class Storage(Protocol):
    """Conversations (sessions, messages, turns), and the store's other repositories."""

    predictions: PredictionLog
    zendesk: ZendeskQueue
    stats: Statistics

    async def start(self) -> None:
        """Connect and migrate the schema to the newest version."""

    async def aclose(self) -> None: ...

    async def create_session(self, session: Session) -> None: ...

    async def get_session(self, session_id: str) -> Session | None: ...

    async def find_session(self, channel: str, external_ref: str) -> Session | None:
        """The newest session of ``channel`` with that external reference (e.g. ticket id)."""

    async def save_session(self, session: Session) -> None: ...

    async def list_sessions(self, statuses: Iterable[str] | None = None) -> list[Session]:
        """Sessions (all, or in these statuses), most recently updated first."""

    async def add_message(
        self,
        session_id: str,
        sender: str,
        text: str,
        *,
        at: datetime,
        quick_replies: Sequence[QuickReply] = (),
        client_message_id: str | None = None,
        agent_name: str | None = None,
    ) -> StoredMessage: ...

    async def start_turn(
        self,
        session_id: str,
        text: str,
        *,
        at: datetime,
        intent: str | None = None,
        confidence: float | None = None,
        client_message_id: str | None = None,
    ) -> tuple[Session, StoredMessage] | None:
        """Read the session and store a customer's message in it, atomically; None (and
        nothing stored) when there is no such session. A message with the same
        ``client_message_id`` whose turn never finished is reused."""

    async def finish_turn(
        self,
        session: Session,
        replies: Sequence[tuple[str, Sequence[QuickReply]]],
        *,
        at: datetime,
        prediction: Prediction | None = None,
        ticket: TicketTurn | None = None,
        article_feedback: str | None = None,
    ) -> list[StoredMessage]:
        """Store a turn's bot replies, save ``session``, log ``prediction``, write
        ``ticket``'s outcome and outbox rows and what came of the session's latest
        article answer (``article_feedback``), atomically."""

    async def messages_since(
        self, session_id: str, after_id: int | None = None
    ) -> list[StoredMessage]:
        """The session's messages with an id above ``after_id`` (all when None), oldest first."""

    async def last_messages(self, session_ids: Iterable[str]) -> dict[str, StoredMessage]:
        """The newest message of each session, for conversation lists."""

    async def get_message(self, message_id: int) -> StoredMessage | None: ...

    async def label_message(
        self,
        message_id: int,
        intent: str,
        *,
        by: str | None = None,
        at: datetime | None = None,
    ) -> StoredMessage | None:
        """Record the intent an agent confirmed on a customer message, in one
        transaction; None when there is no such customer message."""
