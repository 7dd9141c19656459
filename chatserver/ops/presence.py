"""Who is online in the agent console, across every server process.

A chat hand-off stays in the chat only if an agent can take it: connected to the
console on ANY process (``chatbot serve --workers N``, or several machines), not just
the one running the turn. ``LocalPresence`` (no ``redis_url``: one process) keeps the
agents' sockets in memory. ``RedisPresence`` also keeps, per process, a key in Redis
holding how many agents are connected to it, refreshed by a heartbeat and expiring
after ``ttl`` seconds, so the agents of a process killed without cleaning up stop
counting by themselves. The keys are named after the deployment (a hash of the database
URL): the processes that share a store share their agents, and nobody else's.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from chatserver.settings import Settings

__all__ = ["LocalPresence", "Presence", "RedisPresence", "agent_presence", "deployment_of"]

log = logging.getLogger(__name__)

# Counts the processes whose key still exists; drops the others from the set (they
# expired: the process died). Atomic in Redis, so a process that comes back meanwhile
# is never dropped.
_LIVE = """
local live = 0
for _, process in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[1] .. process) == 1 then
    live = live + 1
  else
    redis.call('SREM', KEYS[1], process)
  end
end
return live
"""


class Presence(Protocol):
    """The agents' sockets; ``agents_online`` is ``chatserver.runner.Staff``."""

    async def arrived(self, sid: str, agent: str) -> None: ...

    async def left(self, sid: str) -> None: ...

    async def agents_online(self) -> bool: ...


class LocalPresence:
    """The agents connected to this process, in memory."""

    def __init__(self) -> None:
        self.agents: dict[str, str] = {}  # sid -> username

    async def arrived(self, sid: str, agent: str) -> None:
        self.agents[sid] = agent

    async def left(self, sid: str) -> None:
        self.agents.pop(sid, None)

    async def agents_online(self) -> bool:
        return bool(self.agents)


def deployment_of(database_url: str) -> str:
    """A short name for the processes that share this store."""
    return hashlib.sha256(database_url.encode()).hexdigest()[:16]


class RedisPresence(LocalPresence):
    """This process's agents in memory, and every process's in Redis.

    Args:
        redis: a client (the caller closes it).
        deployment: what the keys are named after (``deployment_of``).
        ttl: seconds a process's key outlives its last heartbeat.
    """

    def __init__(self, redis: Redis, deployment: str, *, ttl: float = 30.0) -> None:
        super().__init__()
        self.redis = redis
        self.ttl = ttl
        self.process = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"
        self.prefix = f"chatbot:{deployment}:agents:"
        self.processes = f"chatbot:{deployment}:agent-processes"
        self.key = self.prefix + self.process
        self._live = redis.register_script(_LIVE)
        self._heartbeat: asyncio.Task[None] | None = None
        self._listed = False  # this process's key may be in Redis

    def start(self) -> None:
        self._heartbeat = asyncio.create_task(self._beat(), name="agent-presence")

    async def aclose(self) -> None:
        """Stop the heartbeat and take this process's agents out at once."""
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
        self.agents.clear()
        if self._listed:
            await self._publish()

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self.ttl / 3)
            if self.agents:
                await self._publish()

    async def _publish(self) -> None:
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                if self.agents:
                    pipe.set(self.key, len(self.agents), px=int(self.ttl * 1000))
                    pipe.sadd(self.processes, self.process)
                else:
                    pipe.delete(self.key)
                    pipe.srem(self.processes, self.process)
                await pipe.execute()
            self._listed = bool(self.agents)
        except (RedisError, OSError) as exc:  # the heartbeat tries again
            log.warning("could not record the agents online in Redis: %s", exc)

    async def arrived(self, sid: str, agent: str) -> None:
        await super().arrived(sid, agent)
        await self._publish()

    async def left(self, sid: str) -> None:
        await super().left(sid)
        await self._publish()

    async def agents_online(self) -> bool:
        """Any agent on any process; nobody when Redis cannot say (the chat becomes a
        ticket, which a person answers by email)."""
        if self.agents:
            return True
        try:
            live = await self._live(keys=[self.processes], args=[self.prefix])
        except (RedisError, OSError) as exc:
            log.warning("could not read the agents online from Redis: %s", exc)
            return False
        return int(live) > 0


@asynccontextmanager
async def agent_presence(settings: Settings) -> AsyncIterator[LocalPresence]:
    """The presence for these settings: in Redis when ``redis_url`` is set."""
    if not settings.redis_url:
        yield LocalPresence()
        return
    redis = Redis.from_url(settings.redis_url)
    presence = RedisPresence(redis, deployment_of(settings.database_url))
    presence.start()
    try:
        yield presence
    finally:
        await presence.aclose()
        await redis.aclose()
