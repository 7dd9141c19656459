"""Failed order proofs are limited where an attacker cannot reset them (issue 12, finding 2).

Before: the order was looked up before the attempt count was checked, reaching the limit
only escalated, and the count lived in the session, so a patient attacker with a known
email walked order numbers in new sessions, four guesses each, and read the order on the
ninth guess. Now every failure counts per session, client address, claimed email and order
number, across sessions (and processes, in Redis), with a growing back-off; past a limit
the runner makes no Shopify lookup at all and the customer is told so and offered a person.
(``chatserver.ops.attempts`` is imported inside the tests: on the code before the fix the
session-limit and real-server tests fail on what it did.)
"""

from __future__ import annotations

import asyncio
import math

import httpx
import pytest

from chatserver.dialogue.actions import LookupOrder
from chatserver.dialogue.events import OrderFound
from chatserver.runner import Runner
from integrations.models import Order
from tests.chatserver.harness import World
from tests.chatserver.live import Customer, text_of
from tests.chatserver.processes import ServerProcess, serve_sandboxes, write_config

TRACKING = "9400111899223456789017"  # Maria's parcel: the order's details
REFUSED = "For your security"
# Walking down to Maria's own order: the ninth guess is right.
WALK = [f"#{n}" for n in range(1009, 1000, -1)]


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


