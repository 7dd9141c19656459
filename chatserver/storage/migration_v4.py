"""Migration 4: one time type, and each fact stored once. Runs in one transaction.

1. ``predictions`` gets ``classified`` (false: a button's payload named the intent).
2. Intent, confidence and label leave ``messages``: a customer message that had them but
   no prediction row gets one (text masked like every prediction's; a ``/intent{...}``
   payload as not classified); where the message's label differs from its prediction's
   (version 3 wrote the two in separate transactions, so they could), the message's is
   the newer one and wins, pending review again. Then the three columns are dropped.
3. The Zendesk tables' float Unix seconds become timestamps (``*_ts`` → ``*_at``):
   PostgreSQL converts in place (``to_timestamp``); SQLite, which cannot change a
   column's type, gets each table rebuilt and its rows copied over, ids and
   AUTOINCREMENT counters kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

import chatserver.storage.schema_v3 as v3
import chatserver.storage.tables as tables
from chatserver.privacy import mask

__all__ = ["ZENDESK_TIMES", "upgrade_to_v4"]

# table -> (old float column, new timestamp column)
ZENDESK_TIMES: dict[str, tuple[tuple[str, str], ...]] = {
    "zendesk_events": (("received_ts", "received_at"), ("processed_ts", "processed_at")),
    "zendesk_tickets": (("lease_until", "lease_until"), ("available_ts", "available_at")),
    "zendesk_answered": (("created_ts", "created_at"),),
    "zendesk_outbox": (
        ("lease_until", "lease_until"),
        ("available_ts", "available_at"),
        ("created_ts", "created_at"),
        ("sent_ts", "sent_at"),
    ),
}
# The explicit indexes version 3 had on them (SQLite drops them before a rebuild).
_V3_INDEXES = {
    "zendesk_events": ("ix_zendesk_events_ticket_id",),
    "zendesk_tickets": ("ix_zendesk_tickets_status",),
    "zendesk_answered": (),
    "zendesk_outbox": ("ix_zendesk_outbox_ticket_id", "ix_zendesk_outbox_status"),
}
_PAYLOAD = re.compile(r"^/[a-z_]+(\{.*\})?\s*$", re.DOTALL)
_BATCH = 500


def upgrade_to_v4(conn: sa.Connection) -> None:
    _add_classified(conn)
    _move_message_facts(conn)
    for name in ("intent", "confidence", "label"):
        conn.execute(sa.text(f"ALTER TABLE messages DROP COLUMN {name}"))
    if conn.dialect.name == "postgresql":
        _zendesk_times_in_place(conn)
    else:
        for name in ZENDESK_TIMES:
            _rebuild_with_times(conn, name)


def _add_classified(conn: sa.Connection) -> None:
    conn.execute(
        sa.text("ALTER TABLE predictions ADD COLUMN classified BOOLEAN DEFAULT true NOT NULL")
    )


def _move_message_facts(conn: sa.Connection) -> None:
    m, p, s = v3.messages, tables.predictions, v3.sessions
    # Messages the prediction log never saw: give them their row.
    unlogged = (
        sa.select(
            m.c.id,
            m.c.session_id,
            m.c.text,
            m.c.intent,
            m.c.confidence,
            m.c.label,
            m.c.created_at,
            s.c.channel,
        )
        .join(s, s.c.id == m.c.session_id)
        .where(
            m.c.sender == "customer",
            sa.or_(m.c.intent.is_not(None), m.c.confidence.is_not(None), m.c.label.is_not(None)),
            ~sa.exists().where(p.c.message_id == m.c.id),
        )
        .order_by(m.c.id)
    )
    rows = [
        {
            "message_id": r.id,
            "session_id": r.session_id,
            "channel": r.channel,
            "text": mask(r.text),
            "intent": r.intent,
            "confidence": float(r.confidence if r.confidence is not None else 0.0),
            "ranking": [],
            "escalate": False,
            "reason": None,
            "model_version": "unknown",
            "outcome": "answered",
            "label": r.label,
            "reviewed": "pending" if r.label else None,
            "created_at": _aware(r.created_at),
            "classified": not _PAYLOAD.match(r.text.strip()),
        }
        for r in conn.execute(unlogged)
    ]
    for batch in _batches(rows):
        conn.execute(p.insert(), batch)
    # Labels the two copies disagree on: the message's was written first, so it is newer.
    differing = (
        sa.select(m.c.id, m.c.label)
        .join(p, p.c.message_id == m.c.id)
        .where(
            m.c.label.is_not(None),
            sa.or_(p.c.label.is_(None), p.c.label != m.c.label),
        )
    )
    for r in conn.execute(differing).all():
        conn.execute(
            p.update().where(p.c.message_id == r.id).values(label=r.label, reviewed="pending")
        )


def _zendesk_times_in_place(conn: sa.Connection) -> None:
    for table, columns in ZENDESK_TIMES.items():
        for old, new in columns:
            conn.execute(
                sa.text(
                    f"ALTER TABLE {table} ALTER COLUMN {old} TYPE TIMESTAMP WITH TIME ZONE "
                    f"USING to_timestamp({old})"
                )
            )
            if old != new:
                conn.execute(sa.text(f"ALTER TABLE {table} RENAME COLUMN {old} TO {new}"))


def _rebuild_with_times(conn: sa.Connection, name: str) -> None:
    old_name = f"{name}_v3"
    for index in _V3_INDEXES[name]:
        conn.execute(sa.text(f"DROP INDEX IF EXISTS {index}"))
    conn.execute(sa.text(f"ALTER TABLE {name} RENAME TO {old_name}"))
    new = tables.metadata.tables[name]
    new.create(conn)
    renames = dict(ZENDESK_TIMES[name])
    columns = [sa.Column(c.name, c.type) for c in v3.metadata.tables[name].c]
    old = sa.Table(old_name, sa.MetaData(), *columns)
    rowid = sa.literal_column("rowid")
    last = 0
    while True:  # in pages by rowid: an events table can be large
        page = conn.execute(
            sa.select(rowid, *old.c).where(rowid > last).order_by(rowid).limit(_BATCH)
        ).all()
        if not page:
            break
        last = page[-1][0]
        converted = []
        for row in page:
            values = dict(zip([c.name for c in old.c], row[1:], strict=True))
            converted.append(
                {
                    renames.get(k, k): _from_epoch(v) if k in renames else v
                    for k, v in values.items()
                }
            )
        conn.execute(new.insert(), converted)
    if new.kwargs.get("sqlite_autoincrement"):
        # Keep the counter, so an id deleted before the upgrade is not handed out again.
        conn.execute(
            sa.text(
                "UPDATE sqlite_sequence SET seq = max(seq, "
                "(SELECT seq FROM sqlite_sequence WHERE name = :old)) WHERE name = :new"
            ),
            {"old": old_name, "new": name},
        )
        conn.execute(
            sa.text(
                "INSERT INTO sqlite_sequence (name, seq) SELECT :new, seq FROM sqlite_sequence "
                "WHERE name = :old AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = :new)"
            ),
            {"old": old_name, "new": name},
        )
    conn.execute(sa.text(f"DROP TABLE {old_name}"))


def _from_epoch(value: Any) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(float(value), UTC)


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _batches(rows: Any) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for row in rows:
        batch.append(row)
        if len(batch) == _BATCH:
            yield batch
            batch = []
    if batch:
        yield batch
