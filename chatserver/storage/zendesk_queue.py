"""The Zendesk channel's durable state: inbound events, a per-ticket work queue, the
comments already dealt with, and the reply outbox (tables in :mod:`chatserver.storage.tables`).

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

Answered rows, outbox rows and "events processed" are written in ONE transaction: with
the turn's answer (a :class:`TicketTurn` given to ``finish_turn``), or on their own
(:meth:`ZendeskQueue.commit_turn`) when no turn runs. Every time is an aware timestamp
the caller passes (``now``): the channel's clock, which tests replace.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from chatserver.storage.database import Database, utc
from chatserver.storage.tables import TIME, answered, events, outbox, tickets
from chatserver.storage.zendesk_records import (
    OutboxItem,
    OutboxRow,
    TicketJob,
    TicketTurn,
    claimable,
    mark_processed,
    outbox_row,
    outbox_values,
    touch_ticket,
    write_ticket_turn,
)

__all__ = [
    "OutboxItem",
    "OutboxRow",
    "TicketJob",
    "TicketTurn",
    "ZendeskQueue",
    "write_ticket_turn",
]


class ZendeskQueue:
    """The channel's tables in the server's one database (``SqlStorage.zendesk``)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # --- inbound ----------------------------------------------------------------

    async def record_event(
        self,
        ticket_id: int,
        comment_id: int | None,
        event: str,
        invocation_id: str | None,
        body: str,
        *,
        now: datetime,
    ) -> bool:
        """Store a webhook and mark its ticket as having work; False for a duplicate."""
        if comment_id is not None:
            key = f"{ticket_id}:{comment_id}"
        else:  # the template broke: nothing to dedupe on, and the API is the truth anyway
            key = f"{ticket_id}:?:{invocation_id or uuid.uuid4().hex}"
        now = utc(now)
        values = {
            "ticket_id": ticket_id, "comment_id": comment_id, "event": event[:32],
            "invocation_id": (invocation_id or "")[:128] or None, "dedupe_key": key,
            "body": body, "received_at": now,
        }  # fmt: skip

        def store(conn: sa.Connection) -> None:
            conn.execute(events.insert(), values)
            touch_ticket(conn, ticket_id, now)

        seen = sa.select(events.c.id).where(events.c.dedupe_key == key)
        for _ in range(3):
            try:
                await self._db.write(store)
                return True
            except IntegrityError:
                if await self._db.read(lambda conn: conn.scalar(seen)) is not None:
                    return False
                # two first events of one ticket raced to insert its row: try again
        raise RuntimeError(f"could not enqueue ticket {ticket_id}")

    async def claim_ticket(
        self, owner: str, lease_seconds: float, *, now: datetime
    ) -> TicketJob | None:
        """Take one ticket with work (or whose lease expired) for ``lease_seconds``."""
        now = utc(now)
        due = (
            sa.select(tickets.c.ticket_id)
            .where(claimable(tickets, now, "pending"))
            .order_by(tickets.c.available_at)
            .limit(8)
        )
        ids = await self._db.read(lambda conn: conn.scalars(due).all())
        for ticket_id in ids:

            def claim(conn: sa.Connection, ticket_id: int = ticket_id) -> TicketJob | None:
                # Compare-and-set: of several workers or processes, one updates the row.
                result = conn.execute(
                    tickets.update()
                    .where(tickets.c.ticket_id == ticket_id, claimable(tickets, now, "pending"))
                    .values(
                        status="working", lease_owner=owner,
                        lease_until=now + timedelta(seconds=lease_seconds),
                        claimed_generation=tickets.c.generation, attempts=tickets.c.attempts + 1,
                    )
                )  # fmt: skip
                if result.rowcount != 1:
                    return None
                attempts = conn.scalar(
                    sa.select(tickets.c.attempts).where(tickets.c.ticket_id == ticket_id)
                )
                max_event = conn.scalar(
                    sa.select(sa.func.max(events.c.id)).where(events.c.ticket_id == ticket_id)
                )
                return TicketJob(ticket_id, owner, int(attempts or 1), int(max_event or 0))

            job = await self._db.write(claim)
            if job is not None:
                return job
        return None

    async def release_ticket(
        self,
        job: TicketJob,
        *,
        now: datetime,
        retry_in: float | None = None,
        error: str | None = None,
    ) -> None:
        """Done with the ticket (``retry_in`` None), or try it again after ``retry_in`` s."""
        now = utc(now)
        mine = sa.and_(tickets.c.ticket_id == job.ticket_id, tickets.c.lease_owner == job.owner)

        def release(conn: sa.Connection) -> None:
            if retry_in is None:
                again = tickets.c.generation != tickets.c.claimed_generation
                conn.execute(
                    tickets.update()
                    .where(mine)
                    .values(
                        status=sa.case((again, "pending"), else_="idle"), lease_owner=None,
                        lease_until=None, available_at=now, attempts=0, last_error=None,
                    )
                )  # fmt: skip
                mark_processed(conn, job, now)
            else:
                conn.execute(
                    tickets.update()
                    .where(mine)
                    .values(status="pending", lease_owner=None, lease_until=None,
                            available_at=now + timedelta(seconds=retry_in),
                            last_error=(error or "")[:2000])
                )  # fmt: skip

        await self._db.write(release)

    async def event_comment_ids(self, job: TicketJob) -> list[int]:
        """Comment ids the job's unprocessed events named (when the API cannot be read)."""
        named = (
            sa.select(events.c.comment_id)
            .where(
                events.c.ticket_id == job.ticket_id,
                events.c.id <= job.max_event_id,
                events.c.processed_at.is_(None),
                events.c.comment_id.is_not(None),
            )
            .order_by(events.c.comment_id)
        )
        rows = await self._db.read(lambda conn: conn.scalars(named).all())
        handled = await self.handled_comments(job.ticket_id)
        return [c for c in dict.fromkeys(rows) if c not in handled]

    async def handled_comments(self, ticket_id: int) -> set[int]:
        query = sa.select(answered.c.comment_id).where(answered.c.ticket_id == ticket_id)
        return set(await self._db.read(lambda conn: conn.scalars(query).all()))

    async def replies_since(self, ticket_id: int, since: datetime) -> int:
        """Public replies queued for the ticket since ``since`` (the per-hour cap)."""
        query = (
            sa.select(sa.func.count())
            .select_from(outbox)
            .where(
                outbox.c.ticket_id == ticket_id,
                outbox.c.kind == "reply",
                outbox.c.created_at >= utc(since),
            )
        )
        return int(await self._db.read(lambda conn: conn.scalar(query)) or 0)

    async def commit_turn(self, turn: TicketTurn, *, now: datetime) -> bool:
        """Record a ticket's outcome when no conversation turn runs (skipped, ignored,
        escalated before the bot read it), in one transaction. False if a comment already
        had an outcome (another worker got there first): then nothing is written."""
        try:
            await self._db.write(lambda conn: write_ticket_turn(conn, turn, now))
        except IntegrityError:
            return False
        return True

    # --- outbox -----------------------------------------------------------------

    async def claim_outbox(
        self, owner: str, lease_seconds: float, *, now: datetime
    ) -> OutboxRow | None:
        """Take the oldest unsent row of some ticket, if it is due (per-ticket order)."""
        now = utc(now)
        unsent = outbox.c.status.in_(("pending", "sending"))
        heads = sa.select(sa.func.min(outbox.c.id)).where(unsent).group_by(outbox.c.ticket_id)
        due = (
            sa.select(outbox.c.id)
            .where(outbox.c.id.in_(heads), claimable(outbox, now, "pending"))
            .order_by(outbox.c.id)
            .limit(8)
        )
        ids = await self._db.read(lambda conn: conn.scalars(due).all())
        for row_id in ids:

            def claim(conn: sa.Connection, row_id: int = row_id) -> OutboxRow | None:
                result = conn.execute(
                    outbox.update()
                    .where(outbox.c.id == row_id, claimable(outbox, now, "pending"))
                    .values(status="sending", lease_owner=owner,
                            lease_until=now + timedelta(seconds=lease_seconds),
                            attempts=outbox.c.attempts + 1)
                )  # fmt: skip
                if result.rowcount != 1:
                    return None
                return outbox_row(conn.execute(outbox.select().where(outbox.c.id == row_id)).one())

            row = await self._db.write(claim)
            if row is not None:
                return row
        return None

    async def sent_before(self, row: OutboxRow) -> list[OutboxRow]:
        """The ticket's rows sent before ``row``, oldest first (for reconciling)."""
        query = (
            outbox.select()
            .where(
                outbox.c.ticket_id == row.ticket_id, outbox.c.id < row.id, outbox.c.status == "sent"
            )
            .order_by(outbox.c.id)
        )
        return [outbox_row(r) for r in await self._db.read(lambda conn: conn.execute(query).all())]

    async def finish_outbox(
        self, row: OutboxRow, status: str, *, now: datetime, error: str | None = None,
        retry_in: float | None = None, then: OutboxItem | None = None,
    ) -> bool:  # fmt: skip
        """Mark a claimed row sent / failed, or pending again after ``retry_in`` seconds.
        ``then`` queues a follow-up row (e.g. an escalation after giving up) in the same
        transaction. False if the lease was lost meanwhile."""
        now = utc(now)
        values: dict[str, Any] = {"status": status, "lease_owner": None, "lease_until": None}
        if error is not None:
            values["last_error"] = error[:2000]
        if status == "sent":
            values["sent_at"] = now
        if retry_in is not None:
            values["available_at"] = now + timedelta(seconds=retry_in)

        def finish(conn: sa.Connection) -> bool:
            result = conn.execute(
                outbox.update()
                .where(outbox.c.id == row.id, outbox.c.lease_owner == row.owner)
                .values(**values)
            )
            if result.rowcount != 1:
                return False
            if then is not None:
                conn.execute(outbox.insert(), outbox_values(row.ticket_id, then, now))
            return True

        return await self._db.write(finish)

    async def outbox_rows(self, ticket_id: int | None = None) -> list[OutboxRow]:
        """Every outbox row (of one ticket), oldest first: for tests and operators."""
        query = outbox.select().order_by(outbox.c.id)
        if ticket_id is not None:
            query = query.where(outbox.c.ticket_id == ticket_id)
        return [outbox_row(r) for r in await self._db.read(lambda conn: conn.execute(query).all())]

    async def pending_work(self) -> int:
        """Tickets and outbox rows not finished yet (0 when the channel is idle)."""
        busy = sa.select(sa.func.count()).select_from(tickets).where(tickets.c.status != "idle")
        unsent = (
            sa.select(sa.func.count())
            .select_from(outbox)
            .where(outbox.c.status.in_(("pending", "sending")))
        )
        counts = await self._db.read(lambda conn: (conn.scalar(busy), conn.scalar(unsent)))
        return sum(int(c or 0) for c in counts)

    async def next_due(self) -> datetime | None:
        """When the earliest unfinished ticket or outbox row can be claimed next (a
        pending row's ``available_at``, a claimed one's lease end); None when idle."""

        def earliest(table: sa.Table, ready: str) -> sa.Select[Any]:
            when = sa.case(
                (table.c.status == ready, table.c.available_at), else_=table.c.lease_until
            )
            return sa.select(sa.func.min(when, type_=TIME)).where(
                table.c.status.in_((ready, "working", "sending"))
            )

        queries = (earliest(tickets, "pending"), earliest(outbox, "pending"))
        found = await self._db.read(lambda conn: [conn.scalar(q) for q in queries])
        times = [utc(t) for t in found if t is not None]
        return min(times) if times else None
