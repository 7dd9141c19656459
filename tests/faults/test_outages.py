"""PostgreSQL and Redis going away under a running server, through a proxy the test cuts."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa

from tests.chatserver.harness import World
from tests.chatserver.live import WAIT, Customer, start_server, text_of
from tests.faults.proxy import Proxy


@pytest.fixture
async def pg_proxy(pg_url):
    url = sa.make_url(pg_url)
    proxy = await Proxy(url.host or "127.0.0.1", url.port or 5432).start()
    yield proxy, url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    await proxy.aclose()


async def test_a_database_restart_between_turns_loses_nothing(pg_proxy):
    proxy, url = pg_proxy
    world = await World(database_url=url).start()
    try:
        chat = await world.chat()
        assert "email" in await chat.say("where is my order")
        await proxy.restart()  # every pooled connection is now dead
        assert "order number" in await chat.say("maria@example.com")
        assert "USPS" in await chat.say("#1001")
        transcript = await world.storage.messages_since(chat.session_id)
        assert [m.sender for m in transcript] == ["customer", "bot"] * 3
    finally:
        await world.aclose()


async def test_a_turn_during_an_outage_fails_whole_and_the_next_one_works(pg_proxy):
    proxy, url = pg_proxy
    world = await World(database_url=url).start()
    try:
        chat = await world.chat()
        assert "email" in await chat.say("where is my order")
        proxy.cut()
        with pytest.raises((sa.exc.DBAPIError, OSError)):  # refused, or cut while talking
            await chat.say("maria@example.com")
        proxy.restore()
        # nothing half-stored: the session still waits for the email
        assert "order number" in await chat.say("maria@example.com")
        transcript = await world.storage.messages_since(chat.session_id)
        assert [m.sender for m in transcript] == ["customer", "bot"] * 2
    finally:
        await world.aclose()


@pytest.fixture
async def redis_proxy(redis_url):
    url = sa.make_url(redis_url)
    proxy = await Proxy(url.host or "127.0.0.1", url.port or 6379).start()
    yield proxy, f"redis://127.0.0.1:{proxy.port}/{url.database or 0}"
    await proxy.aclose()


async def test_rooms_survive_a_redis_restart(aiohttp_server, tmp_path, pg_url, redis_proxy):
    proxy, redis_url = redis_proxy
    shared = {"database_url": pg_url, "redis_url": redis_url}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = await start_server(aiohttp_server, tmp_path / "a", **shared)
    b = await start_server(aiohttp_server, tmp_path / "b", **shared)
    here, there = Customer(str(a.make_url("/"))), Customer(str(b.make_url("/")))
    heard: asyncio.Future = asyncio.get_running_loop().create_future()
    try:
        session_id = await here.open()
        assert await there.open(session_id) == session_id
        await here.turn("hello")
        await there.expect("bot_uttered")
        # Each process's listener subscribes again after the library's own second of
        # waiting; publishing reconnects at once. Until the other process's listener is
        # back, what this one publishes is lost: the customer writes again each time a
        # subscription passes the proxy, until the other process hears a turn.
        await proxy.restart()
        heard = asyncio.create_task(there.expect("bot_uttered"))
        for n in range(8):
            subscribed = proxy.expect(b"\r\nSUBSCRIBE\r\n")  # the next one from now
            assert text_of(await here.turn(f"hello again ({n})"))
            done = asyncio.FIRST_COMPLETED
            await asyncio.wait({heard, subscribed}, timeout=WAIT, return_when=done)
            if heard.done():
                break
        assert heard.done(), "the other process never heard from this one again"
        assert heard.result()["text"]
    finally:
        heard.cancel()
        await here.aclose()
        await there.aclose()
