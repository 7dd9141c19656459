"""The Zendesk channel's durable state: inbound events, a per-ticket work queue, the
comments already dealt with, and the reply outbox.

``zendesk_events``    every accepted webhook; ``dedupe_key`` (ticket:comment) is unique,
                      so a redelivered event is stored once.
``zendesk_tickets``   one row per ticket: the unit of work. A webhook bumps
                      ``generation`` and makes the row ``pending``; a worker claims it
                      with a compare-and-set UPDATE (lease with expiry), and on release
                      it goes back to ``pending`` if an event arrived meanwhile.
``zendesk_answered``  (ticket_id, comment_id) primary key: a customer comment gets one
                      outcome (replied, escalated, ignored, skipped), ever.
``zendesk_outbox``    what to write to Zendesk, sent in id order per ticket, claimed with
                      the same compare-and-set + lease, retried with backoff.

Answered rows, outbox rows and "events processed" are written in ONE transaction
(:meth:`ZendeskQueue.commit_turn`). Times used for scheduling are Unix seconds
(floats), which compare the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from chatserver.storage.zendesk_tables import answered, create_tables, events, outbox, tickets

__all__ = [
    "OutboxItem",
    "OutboxRow",
    "TicketJob",
    "ZendeskQueue",
    "answered",
    "create_tables",
    "events",
    "outbox",
    "tickets",
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
    created_ts: float
    last_error: str | None = field(default=None, compare=False)


def _outbox_row(row: Any) -> OutboxRow:
    return OutboxRow(
        id=row.id, ticket_id=row.ticket_id, kind=row.kind, body=row.body,
        answers_comment_id=row.answers_comment_id, author_id=row.author_id,
        group_id=row.group_id, tags=tuple(row.tags or ()), status=row.status,
        attempts=row.attempts, owner=row.lease_owner, created_ts=row.created_ts,
        last_error=row.last_error,
    )  # fmt: skip


class ZendeskQueue:
    """The channel's tables in the server's one database.

    Args:
        engine: the storage's engine (``SqlStorage.engine``), already migrated.
        clock: Unix seconds; tests pass their own.
    """

    def __init__(self, engine: AsyncEngine, *, clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self.clock = clock

    # --- inbound ----------------------------------------------------------------

    async def record_event(
        self,
        ticket_id: int,
        comment_id: int | None,
        event: str,
        invocation_id: str | None,
        body: str,
    ) -> bool:
        """Store a webhook and mark its ticket as having work; False for a duplicate."""
        if comment_id is not None:
            key = f"{ticket_id}:{comment_id}"
        else:  # the template broke: nothing to dedupe on, and the API is the truth anyway
            key = f"{ticket_id}:?:{invocation_id or uuid.uuid4().hex}"
        now = self.clock()
        for _ in range(3):
            try:
                async with self.engine.begin() as conn:
                    await conn.execute(
                        events.insert().values(
                            ticket_id=ticket_id, comment_id=comment_id, event=event[:32],
                            invocation_id=(invocation_id or "")[:128] or None,
                            dedupe_key=key, body=body, received_ts=now,
                        )
                    )  # fmt: skip
                    await self._touch_ticket(conn, ticket_id, now)
                return True
            except IntegrityError:
                async with self.engine.connect() as conn:
                    seen = await conn.scalar(
                        sa.select(events.c.id).where(events.c.dedupe_key == key)
                    )
                if seen is not None:
                    return False
                # two first events of one ticket raced to insert its row: try again
        raise RuntimeError(f"could not enqueue ticket {ticket_id}")

    async def _touch_ticket(self, conn: sa.AsyncConnection, ticket_id: int, now: float) -> None:
        idle = tickets.c.status == "idle"
        result = await conn.execute(
            tickets.update()
            .where(tickets.c.ticket_id == ticket_id)
            .values(
                generation=tickets.c.generation + 1,
                status=sa.case((idle, "pending"), else_=tickets.c.status),
                available_ts=sa.case((idle, now), else_=tickets.c.available_ts),
            )
        )
        if result.rowcount == 0:
            await conn.execute(
                tickets.insert().values(
                    ticket_id=ticket_id, status="pending", generation=1, claimed_generation=0,
                    available_ts=now, attempts=0,
                )
            )  # fmt: skip

    def _claimable(self, table: sa.Table, now: float, ready: str) -> sa.ColumnElement[bool]:
        return sa.or_(
            sa.and_(table.c.status == ready, table.c.available_ts <= now),
            sa.and_(table.c.status.in_(("working", "sending")), table.c.lease_until < now),
        )

    async def claim_ticket(self, owner: str, lease_seconds: float) -> TicketJob | None:
        """Take one ticket with work (or whose lease expired) for ``lease_seconds``."""
        now = self.clock()
        async with self.engine.connect() as conn:
            ids = (
                await conn.scalars(
                    sa.select(tickets.c.ticket_id)
                    .where(self._claimable(tickets, now, "pending"))
                    .order_by(tickets.c.available_ts)
                    .limit(8)
                )
            ).all()
        for ticket_id in ids:
            async with self.engine.begin() as conn:
                # Compare-and-set: of several workers or processes, one updates the row.
                result = await conn.execute(
                    tickets.update()
                    .where(tickets.c.ticket_id == ticket_id, self._claimable(tickets, now, "pending"))
                    .values(
                        status="working", lease_owner=owner, lease_until=now + lease_seconds,
                        claimed_generation=tickets.c.generation, attempts=tickets.c.attempts + 1,
                    )
                )  # fmt: skip
                if result.rowcount != 1:
                    continue
                attempts = await conn.scalar(
                    sa.select(tickets.c.attempts).where(tickets.c.ticket_id == ticket_id)
                )
                max_event = await conn.scalar(
                    sa.select(sa.func.max(events.c.id)).where(events.c.ticket_id == ticket_id)
                )
            return TicketJob(ticket_id, owner, int(attempts or 1), int(max_event or 0))
        return None

    async def release_ticket(
        self, job: TicketJob, *, retry_in: float | None = None, error: str | None = None
    ) -> None:
        """Done with the ticket (``retry_in`` None), or try it again after ``retry_in`` s."""
        now = self.clock()
        mine = sa.and_(tickets.c.ticket_id == job.ticket_id, tickets.c.lease_owner == job.owner)
        async with self.engine.begin() as conn:
            if retry_in is None:
                again = tickets.c.generation != tickets.c.claimed_generation
                await conn.execute(
                    tickets.update()
                    .where(mine)
                    .values(
                        status=sa.case((again, "pending"), else_="idle"), lease_owner=None,
                        lease_until=None, available_ts=now, attempts=0, last_error=None,
                    )
                )  # fmt: skip
                await self._mark_processed(conn, job, now)
            else:
                await conn.execute(
                    tickets.update()
                    .where(mine)
                    .values(status="pending", lease_owner=None, lease_until=None,
                            available_ts=now + retry_in, last_error=(error or "")[:2000])
                )  # fmt: skip

    async def _mark_processed(self, conn: sa.AsyncConnection, job: TicketJob, now: float) -> None:
        await conn.execute(
            events.update()
            .where(
                events.c.ticket_id == job.ticket_id,
                events.c.id <= job.max_event_id,
                events.c.processed_ts.is_(None),
            )
            .values(processed_ts=now)
        )

    async def event_comment_ids(self, job: TicketJob) -> list[int]:
        """Comment ids the job's unprocessed events named (when the API cannot be read)."""
        async with self.engine.connect() as conn:
            rows = await conn.scalars(
                sa.select(events.c.comment_id)
                .where(
                    events.c.ticket_id == job.ticket_id,
                    events.c.id <= job.max_event_id,
                    events.c.processed_ts.is_(None),
                    events.c.comment_id.is_not(None),
                )
                .order_by(events.c.comment_id)
            )
            handled = await self.handled_comments(job.ticket_id)
            return [c for c in dict.fromkeys(rows.all()) if c not in handled]

    async def handled_comments(self, ticket_id: int) -> set[int]:
        async with self.engine.connect() as conn:
            rows = await conn.scalars(
                sa.select(answered.c.comment_id).where(answered.c.ticket_id == ticket_id)
            )
            return set(rows.all())

    async def replies_since(self, ticket_id: int, since: float) -> int:
        """Public replies queued for the ticket since ``since`` (the per-hour cap)."""
        async with self.engine.connect() as conn:
            count = await conn.scalar(
                sa.select(sa.func.count())
                .select_from(outbox)
                .where(
                    outbox.c.ticket_id == ticket_id,
                    outbox.c.kind == "reply",
                    outbox.c.created_ts >= since,
                )
            )
        return int(count or 0)

    async def commit_turn(
        self,
        job: TicketJob,
        comment_ids: Sequence[int],
        outcome: str,
        items: Sequence[OutboxItem] = (),
        *,
        reason: str | None = None,
    ) -> bool:
        """Record the comments' outcome, queue what to write and mark the ticket's events
        processed, all in one transaction. False if any comment already had an outcome
        (another worker got there first): then nothing is written."""
        now = self.clock()
        try:
            async with self.engine.begin() as conn:
                first_id: int | None = None
                for item in items:
                    result = await conn.execute(
                        outbox.insert().values(
                            ticket_id=job.ticket_id, kind=item.kind, body=item.body,
                            answers_comment_id=item.answers_comment_id, author_id=item.author_id,
                            group_id=item.group_id, tags=list(item.tags), status="pending",
                            attempts=0, available_ts=now, created_ts=now,
                        )
                    )  # fmt: skip
                    first_id = first_id or int(result.inserted_primary_key[0])
                await conn.execute(
                    answered.insert(),
                    [
                        {"ticket_id": job.ticket_id, "comment_id": c, "outcome": outcome,
                         "reason": (reason or "")[:64] or None, "outbox_id": first_id,
                         "created_ts": now}
                        for c in comment_ids
                    ],
                )  # fmt: skip
                await self._mark_processed(conn, job, now)
        except IntegrityError:
            return False
        return True

    # --- outbox -----------------------------------------------------------------

    async def claim_outbox(self, owner: str, lease_seconds: float) -> OutboxRow | None:
        """Take the oldest unsent row of some ticket, if it is due (per-ticket order)."""
        now = self.clock()
        unsent = outbox.c.status.in_(("pending", "sending"))
        heads = sa.select(sa.func.min(outbox.c.id)).where(unsent).group_by(outbox.c.ticket_id)
        async with self.engine.connect() as conn:
            ids = (
                await conn.scalars(
                    sa.select(outbox.c.id)
                    .where(outbox.c.id.in_(heads), self._claimable(outbox, now, "pending"))
                    .order_by(outbox.c.id)
                    .limit(8)
                )
            ).all()
        for row_id in ids:
            async with self.engine.begin() as conn:
                result = await conn.execute(
                    outbox.update()
                    .where(outbox.c.id == row_id, self._claimable(outbox, now, "pending"))
                    .values(status="sending", lease_owner=owner, lease_until=now + lease_seconds,
                            attempts=outbox.c.attempts + 1)
                )  # fmt: skip
                if result.rowcount != 1:
                    continue
                row = (await conn.execute(outbox.select().where(outbox.c.id == row_id))).one()
            return _outbox_row(row)
        return None

    async def sent_before(self, row: OutboxRow) -> list[OutboxRow]:
        """The ticket's rows sent before ``row``, oldest first (for reconciling)."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                outbox.select()
                .where(
                    outbox.c.ticket_id == row.ticket_id,
                    outbox.c.id < row.id,
                    outbox.c.status == "sent",
                )
                .order_by(outbox.c.id)
            )
            return [_outbox_row(r) for r in rows]

    async def finish_outbox(
        self, row: OutboxRow, status: str, *, error: str | None = None,
        retry_in: float | None = None, then: OutboxItem | None = None,
    ) -> bool:  # fmt: skip
        """Mark a claimed row sent / failed, or pending again after ``retry_in`` seconds.
        ``then`` queues a follow-up row (e.g. an escalation after giving up) in the same
        transaction. False if the lease was lost meanwhile."""
        now = self.clock()
        values: dict[str, Any] = {"status": status, "lease_owner": None, "lease_until": None}
        if error is not None:
            values["last_error"] = error[:2000]
        if status == "sent":
            values["sent_ts"] = now
        if retry_in is not None:
            values["available_ts"] = now + retry_in
        async with self.engine.begin() as conn:
            result = await conn.execute(
                outbox.update()
                .where(outbox.c.id == row.id, outbox.c.lease_owner == row.owner)
                .values(**values)
            )
            if result.rowcount != 1:
                return False
            if then is not None:
                await conn.execute(
                    outbox.insert().values(
                        ticket_id=row.ticket_id, kind=then.kind, body=then.body,
                        answers_comment_id=then.answers_comment_id, author_id=then.author_id,
                        group_id=then.group_id, tags=list(then.tags), status="pending",
                        attempts=0, available_ts=now, created_ts=now,
                    )
                )  # fmt: skip
        return True

    async def outbox_rows(self, ticket_id: int | None = None) -> list[OutboxRow]:
        """Every outbox row (of one ticket), oldest first: for tests and operators."""
        query = outbox.select().order_by(outbox.c.id)
        if ticket_id is not None:
            query = query.where(outbox.c.ticket_id == ticket_id)
        async with self.engine.connect() as conn:
            return [_outbox_row(r) for r in await conn.execute(query)]

    async def pending_work(self) -> int:
        """Tickets and outbox rows not finished yet (0 when the channel is idle)."""
        async with self.engine.connect() as conn:
            busy = await conn.scalar(
                sa.select(sa.func.count()).select_from(tickets).where(tickets.c.status != "idle")
            )
            unsent = await conn.scalar(
                sa.select(sa.func.count())
                .select_from(outbox)
                .where(outbox.c.status.in_(("pending", "sending")))
            )
        return int(busy or 0) + int(unsent or 0)
