"""The statistics repository: what the dashboard counts and what start-up recovery looks
for, read from the conversations and the prediction log.

The rows come back as records; grouping them into days and rates is the caller's
(:mod:`chatserver.web.insight`), in Python, so SQLite and PostgreSQL give the same days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from chatserver.storage.database import Database, utc
from chatserver.storage.predictions import ARTICLE_MISSES, Prediction
from chatserver.storage.tables import messages, predictions, sessions

__all__ = ["ASKED_DETAILS", "Activity", "CustomerMessage", "SessionFigures", "Statistics"]

# What the bot asks for to find an order (chatserver.dialogue.slots.ASKS_ORDER): the
# answers to those questions are details, not messages for the label queue.
ASKED_DETAILS = ("identity", "email", "order_number", "order_choice")


@dataclass(frozen=True)
class CustomerMessage:
    session_id: str
    channel: str
    at: datetime


@dataclass(frozen=True)
class SessionFigures:
    """What the dashboard needs of a session a customer wrote in."""

    id: str
    owner: str
    escalation_reason: str | None
    tags: tuple[str, ...]


@dataclass(frozen=True)
class Activity:
    """Everything since a moment the dashboard's figures are computed from."""

    customer_messages: tuple[CustomerMessage, ...]
    sessions: tuple[SessionFigures, ...]  # with a customer message since then
    with_agent: frozenset[str]  # session ids with an agent's message since then
    predictions: tuple[Prediction, ...]  # what the model said since then
    to_label: tuple[Prediction, ...]  # newest unlabelled doubtful ones and article misses


class Statistics:
    """Read-only figures over the store (``SqlStorage.stats``)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def activity(
        self, since: datetime, *, low_confidence: float = 0.6, newest: int = 20
    ) -> Activity:
        """Customer messages, their sessions, agents' involvement and the model's
        predictions since ``since``; and the ``newest`` unlabelled predictions below
        ``low_confidence``, escalated by the model, or answered by a help-center article
        that did not help (the review queue; not one the customer said helped), to label;
        leaving out answers to the bot's own questions for an email, an order number or a
        choice of order."""
        since = utc(since)
        customer = (
            sa.select(messages.c.session_id, messages.c.created_at, sessions.c.channel)
            .join(sessions, sessions.c.id == messages.c.session_id)
            .where(messages.c.sender == "customer", messages.c.created_at >= since)
        )
        active = sa.select(messages.c.session_id).where(
            messages.c.sender == "customer", messages.c.created_at >= since
        )
        agent = sa.select(messages.c.session_id).where(
            messages.c.sender == "agent", messages.c.created_at >= since
        )
        figures = sa.select(
            sessions.c.id, sessions.c.owner, sessions.c.escalation_reason, sessions.c.tags
        ).where(sessions.c.id.in_(active))
        classified = predictions.c.classified.is_(True)
        logged = predictions.select().where(predictions.c.created_at >= since, classified)
        doubtful = (
            predictions.select()
            .where(
                classified,
                predictions.c.label.is_(None),
                sa.or_(
                    predictions.c.confidence < low_confidence,
                    predictions.c.escalate.is_(True),
                    predictions.c.article_feedback.in_(ARTICLE_MISSES),
                ),
                # an article answer the customer said helped needs nobody's review
                sa.or_(
                    predictions.c.article_feedback.is_(None),
                    predictions.c.article_feedback != "helped",
                ),
                # an answer to the bot's own question ("maria@example.com", "1007") is not
                # worth a person's time: the model was never asked to read it
                sa.or_(
                    predictions.c.awaiting.is_(None),
                    predictions.c.awaiting.not_in(ASKED_DETAILS),
                ),
            )
            .order_by(predictions.c.created_at.desc(), predictions.c.id.desc())
            .limit(newest)
        )

        def work(conn: sa.Connection) -> Activity:
            return Activity(
                customer_messages=tuple(
                    CustomerMessage(r.session_id, r.channel, utc(r.created_at))
                    for r in conn.execute(customer)
                ),
                sessions=tuple(
                    SessionFigures(r.id, r.owner, r.escalation_reason, tuple(r.tags or ()))
                    for r in conn.execute(figures)
                ),
                with_agent=frozenset(conn.scalars(agent).all()),
                predictions=tuple(Prediction.from_row(r) for r in conn.execute(logged)),
                to_label=tuple(Prediction.from_row(r) for r in conn.execute(doubtful)),
            )

        return await self._db.read(work)

    async def unanswered_chats(self, since: datetime) -> list[str]:
        """Bot-owned open chat sessions whose newest message is a customer's sent after
        ``since``: turns a stopped process left unanswered, oldest first."""
        newest = (
            sa.select(messages.c.session_id, sa.func.max(messages.c.id).label("id"))
            .group_by(messages.c.session_id)
            .subquery()
        )
        query = (
            sa.select(sessions.c.id)
            .join(newest, newest.c.session_id == sessions.c.id)
            .join(messages, messages.c.id == newest.c.id)
            .where(
                sessions.c.channel == "chat",
                sessions.c.owner == "bot",
                sessions.c.status != "closed",
                messages.c.sender == "customer",
                messages.c.created_at >= utc(since),
            )
            .order_by(messages.c.id)
        )
        return list(await self._db.read(lambda conn: conn.scalars(query).all()))
