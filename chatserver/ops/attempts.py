"""Failed order proofs, counted where an attacker cannot reset them.

Proving an order in chat means naming its email and its number together; a wrong pair
costs one attempt. Counted in the session alone, a new session would start at zero, so
failures are counted per session, per client address, per claimed email and per order
number, across sessions and processes: in Redis when ``redis_url`` is set, in memory
otherwise. The runner asks before each proof's Shopify lookup (``reserve``): past a limit,
or inside the back-off after a failure, no lookup happens at all.

``reserve`` counts the attempt as a failure at once, atomically with the check, so
guesses sent at the same moment from many sessions cannot all pass a check made before
any of them failed; a proof that matches (or a lookup that could not be made) is taken
back with ``forgive``. After ``n`` failures a key waits ``backoff * 2**(n-1)`` seconds
(at most the window) from its last failure; at its limit it is locked until ``window``
seconds after its last failure. Keys are hashed: no email address is kept in Redis.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from chatserver.ops.presence import deployment_of
from chatserver.settings import LimitSettings, Settings

__all__ = ["MemoryAttempts", "ProofLimits", "RedisAttempts", "proof_attempts"]

log = logging.getLogger(__name__)

MAX_KEYS = 50_000  # beyond this many keys, those past their window are dropped

# KEYS: the counters; ARGV: now, window, backoff, then one limit per key.
# Returns {wait seconds as a string, 1 if locked}; when the wait is 0 every key counted one.
_RESERVE = """
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local backoff = tonumber(ARGV[3])
local wait, locked = 0, 0
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[3 + i])
  local n = tonumber(redis.call('HGET', key, 'n') or '0')
  if n > 0 then
    local last = tonumber(redis.call('HGET', key, 'last') or '0')
    local w
    if n >= limit then
      w = last + window - now
      if w > 0 then locked = 1 end
    else
      w = last + math.min(backoff * 2 ^ (n - 1), window) - now
    end
    if w > wait then wait = w end
  end
end
if wait > 0 then return {tostring(wait), locked} end
for _, key in ipairs(KEYS) do
  redis.call('HINCRBY', key, 'n', 1)
  redis.call('HSET', key, 'last', ARGV[1])
  redis.call('PEXPIRE', key, math.ceil(window * 1000))
end
return {'0', 0}
"""
_FORGIVE = """
for _, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 and redis.call('HINCRBY', key, 'n', -1) <= 0 then
    redis.call('DEL', key)
  end
