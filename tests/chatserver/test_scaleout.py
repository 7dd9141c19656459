"""Several processes on one store: turn locks, shared Socket.IO rooms, unanswered turns."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from chatserver.ops.recovery import answer_unanswered
from chatserver.storage.locks import PostgresLocks
from chatserver.web.auth import hash_password
from tests.chatserver.harness import World
from tests.chatserver.live import Agent, Customer, always_open_policy, start_server, text_of
from tests.chatserver.processes import ServerProcess, agent_cookie, serve_sandboxes, write_config


async def test_advisory_locks_serialise_one_session_across_processes(pg_url):
    first, second = PostgresLocks(pg_url), PostgresLocks(pg_url)  # two "processes"
    order: list[str] = []
    try:
        async with first.hold("s1"):
            waiting = asyncio.create_task(_hold(second, "s1", order))
            async with second.hold("s2"):  # another session is not held up
                order.append("s2")
            await asyncio.wait_for(_someone_waits_for_a_lock(pg_url), 10)
            assert not waiting.done()
            order.append("first done")
        await asyncio.wait_for(waiting, 5)
        assert order == ["s2", "first done", "second s1"]
    finally:
        await first.aclose()
        await second.aclose()


async def _someone_waits_for_a_lock(url: str) -> None:
    """Until PostgreSQL shows a connection waiting for an advisory lock in this database
    (every look is a round trip: no sleeping)."""
    engine = create_async_engine(url)
    waiting = sa.text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )
    try:
        async with engine.connect() as conn:
            while not (await conn.execute(waiting)).scalar():
                pass
    finally:
        await engine.dispose()


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
        await world.service.agents.take_over(taken.session_id, "ana")  # people answer this one
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
    locks = [PostgresLocks(pg_url) for _ in range(2)]  # two "processes"
    worlds = [await World(database_url=pg_url, locks=lock).start() for lock in locks]
    try:
        sessions = [await crashed_turn(worlds[0]) for _ in range(5)]
        counts = await asyncio.gather(*(answer_unanswered(w.service) for w in worlds))
        assert sum(counts) == 5
        for session_id in sessions:
            transcript = await worlds[1].storage.messages_since(session_id)
            assert [m.sender for m in transcript] == ["customer", "bot"]
    finally:
        for world, lock in zip(worlds, locks, strict=True):
            await lock.aclose()
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


# --- two real processes: the hand-off sees the agents of every process -----------------


async def test_a_chat_escalated_on_one_process_is_offered_to_an_agent_on_another(
    aiohttp_server, tmp_path, pg_url, redis_url, model_dir
):
    boxes, sandboxes = await serve_sandboxes(aiohttp_server)
    config = write_config(
        tmp_path / "config.yml",
        sandboxes,
        database_url=pg_url,
        redis_url=redis_url,
        model_dir=model_dir,
        policy_path=always_open_policy(tmp_path),
        cookie_secret="shared by both processes, 32 characters or more",
        agents=[{"username": "ana", "password_hash": hash_password("secret")}],
    )
    a = ServerProcess(config, tmp_path / "a.log")
    b = ServerProcess(config, tmp_path / "b.log")
    clients: list = []
    try:
        await a.start()  # first: it creates the schema (two at once would race for it)
        await b.start()
        tickets = len(boxes.zendesk.tickets)
        ana = Agent(a.url, {"Cookie": await agent_cookie(a.url, "ana", "secret")})
        customer = Customer(b.url)
        clients += [ana, customer]
        await ana.connect()  # on process A
        session_id = await customer.open()  # on process B
        said = text_of(await customer.turn("/human_agent"))
        assert "they'll reply here shortly" in said and "email" not in said

        offered = await ana.expect("conversation")
        while offered["session_id"] != session_id or offered["status"] != "waiting":
            offered = await ana.expect("conversation")
        assert offered["escalation_reason"] == "customer_asked"
        assert len(boxes.zendesk.tickets) == tickets  # no ticket: a person is there

        joined = await ana.call("join", {"session_id": session_id})
        assert joined["ok"] and joined["conversation"]["status"] == "human"
        assert await customer.expect("session_status") == {
            "owner": "human",
            "agent_name": None,
        }  # no display_name: never the login
    finally:
        for client in clients:
            await client.aclose()
        await asyncio.gather(a.stop(), b.stop())
        await boxes.aclose()
