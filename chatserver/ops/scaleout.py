"""What several server processes share: Socket.IO fan-out and turn locks.

One process needs neither: rooms live in memory and ``LocalLocks`` orders turns. With
several (``chatbot serve --workers N``, or machines behind a load balancer), an emit to
a room must reach sockets held by the other processes (``AsyncRedisManager`` over Redis
pub/sub, when ``redis_url`` is set) and two processes must not run turns of one session
at once (``PostgresLocks``, when the store is PostgreSQL and ``redis_url`` is set).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import socketio

from chatserver.settings import Settings
from chatserver.storage.locks import LocalLocks, PostgresLocks, SessionLocks

__all__ = ["SHARED_STORES", "close_socketio_manager", "session_locks", "socketio_manager"]

log = logging.getLogger(__name__)

SHARED_STORES = ("postgresql",)  # backends several processes can share safely


class _RedisManager(socketio.AsyncRedisManager):  # type: ignore[misc]
    """``AsyncRedisManager`` that closes the clients it replaces when Redis comes back.

    The library reconnects by building a new client and dropping the old one unclosed;
    here the old one is closed in the background (and awaited on shutdown).
    """

    _closing: set[asyncio.Task[None]]

    def _redis_connect(self) -> None:
        old = (getattr(self, "pubsub", None), getattr(self, "redis", None))
        super()._redis_connect()
        if not hasattr(self, "_closing"):
            self._closing = set()
        for client in old:
            if client is not None:
                task = asyncio.ensure_future(_quietly_close(client))
                self._closing.add(task)
                task.add_done_callback(self._closing.discard)


async def _quietly_close(client: Any) -> None:
    try:
        await client.aclose()
    except Exception as exc:  # a dead connection may fail to close; it is gone either way
        log.debug("closing a replaced Redis client: %s", exc)


def socketio_manager(settings: Settings) -> socketio.AsyncManager | None:
    """A Redis client manager when ``redis_url`` is set; None keeps rooms in this process."""
    if not settings.redis_url:
        return None
    manager: socketio.AsyncManager = _RedisManager(settings.redis_url, channel="chatbot-socketio")
    return manager


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
        await _quietly_close(manager.pubsub)
        await _quietly_close(manager.redis)
        manager.connected = False
    await asyncio.gather(*getattr(manager, "_closing", ()), return_exceptions=True)


@asynccontextmanager
async def session_locks(settings: Settings) -> AsyncIterator[SessionLocks]:
    """The turn locks: advisory locks when several processes share the PostgreSQL store,
    in-process otherwise.

    Several processes need ``redis_url`` (``chatbot serve --workers N`` refuses to start
    without it), so without it this process is the only one running turns and
    ``LocalLocks`` suffice: an advisory lock costs a connection and a transaction per turn.
    """
    shared = settings.database_backend == "postgresql" and bool(settings.redis_url)
    locks: LocalLocks | PostgresLocks
    locks = PostgresLocks(settings.database_url) if shared else LocalLocks()
    try:
        yield locks
    finally:
        await locks.aclose()
