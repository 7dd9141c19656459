"""Several processes on one store: turn locks, shared Socket.IO rooms, unanswered turns."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
import sqlalchemy as sa

from chatserver.ops.recovery import answer_unanswered
from chatserver.storage.locks import PostgresLocks
from tests.chatserver.harness import World
from tests.chatserver.live import Customer, start_server, text_of


async def test_advisory_locks_serialise_one_session_across_processes(pg_url):
    first, second = PostgresLocks(pg_url), PostgresLocks(pg_url)  # two "processes"
    order: list[str] = []
    try:
        async with first.hold("s1"):
            waiting = asyncio.create_task(_hold(second, "s1", order))
            async with second.hold("s2"):  # another session is not held up
                order.append("s2")
            await asyncio.sleep(0.2)
            assert not waiting.done()
            order.append("first done")
        await asyncio.wait_for(waiting, 5)
        assert order == ["s2", "first done", "second s1"]
    finally:
        await first.aclose()
        await second.aclose()


async def _hold(locks: PostgresLocks, session_id: str, order: list[str]) -> None:
    async with locks.hold(session_id):
        order.append(f"second {session_id}")


async def test_a_lock_dies_with_its_connection(pg_url):
    first, second = PostgresLocks(pg_url), PostgresLocks(pg_url)
    try:
        async with first.hold("s1"):
            async with first._engine.connect() as admin:
                await admin.execute(
                    sa.text(
                        "SELECT pg_terminate_backend(pid) FROM pg_locks "
                        "WHERE locktype = 'advisory' AND granted"
                    )
                )
            async with second.hold("s1"):  # the holder is gone: the lock is free
                pass
        # ...and the holder finishes its turn without an error, its lock already gone
    finally:
        await first.aclose()
        await second.aclose()


async def crashed_turn(world: World, text: str = "where is my order") -> str:
    """A chat whose customer message was stored by a process that died before answering."""
    chat = await world.chat()
    await world.storage.add_message(chat.session_id, "customer", text, at=world.now)
    return chat.session_id


async def test_a_turn_left_unanswered_is_answered_once(database_url):
    world = await World(database_url=database_url).start()
    try:
        session_id = await crashed_turn(world)
        answered = await world.chat()  # a finished turn is left alone
        await answered.say("hello")
        taken = await world.chat()
        await world.storage.add_message(taken.session_id, "customer", "hi", at=world.now)
        await world.service.take_over(taken.session_id, "ana")  # people answer this one
        old = await world.chat()
        an_hour_ago = world.now - timedelta(hours=1)
        await world.storage.add_message(old.session_id, "customer", "hi", at=an_hour_ago)

        assert await answer_unanswered(world.service) == 1
        transcript = await world.storage.messages_since(session_id)
        assert [m.sender for m in transcript] == ["customer", "bot"]
        assert "email" in transcript[-1].text
        assert await answer_unanswered(world.service) == 0
    finally:
        await world.aclose()


async def test_two_processes_recovering_at_once_answer_each_turn_once(pg_url):
    worlds = [await World(database_url=pg_url).start() for _ in range(2)]
    for world in worlds:
        world.service.locks = PostgresLocks(pg_url)
    try:
        sessions = [await crashed_turn(worlds[0]) for _ in range(5)]
        counts = await asyncio.gather(*(answer_unanswered(w.service) for w in worlds))
        assert sum(counts) == 5
        for session_id in sessions:
            transcript = await worlds[1].storage.messages_since(session_id)
            assert [m.sender for m in transcript] == ["customer", "bot"]
    finally:
        for world in worlds:
            await world.service.locks.aclose()  # type: ignore[attr-defined]
            await world.aclose()


@pytest.fixture
async def two_servers(aiohttp_server, tmp_path, pg_url, redis_url):
    shared = {"database_url": pg_url, "redis_url": redis_url}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = await start_server(aiohttp_server, tmp_path / "a", **shared)
    b = await start_server(aiohttp_server, tmp_path / "b", **shared)
    return a, b


async def test_tabs_on_two_processes_share_one_conversation(two_servers):
    a, b = two_servers
    here, there = Customer(str(a.make_url("/"))), Customer(str(b.make_url("/")))
    try:
        session_id = await here.open()
        assert await there.open(session_id) == session_id
        assert "email" in text_of(await here.turn("hello, has my order shipped?"))
        # the other process's tab sees the same turn, through Redis
        assert (await there.expect("bot_uttered"))["text"]
    finally:
        await here.aclose()
        await there.aclose()
