"""Who is online in the console, across processes: in memory, or in Redis with a TTL."""

from __future__ import annotations

import secrets

import pytest
from redis.asyncio import Redis

from chatserver.ops.presence import LocalPresence, RedisPresence, agent_presence, deployment_of
from chatserver.settings import load_settings


async def test_one_process_keeps_its_agents_in_memory():
    presence = LocalPresence()
    assert not await presence.agents_online()
    await presence.arrived("sid-1", "alex")
    await presence.arrived("sid-2", "alex")  # a second tab
    await presence.left("sid-1")
    assert await presence.agents_online()
    await presence.left("sid-2")
    assert not await presence.agents_online()


@pytest.fixture
async def redis(redis_url):
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
def deployment() -> str:
    return deployment_of(f"sqlite+aiosqlite:///{secrets.token_hex(8)}.db")  # nobody else's


async def test_an_agent_on_one_process_is_online_for_the_others(redis, deployment):
    a, b = RedisPresence(redis, deployment), RedisPresence(redis, deployment)
    elsewhere = RedisPresence(redis, deployment_of("postgresql+asyncpg://other/db"))
    try:
        await a.arrived("sid-1", "alex")
        assert await b.agents_online()
        assert not await elsewhere.agents_online()  # another deployment's agents
        await a.left("sid-1")
        assert not await b.agents_online()
    finally:
        for presence in (a, b, elsewhere):
            await presence.aclose()


async def test_a_killed_process_stops_counting_when_its_key_expires(redis, deployment):
    a, b = RedisPresence(redis, deployment, ttl=30.0), RedisPresence(redis, deployment)
    try:
        await a.arrived("sid-1", "alex")
        ttl = await redis.pttl(a.key)
        assert 0 < ttl <= 30_000  # the key dies with the heartbeats
        assert await redis.smembers(a.processes) == {a.process.encode()}
        await redis.delete(a.key)  # what Redis does once the process stops beating
        assert not await b.agents_online()
        assert await redis.smembers(a.processes) == set()  # and the dead one is dropped
    finally:
        await b.aclose()


async def test_a_stopped_process_takes_its_agents_out_at_once(redis, deployment):
    a, b = RedisPresence(redis, deployment), RedisPresence(redis, deployment)
    a.start()
    await a.arrived("sid-1", "alex")
    await a.aclose()
    assert not await b.agents_online()
    assert not await redis.exists(a.key)
    await b.aclose()


async def test_without_redis_answers_nobody_is_online(deployment):
    dead = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    presence = RedisPresence(dead, deployment)
    try:
        await presence.arrived("sid-1", "alex")  # logged, not raised
        assert await presence.agents_online()  # this process's own agent still counts
        await presence.left("sid-1")
        assert not await presence.agents_online()  # the others: unknown, so nobody
    finally:
        await dead.aclose()


async def test_the_settings_pick_the_presence(tmp_path, redis_url):
    async with agent_presence(load_settings(data_dir=tmp_path)) as local:
        assert type(local) is LocalPresence
    settings = load_settings(data_dir=tmp_path, redis_url=redis_url)
    async with agent_presence(settings) as shared:
        assert isinstance(shared, RedisPresence)
