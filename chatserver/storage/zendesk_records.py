"""The Zendesk queue's records, and the statements both the queue and a turn's
transaction run (:func:`write_ticket_turn`); see :mod:`chatserver.storage.zendesk_queue`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from chatserver.storage.database import utc
from chatserver.storage.tables import TIME, answered, events, outbox, tickets

__all__ = [
    "OutboxItem",
    "OutboxRow",
    "TicketJob",
    "TicketTurn",
    "claimable",
    "mark_processed",
    "outbox_row",
    "outbox_values",
    "touch_ticket",
    "write_ticket_turn",
]


@dataclass(frozen=True)
class TicketJob:
    """A claimed ticket: process it, then :meth:`ZendeskQueue.release_ticket`."""

    ticket_id: int
    owner: str
    attempts: int
    max_event_id: int


@dataclass(frozen=True)
class OutboxItem:
    """Something to write to a ticket, before it is stored."""

    kind: str  # reply | escalate | tag
    body: str
    answers_comment_id: int
    author_id: int | None = None
    group_id: int | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class TicketTurn:
    """What one turn on a ticket writes: the comments' outcome and what to post."""

    job: TicketJob
    comment_ids: tuple[int, ...]
    outcome: str  # replied | escalated | ignored | skipped
    items: tuple[OutboxItem, ...] = ()
    reason: str | None = None


@dataclass(frozen=True)
class OutboxRow:
    id: int
    ticket_id: int
    kind: str
    body: str
    answers_comment_id: int
    author_id: int | None
    group_id: int | None
    tags: tuple[str, ...]
    status: str
    attempts: int
    owner: str | None
    created_at: datetime
    last_error: str | None = field(default=None, compare=False)


def outbox_row(row: Any) -> OutboxRow:
    return OutboxRow(
        id=row.id, ticket_id=row.ticket_id, kind=row.kind, body=row.body,
        answers_comment_id=row.answers_comment_id, author_id=row.author_id,
        group_id=row.group_id, tags=tuple(row.tags or ()), status=row.status,
        attempts=row.attempts, owner=row.lease_owner, created_at=utc(row.created_at),
        last_error=row.last_error,
    )  # fmt: skip


def outbox_values(ticket_id: int, item: OutboxItem, now: datetime) -> dict[str, Any]:
    return {
        "ticket_id": ticket_id, "kind": item.kind, "body": item.body,
        "answers_comment_id": item.answers_comment_id, "author_id": item.author_id,
        "group_id": item.group_id, "tags": list(item.tags), "status": "pending",
        "attempts": 0, "available_at": now, "created_at": now,
    }  # fmt: skip


def mark_processed(conn: sa.Connection, job: TicketJob, now: datetime) -> None:
    conn.execute(
        events.update()
        .where(
            events.c.ticket_id == job.ticket_id,
            events.c.id <= job.max_event_id,
            events.c.processed_at.is_(None),
        )
        .values(processed_at=now)
    )


def write_ticket_turn(conn: sa.Connection, turn: TicketTurn, now: datetime) -> None:
    """Queue the turn's items, record its comments' outcome and mark the job's events
    processed, in ``conn``'s transaction.

    Raises:
        IntegrityError: a comment already had an outcome (the transaction must not commit).
    """
    now = utc(now)
    first_id: int | None = None
    for item in turn.items:
        result = conn.execute(outbox.insert(), outbox_values(turn.job.ticket_id, item, now))
        first_id = first_id or int(result.inserted_primary_key[0])
    if turn.comment_ids:
        reason = (turn.reason or "")[:64] or None
        conn.execute(
            answered.insert(),
            [
                {"ticket_id": turn.job.ticket_id, "comment_id": c, "outcome": turn.outcome,
                 "reason": reason, "outbox_id": first_id, "created_at": now}
                for c in turn.comment_ids
            ],
        )  # fmt: skip
    mark_processed(conn, turn.job, now)


def claimable(table: sa.Table, now: datetime, ready: str) -> sa.ColumnElement[bool]:
    return sa.or_(
        sa.and_(table.c.status == ready, table.c.available_at <= now),
        sa.and_(table.c.status.in_(("working", "sending")), table.c.lease_until < now),
    )


def touch_ticket(conn: sa.Connection, ticket_id: int, now: datetime) -> None:
    idle = tickets.c.status == "idle"
    result = conn.execute(
        tickets.update()
        .where(tickets.c.ticket_id == ticket_id)
        .values(
            generation=tickets.c.generation + 1,
            status=sa.case((idle, "pending"), else_=tickets.c.status),
            available_at=sa.case((idle, sa.literal(now, TIME)), else_=tickets.c.available_at),
        )
    )
    if result.rowcount == 0:
        conn.execute(
            tickets.insert().values(
                ticket_id=ticket_id, status="pending", generation=1, claimed_generation=0,
                available_at=now, attempts=0,
            )
        )  # fmt: skip
