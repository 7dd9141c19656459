"""The Zendesk channel's tables (migration 2); :mod:`chatserver.storage.zendesk_queue`
says what each holds and how they are used."""

from __future__ import annotations

import sqlalchemy as sa

from chatserver.storage.schema import metadata

__all__ = ["answered", "create_tables", "events", "outbox", "tickets"]

events = sa.Table(
    "zendesk_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ticket_id", sa.BigInteger, nullable=False, index=True),
    sa.Column("comment_id", sa.BigInteger),
    sa.Column("event", sa.String(32), nullable=False),
    sa.Column("invocation_id", sa.String(128)),
    sa.Column("dedupe_key", sa.String(200), nullable=False, unique=True),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("received_ts", sa.Float, nullable=False),
    sa.Column("processed_ts", sa.Float),
    sqlite_autoincrement=True,
)

tickets = sa.Table(
    "zendesk_tickets",
    metadata,
    sa.Column("ticket_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("status", sa.String(12), nullable=False),  # pending | working | idle
    sa.Column("generation", sa.Integer, nullable=False),
    sa.Column("claimed_generation", sa.Integer, nullable=False),
    sa.Column("lease_owner", sa.String(64)),
    sa.Column("lease_until", sa.Float),
    sa.Column("available_ts", sa.Float, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("last_error", sa.Text),
    sa.Index("ix_zendesk_tickets_status", "status", "available_ts"),
)

answered = sa.Table(
    "zendesk_answered",
    metadata,
    sa.Column("ticket_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("comment_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("outcome", sa.String(16), nullable=False),  # replied|escalated|ignored|skipped
    sa.Column("reason", sa.String(64)),
    sa.Column("outbox_id", sa.Integer),
    sa.Column("created_ts", sa.Float, nullable=False),
)

outbox = sa.Table(
    "zendesk_outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ticket_id", sa.BigInteger, nullable=False, index=True),
    sa.Column("kind", sa.String(12), nullable=False),  # reply | escalate | tag
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("answers_comment_id", sa.BigInteger, nullable=False),
    sa.Column("author_id", sa.BigInteger),
    sa.Column("group_id", sa.BigInteger),
    sa.Column("tags", sa.JSON, nullable=False),
    sa.Column("status", sa.String(12), nullable=False),  # pending | sending | sent | failed
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("lease_owner", sa.String(64)),
    sa.Column("lease_until", sa.Float),
    sa.Column("available_ts", sa.Float, nullable=False),
    sa.Column("last_error", sa.Text),
    sa.Column("created_ts", sa.Float, nullable=False),
    sa.Column("sent_ts", sa.Float),
    sa.Index("ix_zendesk_outbox_status", "status", "ticket_id"),
    sqlite_autoincrement=True,
)

_TABLES = [events, tickets, answered, outbox]


def create_tables(conn: sa.Connection) -> None:
    """Migration 2 (see :mod:`chatserver.storage.schema`)."""
    metadata.create_all(conn, tables=_TABLES)
