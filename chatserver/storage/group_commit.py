"""Group commit: the writes asked for in one loop tick, committed in one transaction.

Under load many sessions finish a turn in the same moment, each with a small
transaction; their commits (and, on SQLite, the hops to the store's thread) cost more
than the statements. ``GroupCommit.write`` queues a write and, at the end of the tick,
runs every queued write in order in ONE transaction of ``Database.write``. One group is
in flight at a time: the writes that arrive while it commits form the next group, so
groups grow with the load instead of queueing one small transaction per tick. Each caller
gets its own result only after that transaction committed, so durability is as before:
a reply is sent only once its turn is stored. If the transaction fails, every write in
it fails with the same error and nothing of any of them is stored (a turn that failed
this way is answered again like any unfinished turn, see ``ops/recovery``).

Writes whose failure must stay their own (an e-mail turn's ``TurnTaken``: another
worker answered first) do not belong here; they keep ``Database.write``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa

from chatserver.storage.database import Database

__all__ = ["GroupCommit"]

T = TypeVar("T")

Work = Callable[[sa.Connection], Any]


class GroupCommit:
    """Writes of one loop tick in one transaction; ``max_group`` bounds a transaction."""

    def __init__(self, db: Database, max_group: int = 256) -> None:
        self._db = db
        self.max_group = max_group
        self._pending: list[tuple[Work, asyncio.Future[Any]]] = []
        self._scheduled = False
        self._running: set[asyncio.Future[None]] = set()
        self.groups = 0  # transactions committed or failed (for tests and figures)
        self.writes = 0

    async def write(self, work: Callable[[sa.Connection], T]) -> T:
        """Run ``work`` in the next group's transaction; its result once committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._pending.append((work, future))
        if not self._scheduled and not self._running:
            self._scheduled = True
            # call_soon: after the callbacks already ready in this tick, which is where
            # the other sessions' turns queue their writes.
            loop.call_soon(self._start)
        return await future

    def _start(self) -> None:
        self._scheduled = False
        if self._running or not self._pending:
            return
        group, self._pending = self._pending[: self.max_group], self._pending[self.max_group :]
        task = asyncio.ensure_future(self._commit(group))
        self._running.add(task)  # the loop holds tasks weakly
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Future[None]) -> None:
        self._running.discard(task)
        if self._pending and not self._scheduled:  # what came in meanwhile: the next group
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._start)

    async def _commit(self, group: list[tuple[Work, asyncio.Future[Any]]]) -> None:
        # A caller cancelled before the group ran (its turn was cancelled at shutdown)
        # takes no part: its work is not written.
        group = [(w, f) for w, f in group if not f.cancelled()]
        if not group:
            return

        def run_all(conn: sa.Connection) -> list[Any]:
            return [work(conn) for work, _ in group]

        self.groups += 1
        self.writes += len(group)
        try:
            results = await self._db.write(run_all)
        except BaseException as exc:
            for _, future in group:
                if not future.done():
                    future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        for (_, future), result in zip(group, results, strict=True):
            if not future.done():
                future.set_result(result)