class Lookups:
    """Counts what the service asks the Shopify sandbox (an httpx event hook)."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.count = 0
        http.event_hooks["request"].append(self._seen)

    async def _seen(self, request: httpx.Request) -> None:
        if request.url.host == "shopify.test":
            self.count += 1


@pytest.fixture
def clock():
    return Clock()


def limits(**numbers):
    from chatserver.ops.attempts import ProofLimits

    return ProofLimits(**numbers)


def memory(clock, **numbers):
    from chatserver.ops.attempts import MemoryAttempts

    return MemoryAttempts(limits(**numbers), clock)


def refused(retry_after=None):
    from chatserver.dialogue.events import ProofRefused

    return ProofRefused(retry_after)


@pytest.fixture
async def world(clock):
    attempts = memory(clock)
    w = await World(attempts=attempts).start()
    yield w
    await w.aclose()


async def test_walking_order_numbers_in_new_sessions_never_reaches_the_order(world, clock):
    lookups = Lookups(world.http)
    replies, counted = [], []
    for start in range(0, len(WALK), 4):  # a new session every four guesses
        chat = await world.chat()
        await chat.say("where is my order")
        for guess in WALK[start : start + 4]:
            clock.now += 60  # past every back-off: only the limits stop it
            replies.append(await chat.say(f"maria@example.com {guess}"))
            counted.append(lookups.count)
    assert not any(TRACKING in r for r in replies)  # the ninth guess (#1001) is refused
    assert REFUSED in replies[-1] and "someone from our team" in replies[-1]
    # Five failures for this email: the sixth guess onwards never reaches Shopify.
    assert counted[5:] == [counted[4]] * (len(WALK) - 5)


async def test_a_refusal_offers_a_person_and_looks_nothing_up(world, clock):
    for guess in ("#2001", "#2002", "#2003", "#2004", "#2005"):
        chat = await world.chat()
        await chat.say("where is my order")
        clock.now += 60
        await chat.say(f"maria@example.com {guess}")
    lookups = Lookups(world.http)
    chat = await world.chat()
    await chat.say("where is my order")
    clock.now += 60
    reply = await chat.say("maria@example.com #1001")
    assert REFUSED in reply and TRACKING not in reply and lookups.count == 0
    assert ("Talk to a person", "/human_agent") in chat.buttons


async def test_the_session_limit_stops_lookups_after_its_escalation():
    world = await World().start()  # the policy's own limit per session, no other counter
    try:
        lookups = Lookups(world.http)
        chat = await world.chat()
        await chat.say("where is my order")
        for n in range(5):
            await chat.say(f"nobody{n}@example.com #30{n}0")  # other emails, other orders
        assert chat.last.escalated and chat.last.escalation_reason == "identity_not_proven"
        before = lookups.count
        await chat.say("where is my order")
        reply = await chat.say("maria@example.com #1001")
        assert lookups.count == before and REFUSED in reply and TRACKING not in reply
    finally:
        await world.aclose()


async def test_a_quick_second_guess_waits_out_the_back_off(world, clock):
    chat = await world.chat()
    await chat.say("where is my order")
    assert "couldn't find" in await chat.say("maria@example.com #2001")
    reply = await chat.say("maria@example.com #1001")  # at once: inside the back-off
    assert "please wait 1 second" in reply and TRACKING not in reply
    clock.now += 1.5
    await chat.say("where is my order")
    assert TRACKING in await chat.say("maria@example.com #1001")


async def test_one_address_is_limited_across_emails_and_sessions(clock):
    attempts = memory(clock, per_ip=3, per_email=100, per_order=100, per_session=100)
    world = await World(attempts=attempts).start()
    try:
        runner = world.service.runner
        for n in range(3):
            clock.now += 60
            event = await runner.execute(
                LookupOrder(f"#300{n}", f"p{n}@example.com", proof=True),
                session_id=f"s{n}",
                client="203.0.113.9",
            )
            assert event == OrderFound(None, f"p{n}@example.com", proof=True)
        clock.now += 60
        blocked = await runner.execute(
            LookupOrder("#1001", "maria@example.com", proof=True),
            session_id="new",
            client="203.0.113.9",
        )
        assert blocked == refused()
        other = await runner.execute(
            LookupOrder("#1001", "maria@example.com", proof=True),
            session_id="new",
            client="198.51.100.7",
        )
        assert isinstance(other, OrderFound) and other.order is not None
    finally:
        await world.aclose()


# --- the counters themselves ------------------------------------------------------------


class CountingShop:
    """A Shopify stand-in that answers one order and counts every lookup."""

    def __init__(self, delay: float = 0.0) -> None:
        self.calls = 0
        self.delay = delay

    async def order_by_name(self, name: str, email: str | None = None) -> Order | None:
        self.calls += 1
        await asyncio.sleep(self.delay)
        return None


async def test_guesses_sent_at_once_from_many_sessions_get_one_lookup(clock):
    shop = CountingShop(delay=0.01)
    runner = Runner(shop, tracker=None, attempts=memory(clock))  # type: ignore[arg-type]
    events = await asyncio.gather(
        *(
            runner.execute(
                LookupOrder(f"#{1000 + n}", "maria@example.com", proof=True),
                session_id=f"s{n}",
                client=f"198.51.100.{n}",
            )
            for n in range(50)
        )
    )
    assert shop.calls == 1
    assert sum(e == refused(e.retry_after) for e in events if hasattr(e, "retry_after")) == 49


def test_the_back_off_doubles_then_the_limit_locks_for_the_window():
    numbers = limits(backoff=1.0, window=3600.0)
    assert [numbers.wait(n, 0.0, 5, 0.0)[0] for n in range(6)] == [0, 1, 2, 4, 8, 3600]
    assert numbers.wait(5, 0.0, 5, 0.0) == (3600.0, True)
    assert numbers.wait(5, 0.0, 5, 3600.0) == (0.0, False)  # forgotten after the window


async def test_a_matching_proof_or_an_unanswered_lookup_is_no_failure(clock):
    attempts = memory(clock, per_email=1)
    claim = {"session": "s", "client": "ip", "email": "maria@example.com", "order": "#1001"}
    for _ in range(3):
        assert await attempts.reserve(**claim) == 0
        await attempts.forgive(**claim)
        clock.now += 0.001
    assert await attempts.reserve(**claim) == 0  # a failure: now locked
    assert await attempts.reserve(**claim) == math.inf


async def test_emails_and_order_numbers_count_however_they_are_written(clock):
    attempts = memory(clock, per_email=1, per_order=100, per_ip=0, per_session=0)
    await attempts.reserve(session="a", client="", email="Maria@Example.com", order="#1001")
    wait = await attempts.reserve(session="b", client="", email=" maria@example.com", order="1002")
    assert wait == math.inf


async def test_redis_counts_across_processes(redis_url, clock):
    from redis.asyncio import Redis

    from chatserver.ops.attempts import ProofLimits, RedisAttempts

    clients = [Redis.from_url(redis_url) for _ in range(2)]
    deployment = f"test-{id(clock)}"
    first, second = (RedisAttempts(r, deployment, ProofLimits(), clock) for r in clients)
    try:
        claim = {"session": "", "client": "", "email": "maria@example.com", "order": ""}
        for _ in range(5):
            assert await first.reserve(**claim) == 0
            clock.now += 60
        assert await second.reserve(**claim) == math.inf  # another process, same limit
        await second.forgive(**claim)  # one taken back: one more try, then locked again
        assert await first.reserve(**claim) == 0
        assert 0 < await first.reserve(**claim) == math.inf
        # Many at once from both processes: the check and the count are one step.
        clock.now += 3600
        await clients[0].delete(
            *[first.prefix + k for k, _ in ProofLimits().keys("", "", "maria@example.com", "")]
        )
        waits = await asyncio.gather(*(p.reserve(**claim) for p in (first, second) * 10))
        assert sum(w == 0 for w in waits) == 1
        keys = [k async for k in clients[0].scan_iter(f"{first.prefix}*")]
        assert keys and not any(b"maria" in k for k in keys)  # hashed: no address in Redis
    finally:
        for r in clients:
            await r.delete(*[k async for k in r.scan_iter(f"chatbot:{deployment}:*")] or ["-"])
            await r.aclose()


async def test_without_redis_the_process_still_counts(clock):
    from redis.asyncio import Redis

    from chatserver.ops.attempts import ProofLimits, RedisAttempts

    redis = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    attempts = RedisAttempts(redis, "gone", ProofLimits(per_email=1), clock)
    claim = {"session": "", "client": "", "email": "maria@example.com", "order": ""}
    try:
        assert await attempts.reserve(**claim) == 0
        assert await attempts.reserve(**claim) == math.inf
    finally:
        await redis.aclose()


async def test_walking_order_numbers_against_a_real_server(aiohttp_server, tmp_path, model_dir):
    """The finding as reported: a real ``chatbot serve``, a new session every four guesses."""
    boxes, sandboxes = await serve_sandboxes(aiohttp_server)
    config = write_config(
        tmp_path / "config.yml",
        sandboxes,
        model_dir=model_dir,
    )
    server = ServerProcess(config, tmp_path / "server.log")
    said = []
    try:
        await server.start()
        for start in range(0, len(WALK), 4):
            attacker = Customer(server.url)
            try:
                await attacker.open()
                await attacker.turn("where is my order")
                for guess in WALK[start : start + 4]:
                    said.append(text_of(await attacker.turn(f"maria@example.com {guess}")))
            finally:
                await attacker.aclose()
    finally:
        await server.stop()
        await boxes.aclose()
    assert len(said) == 9 and not any(TRACKING in s for s in said), said
