"""Versioned migrations: how a database gets to the tables of :mod:`chatserver.storage.tables`.

Every schema change is a new entry at the end of ``MIGRATIONS``; ``migrate`` applies
those newer than the ``schema_version`` table says, each in its own transaction. An
empty database gets the newest tables at once (every version recorded); an existing
one walks the steps. Steps 1 to 3 create the frozen tables of
:mod:`chatserver.storage.schema_v3`; step 4 (:mod:`chatserver.storage.migration_v4`)
moves a version-3 database, with its data, to one time type and each fact stored once;
step 5 adds the console's server-side sessions (``agent_sessions``); step 6
(:mod:`chatserver.storage.migration_v6`) gives predictions their help-center article.

On PostgreSQL the whole run holds an advisory lock, so processes starting together
migrate one after the other (the later ones find nothing left to do).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

import chatserver.storage.schema_v3 as schema_v3
from chatserver.storage.migration_v4 import upgrade_to_v4
from chatserver.storage.migration_v6 import upgrade_to_v6
from chatserver.storage.tables import agent_sessions, metadata, schema_version

__all__ = ["LATEST", "MIGRATIONS", "migrate"]

# pg_advisory_lock key of schema migrations (any constant; "chatbot" in ASCII)
_LOCK_KEY = 0x63686174626F74


def _v1(conn: sa.Connection) -> None:
    schema_v3.metadata.create_all(conn, tables=schema_v3.V1_TABLES)


def _v2(conn: sa.Connection) -> None:
    schema_v3.metadata.create_all(conn, tables=schema_v3.V2_TABLES)


def _v3(conn: sa.Connection) -> None:
    schema_v3.metadata.create_all(conn, tables=schema_v3.V3_TABLES)


def _v5(conn: sa.Connection) -> None:
    agent_sessions.create(conn)  # a new table: nothing to move


def _v7(conn: sa.Connection) -> None:
    # Older rows keep NULL: nobody knows what the bot had asked, so they stay labelable.
    conn.execute(sa.text("ALTER TABLE predictions ADD COLUMN awaiting VARCHAR(32)"))


MIGRATIONS: list[tuple[int, str, Callable[[sa.Connection], None]]] = [
    (1, "sessions and messages", _v1),
    (2, "zendesk inbound queue, answered comments and reply outbox", _v2),
    (3, "prediction log: classified messages, outcomes, agents' labels", _v3),
    (
        4,
        "zendesk times as timestamps; intent, confidence and label only in predictions",
        upgrade_to_v4,
    ),
    (5, "agent console sessions kept server-side (sign-out ends them)", _v5),
    (6, "predictions: the help-center article answered with, and what came of it", upgrade_to_v6),
    (7, "predictions know what the bot had asked for (the label queue skips answers)", _v7),
]
LATEST = MIGRATIONS[-1][0]


async def migrate(engine: AsyncEngine, *, target: int = LATEST) -> int:
    """Bring the database up to version ``target`` (default: the newest); returns the
    version it is at. ``target`` below the newest is for tests of the upgrade."""
    async with engine.connect() as conn:
        postgres = conn.dialect.name == "postgresql"
        if postgres:
            await conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": _LOCK_KEY})
            await conn.commit()
        try:
            return await conn.run_sync(_migrate, target)
        finally:
            if postgres:
                await conn.rollback()
                await conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _LOCK_KEY})
                await conn.commit()


def _migrate(conn: sa.Connection, target: int) -> int:
    schema_version.create(conn, checkfirst=True)
    current = conn.execute(sa.select(sa.func.max(schema_version.c.version))).scalar() or 0
    conn.commit()
    if current == 0 and target == LATEST:
        # An empty database: the newest tables at once, every step recorded as done.
        metadata.create_all(conn)
        _record(conn, MIGRATIONS)
        conn.commit()
        return LATEST
    for step in MIGRATIONS:
        version, _, apply = step
        if current < version <= target:
            apply(conn)
            _record(conn, [step])
            conn.commit()
            current = version
    return current


def _record(
    conn: sa.Connection, steps: list[tuple[int, str, Callable[[sa.Connection], None]]]
) -> None:
    now = datetime.now(UTC)
    conn.execute(
        schema_version.insert(),
        [{"version": v, "description": d, "applied_at": now} for v, d, _ in steps],
    )
