"""Per-session turn locks behind one small interface.

``LocalLocks`` serialises turns inside one process. ``PostgresLocks`` adds a
transaction-level advisory lock (``pg_advisory_xact_lock``) so turns of one session are
serialised across every process on the same PostgreSQL database. The advisory lock lives
as long as its transaction: a process that dies, or a connection that breaks, releases it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncTransaction,
    create_async_engine,
)

from chatserver.storage.reconnect import watch

__all__ = ["LocalLocks", "PostgresLocks", "SessionLocks"]

log = logging.getLogger(__name__)


class SessionLocks(Protocol):
    def hold(self, session_id: str) -> AbstractAsyncContextManager[None]:
        """Serialise the turns of one session while the context is held."""


class LocalLocks:
    """One ``asyncio.Lock`` per session in this process; dropped when nobody waits."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}

    @asynccontextmanager
    async def hold(self, session_id: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(session_id, asyncio.Lock())
        self._users[session_id] = self._users.get(session_id, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[session_id] -= 1
            if not self._users[session_id]:
                del self._users[session_id], self._locks[session_id]

    async def aclose(self) -> None:
        return None


# One round trip: the wait limit (for this transaction only) and the lock.
_LOCK = sa.text(
    "SELECT set_config('lock_timeout', :timeout, true), "
    "pg_advisory_xact_lock(hashtextextended(:key, 0))"
)


class PostgresLocks:
    """Turns serialised across processes by PostgreSQL advisory locks.

    A held lock keeps one connection in a transaction for the whole turn, so the locks
    get their own small pool: turns waiting for a lock never starve the store of
    connections. Within a process, turns of one session queue on a ``LocalLocks`` first
    and take one connection between them.

    Args:
        url: the store's SQLAlchemy URL (``postgresql+asyncpg://...``).
        pool_size: connections kept for locks; ``max_overflow`` more under load.
        wait_seconds: how long a turn waits for another process's turn of its session.
    """

    def __init__(
        self,
        url: str | sa.URL,
        *,
        pool_size: int = 10,
        max_overflow: int = 20,
        wait_seconds: float = 60.0,
    ) -> None:
        self.url = sa.make_url(url)
        self.wait_seconds = wait_seconds
        self._local = LocalLocks()
        self._engine: AsyncEngine = create_async_engine(
            self.url,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_timeout=wait_seconds,
        )
        watch(self._engine)  # a restart's dead connections, without a ping per checkout

    @asynccontextmanager
    async def hold(self, session_id: str) -> AsyncIterator[None]:
        async with self._local.hold(session_id):
            conn, transaction = await self._lock(session_id)
            try:
                yield
            finally:
                try:
                    await transaction.rollback()  # nothing was written: this only unlocks
                except SQLAlchemyError as exc:
                    # The connection broke (database restart): the lock went with it.
                    log.warning(
                        "session lock of %s was lost with its connection: %s", session_id, exc
                    )
                    await conn.invalidate()
                await conn.close()

    async def _lock(self, session_id: str) -> tuple[AsyncConnection, AsyncTransaction]:
        timeout = f"{int(self.wait_seconds * 1000)}ms"
        for attempt in (1, 2):
            conn = await self._engine.connect()
            try:
                transaction = await conn.begin()
                await conn.execute(_LOCK, {"timeout": timeout, "key": session_id})
                return conn, transaction
            except DBAPIError as exc:
                await conn.close()
                # A connection a restart left in the pool: once more, on a new one.
                if attempt == 2 or not exc.connection_invalidated:
                    raise
            except BaseException:
                await conn.close()
                raise
        raise AssertionError("unreachable")

    async def aclose(self) -> None:
        await self._engine.dispose()
