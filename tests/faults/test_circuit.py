"""A dead API is not hammered: the circuit opens, customers still get the holding answer,
one probe goes through after the cooldown, and the circuit closes when the API is back.
Also: one vendor's circuit never blocks another's, a carrier's "not found" never opens
it, and a dead token endpoint costs at most ``attempts`` token calls per request.
"""

from __future__ import annotations

import httpx
import pytest

from integrations.carriers.usps import UspsClient
from integrations.errors import IntegrationUnavailable
from integrations.http import RetryPolicy
from integrations.shopify import ShopifyClient
from tests.faults.outside_rig import FailingWorld, misbehave

FIRST = "Hi, I bought something last week and I haven't heard anything. Has it shipped?"
HOLDING = "our order system did not answer"
THRESHOLD, COOLDOWN = 4, 30.0


@pytest.fixture
async def world():
    w = await FailingWorld(threshold=THRESHOLD, cooldown=COOLDOWN).start()
    yield w
    await w.aclose()


async def ask(world: FailingWorld, email: str = "maria@example.com") -> str:
    chat = await world.chat("email", identity_email=email)
    return await chat.say(FIRST)


async def test_the_circuit_opens_stops_calling_then_probes_and_closes(world):
    usps = world.sandboxes.by_name()["usps"]
    misbehave(usps, "5xx")
    breaker = world.breakers["usps"]
    turns = 0
    while breaker.state == "closed":
        assert HOLDING in await ask(world)
        turns += 1
        assert turns <= THRESHOLD  # every try of every turn counts towards the threshold
    assert breaker.state == "open"

    calls = world.calls["usps"]
    for _ in range(5):  # open: answered at once, and USPS is not asked at all
        assert HOLDING in await ask(world)
    assert world.calls["usps"] == calls

    world.clock.now += COOLDOWN  # half-open: one probe, which fails: open again
    assert breaker.state == "half-open"
    assert HOLDING in await ask(world)
    assert world.calls["usps"] == calls + 1
    assert breaker.state == "open"
    assert HOLDING in await ask(world)
    assert world.calls["usps"] == calls + 1

    usps.faults.reset()  # back; after the cooldown the probe succeeds and closes it
    world.clock.now += COOLDOWN
    assert "9400111899223456789017" in await ask(world)
    assert breaker.state == "closed"
    assert "9400111899223456789017" in await ask(world)


async def test_one_dead_carrier_does_not_block_the_others(world):
    misbehave(world.sandboxes.by_name()["usps"], "timeout")
    for _ in range(THRESHOLD):
        assert HOLDING in await ask(world)
    assert world.breakers["usps"].state == "open"
    assert "772118345670" in await ask(world, "james@example.com")  # FedEx
    assert "1Z999AA10123456784" in await ask(world, "priya@example.com")  # UPS
    assert "4982173652" in await ask(world, "lukas@example.com")  # DHL
    assert {n: b.state for n, b in world.breakers.items() if n != "usps"} == dict.fromkeys(
        ("shopify", "fedex", "ups", "dhl"), "closed"
    )


async def test_a_parcel_the_carrier_does_not_know_never_opens_the_circuit(world):
    for _ in range(THRESHOLD * 2):
        reply = await ask(world, "ava@example.com")  # USPS has no record of it yet
        assert HOLDING not in reply
    assert world.breakers["usps"].state == "closed"


async def test_four_hundreds_never_open_the_circuit(world):
    misbehave(world.sandboxes.by_name()["dhl"], "5xx")
    world.sandboxes.by_name()["dhl"].faults.error_status = 400
    for _ in range(THRESHOLD * 2):
        assert HOLDING in await ask(world, "lukas@example.com")
    assert world.breakers["dhl"].state == "closed"


# --- a dead token endpoint is not retried inside every retry -------------------------------


async def _no_sleep(_: float) -> None:
    return None


def _answer(status: int, body: bytes) -> httpx.Response:
    return httpx.Response(status, stream=httpx.ByteStream(body))


async def test_a_dead_token_endpoint_costs_at_most_attempts_calls_per_request():
    calls: list[str] = []

    def dead(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        return _answer(503, b"down")

    policy = RetryPolicy(attempts=3)
    async with httpx.AsyncClient(transport=httpx.MockTransport(dead)) as http:
        shop = ShopifyClient(
            http, base_url="http://shop.test", client_id="id", client_secret="secret",
            sleep=_no_sleep, retry=policy,
        )  # fmt: skip
        with pytest.raises(IntegrationUnavailable):
            await shop.latest_orders("maria@example.com")
    assert calls == ["/admin/oauth/access_token"] * policy.attempts


async def test_a_refused_token_refetched_from_a_dead_endpoint_is_not_retried_around():
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if request.url.path.endswith("/token"):
            if calls.count(request.url.path) == 1:
                return _answer(200, b'{"access_token": "t", "expires_in": 3600}')
            return _answer(503, b"down")
        return _answer(401, b"{}")  # the token is refused: fetch a new one, once

    policy = RetryPolicy(attempts=3)
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        usps = UspsClient(
            http, base_url="http://usps.test", client_id="id", client_secret="secret",
            sleep=_no_sleep, retry=policy,
        )  # fmt: skip
        with pytest.raises(IntegrationUnavailable):
            await usps.track("9400111899223456789017")
    token, track = "/oauth2/v3/token", "/tracking/v3/tracking/9400111899223456789017"
    assert calls == [token, track] + [token] * policy.attempts


async def test_a_maintenance_page_served_with_200_opens_the_circuit_too(world):
    usps = world.sandboxes.by_name()["usps"]
    misbehave(usps, "html-200")
    breaker = world.breakers["usps"]
    for _ in range(THRESHOLD):
        assert HOLDING in await ask(world)
        if breaker.state == "open":
            break
    assert breaker.state == "open"
    calls = world.calls["usps"]
    assert HOLDING in await ask(world)
    assert world.calls["usps"] == calls  # not asked again while open
