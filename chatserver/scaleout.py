"""What several server processes share: Socket.IO fan-out and turn locks.

One process needs neither: rooms live in memory and ``LocalLocks`` orders turns. With
several (``chatbot serve --workers N``, or machines behind a load balancer), an emit to
a room must reach sockets held by the other processes (``AsyncRedisManager`` over Redis
pub/sub, when ``redis_url`` is set) and two processes must not run turns of one session
at once (``PostgresLocks``, when the store is PostgreSQL).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import socketio
import sqlalchemy as sa

from chatserver.settings import Settings
from chatserver.storage.locks import LocalLocks, PostgresLocks, SessionLocks

__all__ = ["SHARED_STORES", "close_socketio_manager", "session_locks", "socketio_manager"]

log = logging.getLogger(__name__)

SHARED_STORES = ("postgresql",)  # backends several processes can share safely


def socketio_manager(settings: Settings) -> socketio.AsyncManager | None:
    """A Redis client manager when ``redis_url`` is set; None keeps rooms in this process."""
    if not settings.redis_url:
        return None
    return socketio.AsyncRedisManager(settings.redis_url, channel="chatbot-socketio")


async def close_socketio_manager(sio: socketio.AsyncServer) -> None:
    """Stop the Redis listener and close its connections (``sio.shutdown`` leaves them)."""
    manager = sio.manager
    if not isinstance(manager, socketio.AsyncRedisManager):
        return
    listener = getattr(manager, "thread", None)
    if listener is not None:
        listener.cancel()
        await asyncio.gather(listener, return_exceptions=True)
    if getattr(manager, "connected", False):
        await manager.pubsub.aclose()
        await manager.redis.aclose()
        manager.connected = False


@asynccontextmanager
async def session_locks(settings: Settings) -> AsyncIterator[SessionLocks]:
    """The turn locks for this store: advisory locks on PostgreSQL, in-process otherwise."""
    backend = sa.make_url(settings.database_url).get_backend_name()
    locks: LocalLocks | PostgresLocks
    locks = PostgresLocks(settings.database_url) if backend == "postgresql" else LocalLocks()
    try:
        yield locks
    finally:
        await locks.aclose()
