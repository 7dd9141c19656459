"""A short-lived result cache with single flight, for answers worth sharing across
conversations (a carrier's tracking result for one parcel)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

__all__ = ["TTLCache"]

T = TypeVar("T")


class TTLCache(Generic[T]):
    """A small cache whose entries expire, with single flight: concurrent misses on one
    key share one call, so a burst of questions about one parcel makes one carrier call.
    Failures are not cached."""

    def __init__(
        self, ttl: float, *, max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._values: dict[str, tuple[float, T]] = {}
        self._inflight: dict[str, asyncio.Future[T]] = {}

    async def get_or_fetch(self, key: str, fetch: Callable[[], Awaitable[T]]) -> T:
        hit = self._values.get(key)
        if hit is not None and hit[0] > self._clock():
            return hit[1]
        pending = self._inflight.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            value = await fetch()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: waiters re-raise it themselves
            raise
        else:
            future.set_result(value)
            self._store(key, value)
            return value
        finally:
            del self._inflight[key]

    def _store(self, key: str, value: T) -> None:
        if len(self._values) >= self.max_entries:
            now = self._clock()
            self._values = {k: v for k, v in self._values.items() if v[0] > now}
            while len(self._values) >= self.max_entries:
                self._values.pop(next(iter(self._values)))
        self._values[key] = (self._clock() + self.ttl, value)
