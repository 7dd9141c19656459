"""Recovering from a database restart without a round trip per connection checkout.

``pool_pre_ping`` tests every pooled connection before use (``BEGIN; SELECT; ROLLBACK``
on asyncpg): three round trips on every checkout, a sixth of a chat turn's server time.
Instead, :func:`watch` makes the pool drop connections the driver already knows are
closed (no round trip), and every store operation (``Database.read`` and
``Database.write``, which all repositories go through, are decorated with
:func:`reconnecting`) runs again, once, on a new connection when the database turned out
to be gone before any of its statements ran. A failure after one ran is raised as before: the database
rolled the transaction back, and the caller decides.

One failed attempt invalidates the whole pool (SQLAlchemy recycles every connection
checked out before it), so after a restart each process pays one retry, not one per
connection.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["reconnecting", "watch"]

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

# Statements run by the current store operation (a list, so the event can count in it).
_ran: ContextVar[list[int] | None] = ContextVar("statements_ran", default=None)


def watch(engine: AsyncEngine) -> None:
    """Drop pooled connections the server closed, and count statements for retries."""
    sa.event.listen(engine.sync_engine, "checkout", _drop_closed)
    sa.event.listen(engine.sync_engine, "after_cursor_execute", _count)


def _drop_closed(dbapi_connection: Any, connection_record: Any, connection_proxy: Any) -> None:
    # asyncpg marks a connection closed once the event loop has seen the server hang
    # up; raising here makes the pool retry the checkout with a new connection.
    is_closed = getattr(getattr(dbapi_connection, "driver_connection", None), "is_closed", None)
    if is_closed is not None and is_closed():
        raise DisconnectionError("the database closed this pooled connection")


def _count(*args: Any) -> None:
    ran = _ran.get()
    if ran is not None:
        ran[0] += 1


def reconnecting(operation: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """Run ``operation`` again on a new connection if the first found the database gone
    before any statement ran (a connection left dead in the pool by a restart)."""

    @functools.wraps(operation)
    async def run(*args: P.args, **kwargs: P.kwargs) -> T:
        ran = [0]
        token = _ran.set(ran)
        try:
            return await operation(*args, **kwargs)
        except DBAPIError as exc:
            if not exc.connection_invalidated or ran[0]:
                raise
            log.warning("database connection lost (%s); retrying on a new one", exc.orig)
        finally:
            _ran.reset(token)
        return await operation(*args, **kwargs)

    return run
