"""The prediction log: every classified customer message, what the model said, and what
became of it; the training data of the next model.

One row per customer message (``message_id`` is unique): the masked text, the intent,
its confidence, the top of the ranking, whether the model escalated and why, the model
version, the turn's ``outcome`` (answered | escalated | human: a person owned the
session and the bot stayed silent), later an agent's ``label`` with its ``reviewed``
state (pending | accepted | rejected), and at session close ``resolved``: true when the
conversation ended without a person.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from chatserver.storage.reconnect import reconnecting
from chatserver.storage.schema import messages, metadata

__all__ = [
    "OUTCOMES",
    "REVIEW_STATES",
    "Prediction",
    "PredictionStore",
    "create_tables",
    "prediction_upsert",
    "predictions",
]

OUTCOMES = ("answered", "escalated", "human")
REVIEW_STATES = ("pending", "accepted", "rejected")

predictions = sa.Table(
    "predictions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("message_id", sa.Integer, sa.ForeignKey("messages.id"), nullable=False, unique=True),
    sa.Column("session_id", sa.String(64), nullable=False, index=True),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("text", sa.Text, nullable=False),  # masked (chatserver.learning.privacy)
    sa.Column("intent", sa.String(64)),
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Column("ranking", sa.JSON, nullable=False),  # [[intent, p], ...] top 3
    sa.Column("escalate", sa.Boolean, nullable=False),
    sa.Column("reason", sa.String(32)),  # the model's reason to escalate
    sa.Column("model_version", sa.String(128), nullable=False),
    sa.Column("outcome", sa.String(12), nullable=False),
    sa.Column("escalation_reason", sa.String(64)),  # the hand-off's reason
    sa.Column("label", sa.String(64)),
    sa.Column("labelled_by", sa.String(128)),
    sa.Column("labelled_at", sa.DateTime(timezone=True)),
    sa.Column("reviewed", sa.String(12)),  # pending | accepted | rejected, once labelled
    sa.Column("resolved", sa.Boolean),  # set at session close
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_predictions_created", "created_at"),
    sa.Index("ix_predictions_reviewed", "reviewed"),
    sqlite_autoincrement=True,
)


def create_tables(conn: sa.Connection) -> None:
    """Migration 3 (see :mod:`chatserver.storage.schema`)."""
    metadata.create_all(conn, tables=[predictions])


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# The columns ``Prediction.values()`` sets: what a turn writes, before any label.
_VALUES = ("message_id", "session_id", "channel", "text", "intent", "confidence", "ranking",
           "escalate", "reason", "model_version", "outcome", "escalation_reason", "created_at")  # fmt: skip


@dataclass(frozen=True)
class Prediction:
    """One row of the prediction log."""

    message_id: int
    session_id: str
    channel: str
    text: str
    intent: str | None
    confidence: float
    ranking: tuple[tuple[str, float], ...]
    escalate: bool
    reason: str | None
    model_version: str
    outcome: str
    created_at: datetime
    escalation_reason: str | None = None
    label: str | None = None
    labelled_by: str | None = None
    labelled_at: datetime | None = None
    reviewed: str | None = None
    resolved: bool | None = None
    id: int | None = None

    def values(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "session_id": self.session_id,
            "channel": self.channel,
            "text": self.text,
            "intent": self.intent,
            "confidence": self.confidence,
            "ranking": [[i, p] for i, p in self.ranking],
            "escalate": self.escalate,
            "reason": self.reason,
            "model_version": self.model_version,
            "outcome": self.outcome,
            "escalation_reason": self.escalation_reason,
            "created_at": _utc(self.created_at),
        }

    @classmethod
    def from_row(cls, row: sa.Row[Any]) -> Prediction:
        return cls(
            id=row.id,
            message_id=row.message_id,
            session_id=row.session_id,
            channel=row.channel,
            text=row.text,
            intent=row.intent,
            confidence=row.confidence,
            ranking=tuple((str(i), float(p)) for i, p in row.ranking or ()),
            escalate=bool(row.escalate),
            reason=row.reason,
            model_version=row.model_version,
            outcome=row.outcome,
            escalation_reason=row.escalation_reason,
            label=row.label,
            labelled_by=row.labelled_by,
            labelled_at=_utc(row.labelled_at) if row.labelled_at else None,
            reviewed=row.reviewed,
            resolved=row.resolved,
            created_at=_utc(row.created_at),
        )


@functools.cache
def prediction_upsert(dialect: str) -> sa.Insert:
    """The statement that stores a prediction (its ``values()`` as parameters); a message
    classified again (a recovered turn) gets its row updated, label and review kept.

    Built once per dialect (postgresql or sqlite): building a statement per turn cost
    more than running it.
    """
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(predictions)
    updated = [c for c in _VALUES if c != "message_id"]
    return insert.on_conflict_do_update(
        index_elements=[predictions.c.message_id],
        set_={name: insert.excluded[name] for name in updated},
    )


class PredictionStore:
    """Reads and writes the ``predictions`` table of a started store's engine."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @reconnecting
    async def record(self, prediction: Prediction) -> None:
        """Store a prediction; a message classified again (a recovered turn) is updated."""
        async with self.engine.begin() as conn:
            await conn.execute(prediction_upsert(self.engine.dialect.name), prediction.values())

    @reconnecting
    async def get(self, message_id: int) -> Prediction | None:
        query = predictions.select().where(predictions.c.message_id == message_id)
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return Prediction.from_row(row) if row else None

    @reconnecting
    async def label(self, message_id: int, intent: str, *, by: str | None, at: datetime) -> bool:
        """An agent's intent for the message, queued for review; False when not logged."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                predictions.update()
                .where(predictions.c.message_id == message_id)
                .values(label=intent, labelled_by=by, labelled_at=_utc(at), reviewed="pending")
            )
        return bool(result.rowcount)

    @reconnecting
    async def review(self, message_ids: Iterable[int], state: str) -> int:
        """Accept or reject labelled predictions; the number changed."""
        if state not in REVIEW_STATES:
            raise ValueError(f"review state must be one of {REVIEW_STATES}")
        ids = list(message_ids)
        if not ids:
            return 0
        async with self.engine.begin() as conn:
            result = await conn.execute(
                predictions.update()
                .where(predictions.c.message_id.in_(ids), predictions.c.label.is_not(None))
                .values(reviewed=state)
            )
        return int(result.rowcount)

    @reconnecting
    async def close_session(self, session_id: str) -> bool:
        """Mark the session's predictions resolved (True) unless a person was involved."""
        involved = sa.or_(
            sa.exists().where(
                predictions.c.session_id == session_id,
                predictions.c.outcome.in_(("escalated", "human")),
            ),
            sa.exists().where(messages.c.session_id == session_id, messages.c.sender == "agent"),
        )
        async with self.engine.begin() as conn:
            human = bool((await conn.execute(sa.select(involved))).scalar())
            await conn.execute(
                predictions.update()
                .where(predictions.c.session_id == session_id)
                .values(resolved=not human)
            )
        return not human

    @reconnecting
    async def labelled(self, states: Sequence[str] = REVIEW_STATES) -> list[Prediction]:
        """Labelled predictions in these review states, oldest first."""
        query = (
            predictions.select()
            .where(predictions.c.label.is_not(None), predictions.c.reviewed.in_(list(states)))
            .order_by(predictions.c.id)
        )
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [Prediction.from_row(r) for r in rows]
