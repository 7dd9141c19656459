"""Frozen: the tables exactly as schema versions 1 to 3 created them. Never edit.

Migrations 1 to 3 create these (an old database is upgraded through the same steps it
would have taken), and the migration tests build a version-3 database from them. Version
3 kept intent, confidence and label on ``messages`` as well as in ``predictions``, and
the Zendesk tables' times as float Unix seconds; migration 4 changed both.
"""

from __future__ import annotations

import sqlalchemy as sa

__all__ = ["V1_TABLES", "V2_TABLES", "V3_TABLES", "metadata"]

metadata = sa.MetaData()

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("external_ref", sa.String(128)),
    sa.Column("owner", sa.String(8), nullable=False, server_default="bot"),
    sa.Column("status", sa.String(8), nullable=False, server_default="bot"),
    sa.Column("agent", sa.String(128)),
    sa.Column("state", sa.JSON, nullable=False),
    sa.Column("slots", sa.JSON, nullable=False),
    sa.Column("escalation_reason", sa.Text),
    sa.Column("summary", sa.Text, nullable=False, server_default=""),
    sa.Column("customer_email", sa.String(320)),
    sa.Column("order_name", sa.String(64)),
    sa.Column("tags", sa.JSON, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_sessions_external_ref", "channel", "external_ref"),
    sa.Index("ix_sessions_status_updated", "status", "updated_at"),
)

messages = sa.Table(
    "messages",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "session_id", sa.String(64), sa.ForeignKey("sessions.id"), nullable=False, index=True
    ),
    sa.Column("sender", sa.String(16), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("quick_replies", sa.JSON),
    sa.Column("intent", sa.String(64)),
    sa.Column("confidence", sa.Float),
    sa.Column("label", sa.String(64)),
    sa.Column("agent_name", sa.String(128)),
    sa.Column("client_message_id", sa.String(128)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sqlite_autoincrement=True,
)

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
    sa.Column("status", sa.String(12), nullable=False),
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
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("reason", sa.String(64)),
    sa.Column("outbox_id", sa.Integer),
    sa.Column("created_ts", sa.Float, nullable=False),
)

outbox = sa.Table(
    "zendesk_outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ticket_id", sa.BigInteger, nullable=False, index=True),
    sa.Column("kind", sa.String(12), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("answers_comment_id", sa.BigInteger, nullable=False),
    sa.Column("author_id", sa.BigInteger),
    sa.Column("group_id", sa.BigInteger),
    sa.Column("tags", sa.JSON, nullable=False),
    sa.Column("status", sa.String(12), nullable=False),
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

predictions = sa.Table(
    "predictions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("message_id", sa.Integer, sa.ForeignKey("messages.id"), nullable=False, unique=True),
    sa.Column("session_id", sa.String(64), nullable=False, index=True),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("intent", sa.String(64)),
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Column("ranking", sa.JSON, nullable=False),
    sa.Column("escalate", sa.Boolean, nullable=False),
    sa.Column("reason", sa.String(32)),
    sa.Column("model_version", sa.String(128), nullable=False),
    sa.Column("outcome", sa.String(12), nullable=False),
    sa.Column("escalation_reason", sa.String(64)),
    sa.Column("label", sa.String(64)),
    sa.Column("labelled_by", sa.String(128)),
    sa.Column("labelled_at", sa.DateTime(timezone=True)),
    sa.Column("reviewed", sa.String(12)),
    sa.Column("resolved", sa.Boolean),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_predictions_created", "created_at"),
    sa.Index("ix_predictions_reviewed", "reviewed"),
    sqlite_autoincrement=True,
)

V1_TABLES = [sessions, messages]
V2_TABLES = [events, tickets, answered, outbox]
V3_TABLES = [predictions]
