"""The prediction log: for every customer message a turn handled, what the bot understood
and what became of it; the training data of the next model.

One row per customer message (``message_id`` is unique), written in the transaction
that stores the turn's answer (:meth:`~chatserver.storage.conversations.Conversations.
finish_turn`): the masked text, the intent, its confidence, the top of the ranking,
whether the model escalated and why, the model version (``classified`` false when a
button's payload named the intent), the turn's ``outcome`` (answered | escalated |
human: a person owned the session and the bot stayed silent), later an agent's
``label`` with its ``reviewed`` state (pending | accepted | rejected), and at session
close ``resolved``: true when the conversation ended without a person. A message the
bot answered from a help-center article keeps the article (id, title, confidence) and,
from a later turn, ``article_feedback``: helped | not_helped (the customer's Yes / No)
| handed_off (the next turn went to a person); a miss joins the review queue.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from chatserver.privacy import mask
from chatserver.storage.database import Database, utc
from chatserver.storage.records import StoredMessage
from chatserver.storage.tables import messages, predictions, sessions

__all__ = [
    "ARTICLE_FEEDBACK",
    "ARTICLE_MISSES",
    "OUTCOMES",
    "RANKING_KEPT",
    "REVIEW_STATES",
    "Prediction",
    "PredictionLog",
    "label_prediction",
    "predicted",
    "write_article_feedback",
    "write_prediction",
]

OUTCOMES = ("answered", "escalated", "human")
REVIEW_STATES = ("pending", "accepted", "rejected")
ARTICLE_FEEDBACK = ("helped", "not_helped", "handed_off")
ARTICLE_MISSES = ("not_helped", "handed_off")  # an article answer that did not help

# The columns ``Prediction.values()`` sets: what a turn writes, before any label.
_VALUES = ("message_id", "session_id", "channel", "text", "intent", "confidence", "ranking",
           "escalate", "reason", "model_version", "outcome", "escalation_reason", "created_at",
           "classified", "article_id", "article_title", "article_confidence",
           "awaiting")  # fmt: skip


@dataclass(frozen=True)
class Prediction:
    """One row of the prediction log; ``text`` is always masked."""

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
    classified: bool = True
    article_id: str | None = None  # the help-center article the bot answered with
    article_title: str | None = None
    article_confidence: float | None = None
    article_feedback: str | None = None  # ARTICLE_FEEDBACK, from a later turn
    awaiting: str | None = None  # what the bot had just asked for (email, order_number...)
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
            "created_at": utc(self.created_at),
            "classified": self.classified,
            "article_id": self.article_id,
            "article_title": self.article_title,
            "article_confidence": self.article_confidence,
            "awaiting": self.awaiting,
        }

    @classmethod
    def from_row(cls, row: sa.Row[Any]) -> Prediction:
        return cls(
            id=row.id,
            message_id=row.message_id,
            session_id=row.session_id,
            channel=row.channel,
            # masked again on the way out: rows kept before a masking rule was added get it
            text=mask(row.text),
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
            labelled_at=utc(row.labelled_at) if row.labelled_at else None,
            reviewed=row.reviewed,
            resolved=row.resolved,
            classified=bool(row.classified),
            article_id=row.article_id,
            article_title=row.article_title,
            article_confidence=row.article_confidence,
            article_feedback=row.article_feedback,
            awaiting=row.awaiting,
            created_at=utc(row.created_at),
        )


@functools.cache
def _upsert(dialect: str) -> sa.Insert:
    # Built once per dialect: building a statement per turn cost more than running it.
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(predictions)
    updated = [c for c in _VALUES if c != "message_id"]
    return insert.on_conflict_do_update(
        index_elements=[predictions.c.message_id],
        set_={name: insert.excluded[name] for name in updated},
    )


def write_prediction(conn: sa.Connection, prediction: Prediction) -> None:
    """Store a prediction in ``conn``'s transaction; a message handled again (a turn
    re-run after a crash) gets its row updated, label and review kept."""
    conn.execute(_upsert(conn.dialect.name), prediction.values())


def write_article_feedback(conn: sa.Connection, session_id: str, feedback: str) -> bool:
    """What came of the session's latest article answer, in ``conn``'s transaction; the
    first word stays (a "No" followed by a hand-off is a "No"). False when there was no
    article answer waiting for one."""
    if feedback not in ARTICLE_FEEDBACK:
        raise ValueError(f"article feedback must be one of {ARTICLE_FEEDBACK}")
    latest = (
        sa.select(sa.func.max(predictions.c.id))
        .where(predictions.c.session_id == session_id, predictions.c.article_id.is_not(None))
        .scalar_subquery()
    )
    done = conn.execute(
        predictions.update()
        .where(predictions.c.id == latest, predictions.c.article_feedback.is_(None))
        .values(article_feedback=feedback)
    )
    return bool(done.rowcount)


def label_prediction(
    conn: sa.Connection, message_id: int, intent: str, *, by: str | None, at: datetime
) -> bool:
    """An agent's intent for a customer message, pending review, in ``conn``'s
    transaction; False when there is no such customer message.

    A message no turn logged (stored before the log existed, or by a turn that never
    finished) gets its row first, masked like every other, so every label is kept.
    """
    found = conn.execute(
        sa.select(
            messages.c.session_id,
            messages.c.text,
            messages.c.created_at,
            sessions.c.channel,
            predictions.c.id.label("prediction_id"),
        )
        .join(sessions, sessions.c.id == messages.c.session_id)
        .outerjoin(predictions, predictions.c.message_id == messages.c.id)
        .where(messages.c.id == message_id, messages.c.sender == "customer")
    ).first()
    if found is None:
        return False
    label = {"label": intent, "labelled_by": by, "labelled_at": utc(at), "reviewed": "pending"}
    if found.prediction_id is None:
        row = Prediction(
            message_id=message_id,
            session_id=found.session_id,
            channel=found.channel,
            text=mask(found.text),
            intent=None,
            confidence=0.0,
            ranking=(),
            escalate=False,
            reason=None,
            model_version="unknown",
            outcome="human",
            created_at=found.created_at,
        )
        conn.execute(predictions.insert().values(**row.values(), **label))
    else:
        conn.execute(
            predictions.update().where(predictions.c.message_id == message_id).values(**label)
        )
    return True


class PredictionLog:
    """Reads and reviews the prediction log (the turn writes it, see the module doc)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(self, prediction: Prediction) -> None:
        """Store one prediction on its own (a turn stores its own with its answer)."""
        await self._db.write(lambda conn: write_prediction(conn, prediction))

    async def get(self, message_id: int) -> Prediction | None:
        query = predictions.select().where(predictions.c.message_id == message_id)
        row = await self._db.read(lambda conn: conn.execute(query).first())
        return Prediction.from_row(row) if row else None

    async def review(self, message_ids: Iterable[int], state: str) -> int:
        """Accept or reject labelled predictions; the number changed."""
        if state not in REVIEW_STATES:
            raise ValueError(f"review state must be one of {REVIEW_STATES}")
        ids = list(message_ids)
        if not ids:
            return 0
        update = (
            predictions.update()
            .where(predictions.c.message_id.in_(ids), predictions.c.label.is_not(None))
            .values(reviewed=state)
        )
        return int(await self._db.write(lambda conn: conn.execute(update).rowcount))

    async def close_session(self, session_id: str) -> bool:
        """Mark the session's predictions resolved (True) unless a person was involved."""
        involved = sa.or_(
            sa.exists().where(
                predictions.c.session_id == session_id,
                predictions.c.outcome.in_(("escalated", "human")),
            ),
            sa.exists().where(messages.c.session_id == session_id, messages.c.sender == "agent"),
        )

        def work(conn: sa.Connection) -> bool:
            human = bool(conn.execute(sa.select(involved)).scalar())
            conn.execute(
                predictions.update()
                .where(predictions.c.session_id == session_id)
                .values(resolved=not human)
            )
            return not human

        return await self._db.write(work)

    async def labelled(self, states: Sequence[str] = REVIEW_STATES) -> list[Prediction]:
        """Labelled predictions in these review states, oldest first."""
        query = (
            predictions.select()
            .where(predictions.c.label.is_not(None), predictions.c.reviewed.in_(list(states)))
            .order_by(predictions.c.id)
        )
        rows = await self._db.read(lambda conn: conn.execute(query).all())
        return [Prediction.from_row(r) for r in rows]


RANKING_KEPT = 3


def predicted(
    message: StoredMessage,
    *,
    channel: str,
    intent: str | None,
    confidence: float,
    ranking: Sequence[tuple[str, float]],
    escalate: bool,
    reason: str | None,
    model_version: str,
    outcome: str,
    escalation_reason: str | None = None,
    classified: bool = True,
    awaiting: str | None = None,
) -> Prediction:
    """The prediction row of one customer message and its turn (text masked)."""
    return Prediction(
        message_id=message.id,
        session_id=message.session_id,
        channel=channel,
        text=mask(message.text),
        intent=intent,
        confidence=confidence,
        ranking=tuple(ranking)[:RANKING_KEPT],
        escalate=escalate,
        reason=reason,
        model_version=model_version,
        outcome=outcome,
        escalation_reason=escalation_reason,
        created_at=message.ts,
        classified=classified,
        awaiting=awaiting,
    )