end
return 0
"""


@dataclass(frozen=True)
class ProofLimits:
    """The numbers, from the ``limits:`` section; a limit of 0 does not count that key."""

    per_session: int = 5
    per_ip: int = 20
    per_email: int = 5
    per_order: int = 5
    window: float = 3600.0
    backoff: float = 1.0

    @classmethod
    def from_settings(cls, limits: LimitSettings) -> ProofLimits:
        return cls(
            per_session=limits.proof_failures_per_session,
            per_ip=limits.proof_failures_per_ip,
            per_email=limits.proof_failures_per_email,
            per_order=limits.proof_failures_per_order,
            window=limits.proof_window_minutes * 60.0,
            backoff=limits.proof_backoff_seconds,
        )

    def keys(self, session: str, client: str, email: str, order: str) -> list[tuple[str, int]]:
        """The hashed counters a claim touches, with their limits."""
        if self.window <= 0:
            return []
        values = (
            ("session", session, self.per_session),
            ("ip", client, self.per_ip),
            ("email", email.strip().casefold(), self.per_email),
            ("order", re.sub(r"\D", "", order) or order.strip(), self.per_order),
        )
        return [(_hashed(kind, value), limit) for kind, value, limit in values if value and limit]

    def wait(self, n: int, last: float, limit: int, now: float) -> tuple[float, bool]:
        """Seconds a key with ``n`` failures, the last at ``last``, still waits; locked?"""
        if n <= 0:
            return 0.0, False
        if n >= limit:
            left = last + self.window - now
            return max(left, 0.0), left > 0
        return max(last + min(self.backoff * 2 ** (n - 1), self.window) - now, 0.0), False


def _hashed(kind: str, value: str) -> str:
    return f"{kind}:{hashlib.sha256(f'{kind}:{value}'.encode()).hexdigest()[:32]}"


class MemoryAttempts:
    """The counters in this process (one process, or Redis unreachable).

    Args:
        limits: the numbers.
        clock: wall-clock seconds (tests move it).
    """

    def __init__(self, limits: ProofLimits, clock: Callable[[], float] = time.time) -> None:
        self.limits = limits
        self.clock = clock
        self._failures: dict[str, tuple[int, float]] = {}  # key -> (count, last failure)

    async def reserve(self, *, session: str, client: str, email: str, order: str) -> float:
        """0: go ahead (counted as a failure until forgiven); else seconds to wait
        (``math.inf``: locked for now)."""
        keys = self.limits.keys(session, client, email, order)
        now = self.clock()
        wait, locked = 0.0, False
        for key, limit in keys:
            n, last = self._failures.get(key, (0, 0.0))
            w, lock = self.limits.wait(n, last, limit, now)
            wait, locked = max(wait, w), locked or lock
        if wait > 0:
            return math.inf if locked else wait
        if len(self._failures) > MAX_KEYS:
            self._forget(now)
        for key, _ in keys:
            n, _last = self._failures.get(key, (0, 0.0))
            self._failures[key] = (n + 1, now)
        return 0.0

    async def forgive(self, *, session: str, client: str, email: str, order: str) -> None:
        """The reserved attempt was no failure (it proved the order, or no lookup was made)."""
        for key, _ in self.limits.keys(session, client, email, order):
            n, last = self._failures.get(key, (0, 0.0))
            if n <= 1:
                self._failures.pop(key, None)
            else:
                self._failures[key] = (n - 1, last)

    def _forget(self, now: float) -> None:
        cutoff = now - self.limits.window
        for key in [k for k, (_, last) in self._failures.items() if last <= cutoff]:
            del self._failures[key]


class RedisAttempts:
    """The counters in Redis, shared by every process of the deployment.

    When Redis cannot answer, this process's own counters stand in (logged), so an
    outage neither stops every proof nor lifts the limits.
    """

    def __init__(
        self,
        redis: Redis,
        deployment: str,
        limits: ProofLimits,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.redis = redis
        self.limits = limits
        self.clock = clock
        self.prefix = f"chatbot:{deployment}:proof:"
        self.fallback = MemoryAttempts(limits, clock)
        self._reserve = redis.register_script(_RESERVE)
        self._forgive = redis.register_script(_FORGIVE)

    async def reserve(self, *, session: str, client: str, email: str, order: str) -> float:
        keys = self.limits.keys(session, client, email, order)
        if not keys:
            return 0.0
        args = [repr(self.clock()), repr(self.limits.window), repr(self.limits.backoff)]
        try:
            wait, locked = await self._reserve(
                keys=[self.prefix + k for k, _ in keys], args=args + [str(n) for _, n in keys]
            )
        except (RedisError, OSError) as exc:
            log.warning("proof attempts: Redis unreachable (%s); counting in this process", exc)
            return await self.fallback.reserve(
                session=session, client=client, email=email, order=order
            )
        wait = float(wait)
        return 0.0 if wait <= 0 else (math.inf if int(locked) else wait)

    async def forgive(self, *, session: str, client: str, email: str, order: str) -> None:
        keys = self.limits.keys(session, client, email, order)
        if not keys:
            return
        try:
            await self._forgive(keys=[self.prefix + k for k, _ in keys])
        except (RedisError, OSError) as exc:
            log.warning("proof attempts: Redis unreachable (%s)", exc)
            await self.fallback.forgive(session=session, client=client, email=email, order=order)


@asynccontextmanager
async def proof_attempts(
    settings: Settings, clock: Callable[[], float] = time.time
) -> AsyncIterator[MemoryAttempts | RedisAttempts]:
    """The proof-attempt counters for these settings: in Redis when ``redis_url`` is set."""
    limits = ProofLimits.from_settings(settings.limits)
    if not settings.redis_url:
        yield MemoryAttempts(limits, clock)
        return
    redis = Redis.from_url(settings.redis_url)
    try:
        yield RedisAttempts(redis, deployment_of(settings.database_url), limits, clock)
    finally:
        await redis.aclose()
