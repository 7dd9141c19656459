"""What we take from python-socketio beyond its plain API, pinned in pyproject.toml.

- ``AsyncNamespace.trigger_event``, the hook it documents for custom dispatch, keeps
  clients from faking the lifecycle events (``chatserver.channels.lifecycle``).
- ``AsyncRedisManager._redis_connect``, the one private method we override
  (``chatserver.ops.scaleout``), closes the Redis clients a reconnection replaces.

A new python-socketio minor release is taken only once these pass with it.
"""

from __future__ import annotations

import secrets

import pytest
import socketio
from redis.asyncio import Redis

from chatserver.keys import PRESENCE
from chatserver.ops.limits import ChatLimits
from chatserver.ops.scaleout import _RedisManager
from chatserver.web.auth import SESSION_COOKIE
from tests.chatserver.live import Agent, Customer, start_server, text_of
from tests.chatserver.test_agent import login, session_cookie


async def test_a_customer_cannot_fake_its_disconnect_or_a_connect(aiohttp_server, tmp_path):
    server = await start_server(aiohttp_server, tmp_path, limits=ChatLimits(connections_per_ip=1))
    url = str(server.make_url("/"))
    customer, other = Customer(url), Customer(url)
    try:
        session_id = await customer.open()
        for event in ("disconnect", "connect"):
            await customer.sio.call(event, {"x": 1})  # answered: the server dropped it
        assert text_of(await customer.turn("hello"))  # the session is still this socket's
        with pytest.raises(socketio.exceptions.ConnectionError):
            await other.connect()  # the slot was not released by the fake disconnect
        await customer.aclose()
        assert await other.open() != session_id  # nor taken twice by the fake connect
    finally:
        await customer.aclose()
        await other.aclose()


async def test_an_agent_cannot_fake_leaving(aiohttp_server, tmp_path):
    import aiohttp

    server = await start_server(aiohttp_server, tmp_path)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        await login(http, server)
        cookie = session_cookie(http)
    agent = Agent(str(server.make_url("/")), {"Cookie": f"{SESSION_COOKIE}={cookie}"})
    try:
        await agent.connect()
        await agent.sio.call("disconnect", {}, namespace="/agent")
        assert await server.app[PRESENCE].agents_online()
        assert (await agent.call("list"))["ok"]
    finally:
        await agent.aclose()


async def test_a_redis_reconnection_closes_the_clients_it_replaces(redis_url):
    name = f"chatbot-test-{secrets.token_hex(4)}"
    manager = _RedisManager(
        redis_url, channel=name, redis_options={"client_name": name}, write_only=True
    )
    admin = Redis.from_url(redis_url)

    async def ours() -> int:
        return sum(c["name"] == name for c in await admin.client_list())

    try:
        manager._redis_connect()
        first = manager.redis
        await first.ping()
        assert await ours() == 1
        manager._redis_connect()  # what the library does when Redis comes back
        assert manager.redis is not first
        for task in list(manager._closing):
            await task
        assert await ours() == 0  # the replaced client is closed, not left to leak
        await manager.redis.ping()
        assert await ours() == 1
    finally:
        await manager.redis.aclose()
        await admin.aclose()
