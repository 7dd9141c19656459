"""The conversations repository: sessions, their messages, and a turn's two transactions.

A customer turn is written twice: :meth:`Conversations.start_turn` stores the message
before the turn runs (so a crash leaves it to answer), and :meth:`Conversations.
finish_turn` stores everything the turn produced in ONE transaction: the bot's replies,
the session state they leave, the message's prediction row and, for an e-mail turn, the
ticket's outbox row and the "comments handled" marks. So a turn is either finished
whole or not at all; a customer message without a prediction row is a turn that did
not finish, and running it again (same ``client_message_id``) reuses the message.

Messages keep only what was said; read back, a customer message carries the intent,
confidence and label of its prediction row.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from chatserver.dialogue.state import DialogueState
from chatserver.storage.database import Database, utc
from chatserver.storage.errors import TurnTaken
from chatserver.storage.group_commit import GroupCommit
from chatserver.storage.predictions import (
    Prediction,
    label_prediction,
    write_article_feedback,
    write_prediction,
)
from chatserver.storage.records import QuickReply, Session, StoredMessage
from chatserver.storage.tables import messages, predictions, sessions
from chatserver.storage.zendesk_records import TicketTurn, write_ticket_turn

__all__ = ["Conversations"]

log = logging.getLogger(__name__)

# The statements of a turn, built once: values come as execute() parameters, so
# SQLAlchemy compiles each once and a turn does not pay for building and cache-keying.
_SESSION = sessions.select().where(sessions.c.id == sa.bindparam("b_id"))
_UPDATE_SESSION = sessions.update().where(sessions.c.id == sa.bindparam("b_id"))
_INSERT_MESSAGE = messages.insert()
_INSERT_MESSAGES = messages.insert().returning(messages.c.id, sort_by_parameter_order=True)
# A message as read back: what was said, and what its prediction row says of it.
_MESSAGES = sa.select(
    messages, predictions.c.intent, predictions.c.confidence, predictions.c.label
).select_from(messages.outerjoin(predictions, predictions.c.message_id == messages.c.id))
# A customer message with this client id whose turn never finished (no prediction row).
_UNFINISHED = (
    sa.select(messages.c.id, messages.c.text, messages.c.created_at)
    .where(
        messages.c.session_id == sa.bindparam("b_session"),
        messages.c.sender == "customer",
        messages.c.client_message_id == sa.bindparam("b_client"),
        ~sa.exists().where(predictions.c.message_id == messages.c.id),
    )
    .order_by(messages.c.id.desc())
    .limit(1)
)


def _session_values(s: Session) -> dict[str, Any]:
    return {
        "channel": s.channel,
        "external_ref": s.external_ref,
        "owner": s.owner,
        "status": s.status,
        "agent": s.agent,
        "state": s.state.to_json(),
        "slots": asdict(s.state.slots),
        "escalation_reason": s.escalation_reason,
        "summary": s.summary,
        "customer_email": s.customer_email,
        "order_name": s.order,
        "tags": list(s.tags),
        "created_at": utc(s.created_at),
        "updated_at": utc(s.updated_at),
    }


def _session(row: sa.Row[Any]) -> Session:
    return Session(
        id=row.id,
        channel=row.channel,
        external_ref=row.external_ref,
        owner=row.owner,
        status=row.status,
        agent=row.agent,
        state=DialogueState.from_json(row.state),
        escalation_reason=row.escalation_reason,
        summary=row.summary or "",
        customer_email=row.customer_email,
        order=row.order_name,
        tags=tuple(row.tags or ()),
        created_at=utc(row.created_at),
        updated_at=utc(row.updated_at),
    )


def _message(row: sa.Row[Any]) -> StoredMessage:
    return StoredMessage(
        id=row.id,
        session_id=row.session_id,
        ts=utc(row.created_at),
        sender=row.sender,
        text=row.text,
        quick_replies=tuple(QuickReply(q["title"], q["payload"]) for q in row.quick_replies or ()),
        intent=row.intent,
        confidence=row.confidence,
        client_message_id=row.client_message_id,
        agent_name=row.agent_name,
        label=row.label,
    )


def _message_values(
    session_id: str,
    sender: str,
    text: str,
    *,
    at: datetime,
    quick_replies: Sequence[QuickReply] = (),
    client_message_id: str | None = None,
    agent_name: str | None = None,
) -> dict[str, Any]:
    return {
        "session_id": session_id,
        "sender": sender,
        "text": text,
        "quick_replies": [asdict(q) for q in quick_replies] or None,
        "client_message_id": client_message_id,
        "agent_name": agent_name,
        "created_at": utc(at),
    }


def _stored(message_id: int, values: dict[str, Any], **understood: Any) -> StoredMessage:
    return StoredMessage(
        id=message_id,
        session_id=values["session_id"],
        ts=values["created_at"],
        sender=values["sender"],
        text=values["text"],
        quick_replies=tuple(QuickReply(**q) for q in values["quick_replies"] or ()),
        client_message_id=values["client_message_id"],
        agent_name=values["agent_name"],
        **understood,
    )


class Conversations:
    """Sessions and messages (the ``Storage`` protocol the service talks to)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        # A chat turn's two writes join the other sessions' writes of the same loop
        # tick in one transaction (storage.group_commit); each caller still waits for
        # the commit.
        self.group_commit = GroupCommit(db)

    # --- sessions -----------------------------------------------------------

    async def create_session(self, session: Session) -> None:
        values = {"id": session.id, **_session_values(session)}
        await self._db.write(lambda conn: conn.execute(sessions.insert(), values))

    async def get_session(self, session_id: str) -> Session | None:
        row = await self._db.read(lambda c: c.execute(_SESSION, {"b_id": session_id}).first())
        return _session(row) if row else None

    async def find_session(self, channel: str, external_ref: str) -> Session | None:
        """The newest session of ``channel`` with that external reference (e.g. ticket id)."""
        query = (
            sessions.select()
            .where(sessions.c.channel == channel, sessions.c.external_ref == external_ref)
            .order_by(sessions.c.created_at.desc())
            .limit(1)
        )
        row = await self._db.read(lambda conn: conn.execute(query).first())
        return _session(row) if row else None

    async def save_session(self, session: Session) -> None:
        values = {"b_id": session.id, **_session_values(session)}
        await self._db.write(lambda conn: conn.execute(_UPDATE_SESSION, values))

    async def list_sessions(self, statuses: Iterable[str] | None = None) -> list[Session]:
        """Sessions (all, or in these statuses), most recently updated first."""
        query = sessions.select().order_by(sessions.c.updated_at.desc())
        if statuses is not None:
            query = query.where(sessions.c.status.in_(list(statuses)))
        rows = await self._db.read(lambda conn: conn.execute(query).all())
        return [_session(r) for r in rows]

    # --- messages -----------------------------------------------------------

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
    ) -> StoredMessage:
        """Store a message outside a turn (an agent's, a note, a system line)."""
        values = _message_values(
            session_id, sender, text, at=at, quick_replies=quick_replies,
            client_message_id=client_message_id, agent_name=agent_name,
        )  # fmt: skip
        message_id = await self._db.write(
            lambda conn: conn.execute(_INSERT_MESSAGE, values).inserted_primary_key[0]
        )
        return _stored(message_id, values)

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
        """Read the session and store the customer's message in it, in one transaction;
        None, and nothing stored, when there is no such session.

        A message with this ``client_message_id`` whose turn never finished (the process
        died) is the same message sent again: it is reused, with ``text`` as its words
        now (an e-mail turn may take in a comment that arrived meanwhile), and the turn
        runs again on it. ``intent`` and ``confidence`` are what the returned message
        shows; the turn's prediction row stores them.
        """
        values = _message_values(
            session_id, "customer", text, at=at, client_message_id=client_message_id
        )

        def work(conn: sa.Connection) -> tuple[sa.Row[Any], int, datetime, bool] | None:
            row = conn.execute(_SESSION, {"b_id": session_id}).first()
            if row is None:
                return None
            if client_message_id is not None:
                again = conn.execute(
                    _UNFINISHED, {"b_session": session_id, "b_client": client_message_id}
                ).first()
                if again is not None:
                    if again.text != text:
                        conn.execute(
                            messages.update().where(messages.c.id == again.id).values(text=text)
                        )
                    return row, again.id, utc(again.created_at), True
            return row, conn.execute(_INSERT_MESSAGE, values).inserted_primary_key[0], at, False

        done = await self.group_commit.write(work)
        if done is None:
            return None
        row, message_id, when, again = done
        if again:
            log.info("message %s: its turn did not finish; running it again", message_id)
        stored = _stored(message_id, {**values, "created_at": utc(when)}, intent=intent,
                         confidence=confidence)  # fmt: skip
        return _session(row), stored

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
        """Store a turn's bot replies, the session they leave, the turn's prediction and,
        for an e-mail turn, what goes to the ticket (``ticket``), in one transaction;
        ``article_feedback`` is what came of the session's latest article answer.

        Either the whole answer is stored or none of it: a process that dies mid-turn
        leaves the customer's message unanswered, for the turn to run again.

        Raises:
            TurnTaken: a comment of ``ticket`` already had an outcome (another worker
                answered it first); nothing was stored.
        """
        rows = [
            _message_values(session.id, "bot", text, at=at, quick_replies=quick_replies)
            for text, quick_replies in replies
        ]
        session_values = {"b_id": session.id, **_session_values(session)}
        now = utc(at)

        def work(conn: sa.Connection) -> Sequence[int]:
            ids: Sequence[int] = ()
            if rows:
                # One INSERT ... RETURNING for all the replies, ids in the rows' order.
                ids = conn.execute(_INSERT_MESSAGES, rows).scalars().all()
            conn.execute(_UPDATE_SESSION, session_values)
            if prediction is not None:
                write_prediction(conn, prediction)
            if article_feedback is not None:
                write_article_feedback(conn, session.id, article_feedback)
            if ticket is not None:
                write_ticket_turn(conn, ticket, now)
            return ids

        try:
            # An e-mail turn's TurnTaken is its own failure: not in a shared transaction.
            ids = await (self._db.write(work) if ticket else self.group_commit.write(work))
        except IntegrityError as exc:
            if ticket is None:
                raise
            raise TurnTaken(f"ticket {ticket.job.ticket_id}: comments already handled") from exc
        return [_stored(i, values) for i, values in zip(ids, rows, strict=True)]

    async def messages_since(
        self, session_id: str, after_id: int | None = None
    ) -> list[StoredMessage]:
        """The session's messages with an id above ``after_id`` (all when None), oldest first."""
        query = _MESSAGES.where(messages.c.session_id == session_id)
        if after_id is not None:
            query = query.where(messages.c.id > after_id)
        rows = await self._db.read(lambda conn: conn.execute(query.order_by(messages.c.id)).all())
        return [_message(r) for r in rows]

    async def last_messages(self, session_ids: Iterable[str]) -> dict[str, StoredMessage]:
        """The newest message of each session, for conversation lists."""
        ids = list(session_ids)
        if not ids:
            return {}
        newest = (
            sa.select(sa.func.max(messages.c.id))
            .where(messages.c.session_id.in_(ids))
            .group_by(messages.c.session_id)
        )
        query = _MESSAGES.where(messages.c.id.in_(newest))
        rows = await self._db.read(lambda conn: conn.execute(query).all())
        return {r.session_id: _message(r) for r in rows}

    async def get_message(self, message_id: int) -> StoredMessage | None:
        query = _MESSAGES.where(messages.c.id == message_id)
        row = await self._db.read(lambda conn: conn.execute(query).first())
        return _message(row) if row else None

    async def label_message(
        self,
        message_id: int,
        intent: str,
        *,
        by: str | None = None,
        at: datetime | None = None,
    ) -> StoredMessage | None:
        """Record the intent an agent confirmed on a customer message, pending review, in
        one transaction; None when there is no such customer message."""
        when = at or datetime.now(UTC)
        query = _MESSAGES.where(messages.c.id == message_id)

        def work(conn: sa.Connection) -> sa.Row[Any] | None:
            if not label_prediction(conn, message_id, intent, by=by, at=when):
                return None
            return conn.execute(query).first()

        row = await self._db.write(work)
        return _message(row) if row else None
