"""The agent console's sessions, kept server-side so signing out ends them.

The cookie holds a random token; the row is found by the token's SHA-256, so a copy of
the database does not hold usable cookies. A session ends when its row is deleted
(sign-out), when it expires, or when the agent's configured password changes (the row
keeps a hash of the password hash it was opened with; ``chatserver.web.auth`` compares).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from chatserver.storage.database import Database, utc
from chatserver.storage.tables import agent_sessions

__all__ = ["AgentSession", "AgentSessions"]


@dataclass(frozen=True)
class AgentSession:
    token_hash: str
    username: str
    password_tag: str
    csrf: str
    created_at: datetime
    expires_at: datetime


class AgentSessions:
    """The console's sessions (``SqlStorage.agent_sessions``)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, session: AgentSession) -> None:
        values = {
            "token_hash": session.token_hash,
            "username": session.username,
            "password_tag": session.password_tag,
            "csrf": session.csrf,
            "created_at": utc(session.created_at),
            "expires_at": utc(session.expires_at),
        }

        def work(conn: sa.Connection) -> None:
            conn.execute(agent_sessions.insert().values(**values))

        await self._db.write(work)

    async def get(self, token_hash: str) -> AgentSession | None:
        query = agent_sessions.select().where(agent_sessions.c.token_hash == token_hash)

        def work(conn: sa.Connection) -> AgentSession | None:
            row = conn.execute(query).first()
            if row is None:
                return None
            return AgentSession(
                row.token_hash,
                row.username,
                row.password_tag,
                row.csrf,
                utc(row.created_at),
                utc(row.expires_at),
            )

        return await self._db.read(work)

    async def remove(self, token_hash: str) -> None:
        statement = agent_sessions.delete().where(agent_sessions.c.token_hash == token_hash)

        def work(conn: sa.Connection) -> None:
            conn.execute(statement)

        await self._db.write(work)

    async def purge(self, before: datetime) -> int:
        """Delete the sessions that expired before ``before``; how many."""
        statement = agent_sessions.delete().where(agent_sessions.c.expires_at < utc(before))

        def work(conn: sa.Connection) -> int:
            return int(conn.execute(statement).rowcount or 0)

        return await self._db.write(work)
