"""The one door to the database: the engine, and where every statement runs.

A repository hands :meth:`Database.read` or :meth:`Database.write` a plain function of a
``sqlalchemy.Connection``; it runs whole in one transaction (``write``) or one
connection (``read``), under the one retry rule of :func:`~chatserver.storage.reconnect.
reconnecting`: run again, once, on a new connection if the database turned out to be
gone before any statement ran. On a SQLite file the writes run in the store's own
thread on a synchronous engine (see :meth:`Database.write`); elsewhere on the async
engine through ``run_sync``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from chatserver.storage.migrations import migrate
from chatserver.storage.reconnect import reconnecting, watch

__all__ = ["SQLITE_BUSY_MS", "Database", "sqlite_pragmas", "utc"]

T = TypeVar("T")

SQLITE_BUSY_MS = 5000  # a writer waits this long for another's lock before failing


def utc(value: datetime) -> datetime:
    """``value`` in UTC, aware. SQLite hands back naive datetimes and keeps a written
    one's wall clock without its offset, so every time is UTC on the way in and out."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def sqlite_pragmas(*, wal: bool) -> Any:
    """A "connect" listener: WAL journal with ``synchronous=NORMAL`` and a busy timeout.

    WAL lets readers run beside the writer, and NORMAL syncs the log at checkpoints
    instead of at every commit: a process crash loses nothing committed, a power cut or
    an OS crash can lose the last transactions (docs/deployment.md).
    """

    def on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            if wal:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        finally:
            cursor.close()

    return on_connect


class Database:
    """One SQL database addressed by a SQLAlchemy URL, migrated on :meth:`start`.

    Args:
        url: e.g. ``sqlite+aiosqlite:///var/chatbot.sqlite3`` or
            ``postgresql+asyncpg://user:pw@host/db``. ``sqlite+aiosqlite://`` is in memory.
    """

    def __init__(self, url: str | sa.URL) -> None:
        self.url = sa.make_url(url)
        self._engine: AsyncEngine | None = None
        # SQLite file: the writes run whole in one thread (see write()).
        self._sqlite: sa.Engine | None = None
        self._sqlite_thread: ThreadPoolExecutor | None = None

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.url.get_backend_name()

    @property
    def started(self) -> bool:
        return self._engine is not None

    async def start(self) -> None:
        """Connect, and migrate the schema to the newest version."""
        options: dict[str, Any] = {}
        sqlite = self.dialect == "sqlite"
        in_memory = not self.url.database or self.url.database == ":memory:"
        if sqlite:
            if in_memory:
                options["poolclass"] = StaticPool
            else:
                Path(self.url.database or "").parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(self.url, **options)
        if sqlite:
            sa.event.listen(engine.sync_engine, "connect", sqlite_pragmas(wal=not in_memory))
        else:
            # A restart leaves dead connections in the pool: see storage.reconnect.
            watch(engine)
        try:
            await migrate(engine)
        except BaseException:
            await engine.dispose()
            raise
        self._engine = engine
        if sqlite and not in_memory:
            self._sqlite = sa.create_engine(self.url.set(drivername="sqlite"))
            sa.event.listen(self._sqlite, "connect", sqlite_pragmas(wal=True))
            self._sqlite_thread = ThreadPoolExecutor(1, thread_name_prefix="sqlite-writes")

    async def aclose(self) -> None:
        if self._sqlite is not None and self._sqlite_thread is not None:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(self._sqlite_thread, self._sqlite.dispose)
            self._sqlite_thread.shutdown()
            self._sqlite = self._sqlite_thread = None
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

    def _started(self) -> AsyncEngine:
        if self._engine is None:
            raise RuntimeError("storage not started")
        return self._engine

    @reconnecting
    async def read(self, work: Callable[[sa.Connection], T]) -> T:
        """Run ``work`` on one connection (no writes)."""
        async with self._started().connect() as conn:
            return await conn.run_sync(work)

    @reconnecting
    async def write(self, work: Callable[[sa.Connection], T]) -> T:
        """Run ``work`` in one transaction: all of it is committed, or none.

        On a SQLite file it runs whole in the store's thread: one hop there and back,
        where aiosqlite makes three or four per statement (cursor, execute, fetch,
        close), which cost a turn more than SQLite's own work.
        """
        if self._sqlite is not None:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._sqlite_thread, self._in_sqlite, work)
        async with self._started().begin() as conn:
            return await conn.run_sync(work)

    def _in_sqlite(self, work: Callable[[sa.Connection], T]) -> T:
        assert self._sqlite is not None
        with self._sqlite.begin() as conn:
            return work(conn)
