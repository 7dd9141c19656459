"""Tables and the versioned migrations that create and change them.

Every schema change is a new entry at the end of ``MIGRATIONS``; ``migrate`` applies
those newer than the ``schema_version`` table says, in one transaction each. Later
issues add their tables (Zendesk outbox, prediction log) the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["MIGRATIONS", "messages", "metadata", "migrate", "schema_version", "sessions"]

metadata = sa.MetaData()

schema_version = sa.Table(
    "schema_version",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("description", sa.String(200), nullable=False),
    sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
)

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
    # ids are never reused, even after deletes (SQLite needs AUTOINCREMENT for that)
    sqlite_autoincrement=True,
)


def _v1(conn: sa.Connection) -> None:
    metadata.create_all(conn, tables=[sessions, messages])


def _v2(conn: sa.Connection) -> None:
    from chatserver.storage.zendesk_tables import create_tables

    create_tables(conn)


def _v3(conn: sa.Connection) -> None:
    from chatserver.storage.predictions import create_tables

    create_tables(conn)


MIGRATIONS: list[tuple[int, str, Callable[[sa.Connection], None]]] = [
    (1, "sessions and messages", _v1),
    (2, "zendesk inbound queue, answered comments and reply outbox", _v2),
    (3, "prediction log: classified messages, outcomes, agents' labels", _v3),
]


async def migrate(engine: AsyncEngine) -> int:
    """Bring the database up to the newest schema; returns the version it is at."""
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: schema_version.create(c, checkfirst=True))
        current = (await conn.execute(sa.select(sa.func.max(schema_version.c.version)))).scalar()
    current = current or 0
    for version, description, apply in MIGRATIONS:
        if version <= current:
            continue
        async with engine.begin() as conn:
            await conn.run_sync(apply)
            await conn.execute(
                schema_version.insert().values(
                    version=version, description=description, applied_at=datetime.now(UTC)
                )
            )
        current = version
    return current
