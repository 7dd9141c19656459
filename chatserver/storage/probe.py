"""Can the server reach its database, and at which schema version is it? (``chatbot check``)

A read only: nothing is created or migrated (the server migrates when it starts), and a
SQLite file that does not exist yet is reported, not made.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from chatserver.storage.migrations import LATEST
from chatserver.storage.tables import schema_version

__all__ = ["DatabaseProbe", "probe_database"]


@dataclass(frozen=True)
class DatabaseProbe:
    """What one look at the database found.

    ``version`` is the schema version recorded (0: an empty database; None: a SQLite
    file not created yet); ``error`` says why the database could not be read.
    """

    backend: str
    version: int | None = None
    latest: int = LATEST
    error: str | None = None


def _version(conn: sa.Connection) -> int:
    if not sa.inspect(conn).has_table(schema_version.name):
        return 0
    return int(conn.execute(sa.select(sa.func.max(schema_version.c.version))).scalar() or 0)


async def probe_database(url: str, *, timeout: float = 5.0) -> DatabaseProbe:
    """Connect to ``url`` once and read its schema version."""
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError as exc:
        return DatabaseProbe("unknown", error=f"not a database URL: {exc}")
    backend = parsed.get_backend_name()
    options: dict[str, object] = {}
    if backend == "sqlite":
        path = parsed.database or ""
        if path and path != ":memory:" and not Path(path).exists():
            return DatabaseProbe(backend, version=None)
    elif backend == "postgresql":
        options["connect_args"] = {"timeout": timeout}
    try:
        engine = create_async_engine(parsed, **options)
    except (sa.exc.ArgumentError, ImportError) as exc:
        return DatabaseProbe(backend, error=str(exc))
    try:
        async with engine.connect() as conn:
            return DatabaseProbe(backend, version=await conn.run_sync(_version))
    except Exception as exc:  # the driver's own errors: refused, unknown host, password
        return DatabaseProbe(backend, error=f"{type(exc).__name__}: {exc}".splitlines()[0])
    finally:
        await engine.dispose()
