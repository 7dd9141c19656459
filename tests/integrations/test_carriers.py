"""What every carrier client does alike, each against its sandbox over real HTTP."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from aiohttp import web

from integrations.carriers import Carrier, CarrierRegistry, tracking_url
from integrations.carriers.dhl import DhlClient
from integrations.carriers.fedex import FedexClient
from integrations.carriers.ups import UpsClient
from integrations.carriers.usps import UspsClient
from integrations.errors import AuthFailed, BadResponse, IntegrationUnavailable, RateLimited
from integrations.http import RetryPolicy
from integrations.models import TrackingStatus
from integrations.sandbox import demo
from integrations.sandbox.base import mount
from integrations.sandbox.dhl import DhlSimulator
from integrations.sandbox.fedex import FedexSimulator
from integrations.sandbox.ups import UpsSimulator
from integrations.sandbox.usps import UspsSimulator

OAUTH = ("usps", "fedex", "ups")
ALL = (*OAUTH, "dhl")
KNOWN = {
    "usps": demo.USPS_MARIA,
    "fedex": demo.FEDEX_JAMES,
    "ups": demo.UPS_PRIYA,
    "dhl": demo.DHL_LUKAS,
}
OTHER = {
    "usps": demo.USPS_OLIVIA_BLANKET,
    "fedex": "986578788855",
    "ups": demo.UPS_OLIVIA_CANDLES,
    "dhl": "3318810025",
}
UNKNOWN = {
    "usps": demo.USPS_AVA_UNKNOWN,
    "fedex": "799531274483",
    "ups": "1Z5R89390357567127",
    "dhl": "8487135506",
}


class Clock:
    def __init__(self) -> None:
        self.now = 10_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Mangled:
    """Passes token requests through and rewrites tracking answers."""

    def __init__(self, sim: Any, mangle: Any) -> None:
        self.sim = sim
        self.faults = sim.faults
        self.mangle = mangle

    async def handle(self, request: httpx.Request) -> httpx.Response:
        answer = await self.sim.handle(request)
        return answer if "token" in request.url.path else self.mangle(answer)


@dataclass
class Rig:
    sim: Any
    client: Carrier
    clock: Clock
    sleeps: list[float] = field(default_factory=list)


def _simulator(carrier: str, clock: Clock, token_lifetime: float) -> Any:
    if carrier == "dhl":
        return DhlSimulator()
    cls = {"usps": UspsSimulator, "fedex": FedexSimulator, "ups": UpsSimulator}[carrier]
    return cls(token_lifetime=token_lifetime, clock=clock)


@pytest.fixture
async def rig(aiohttp_server):
    clients: list[httpx.AsyncClient] = []

    async def start(
        carrier: str,
        *,
        secret: str = "demo",
        token_lifetime: float = 3600.0,
        mangle: Any = None,
        on_sleep: Any = None,
        **options: Any,
    ) -> Rig:
        clock = Clock()
        sim = _simulator(carrier, clock, token_lifetime)
        app = web.Application()
        mount(app, f"/sandbox/{carrier}", Mangled(sim, mangle) if mangle else sim)
        server = await aiohttp_server(app)
        http = httpx.AsyncClient()
        clients.append(http)
        sleeps: list[float] = []

        async def sleep(seconds: float) -> None:
            sleeps.append(seconds)
            if on_sleep is not None:
                on_sleep(sim)

        options = {"sleep": sleep, "jitter": lambda: 0.0, "timeout": 5.0, **options}
        base_url = str(server.make_url(f"/sandbox/{carrier}"))
        client: Carrier
        if carrier == "dhl":
            client = DhlClient(http, base_url=base_url, api_key=secret, **options)
        else:
            cls = {"usps": UspsClient, "fedex": FedexClient, "ups": UpsClient}[carrier]
            client = cls(
                http,
                base_url=base_url,
                client_id="shop-123",
                client_secret=secret,
                clock=clock,
                **options,
            )
        return Rig(sim, client, clock, sleeps)

    yield start
    for http in clients:
        await http.aclose()


# --- the demo shop, as the dialogue will see it ------------------------------


async def test_usps_maria_is_in_transit_with_an_estimated_date(rig):
    r = await rig("usps")
    t = await r.client.track(demo.USPS_MARIA)
    assert t.status is TrackingStatus.IN_TRANSIT
    assert t.estimated_delivery is not None and t.estimated_delivery.tzinfo is not None
    assert t.delivered_at is None
    assert t.service == "USPS Ground Advantage™"
    assert t.events[0].description == "Arrived at USPS Regional Facility"
    assert t.events[-1].status is TrackingStatus.LABEL_CREATED


async def test_fedex_james_is_delayed(rig):
    r = await rig("fedex")
    t = await r.client.track(demo.FEDEX_JAMES)
    assert t.status is TrackingStatus.DELAYED
    assert t.raw_status == "DY"
    assert t.events[0].status is TrackingStatus.DELAYED
    assert t.service == "FedEx Ground"


async def test_ups_priya_is_delivered_with_a_time(rig):
    r = await rig("ups")
    t = await r.client.track(demo.UPS_PRIYA)
    shipment = demo.build_demo_shop().shipments_for("ups")[demo.UPS_PRIYA]
    assert t.status is TrackingStatus.DELIVERED
    assert t.delivered_at is not None
    assert abs((t.delivered_at - shipment.delivered_at).total_seconds()) < 120
    assert t.events[1].status is TrackingStatus.OUT_FOR_DELIVERY


async def test_dhl_lukas_is_out_for_delivery(rig):
    r = await rig("dhl")
    t = await r.client.track(demo.DHL_LUKAS)
    assert t.status is TrackingStatus.OUT_FOR_DELIVERY
    assert t.estimated_delivery is not None
    assert t.raw_status == "transit"


async def test_usps_ava_is_not_found_yet(rig):
    r = await rig("usps")
    t = await r.client.track(demo.USPS_AVA_UNKNOWN)
    assert t.status is TrackingStatus.NOT_FOUND
    assert t.raw_status == "150002"


@pytest.mark.parametrize("carrier", ALL)
async def test_unknown_numbers_are_not_found_not_errors(rig, carrier):
    r = await rig(carrier)
    t = await r.client.track(UNKNOWN[carrier])
    assert (t.carrier, t.status, t.events) == (carrier, TrackingStatus.NOT_FOUND, ())


@pytest.mark.parametrize("carrier", ALL)
async def test_every_demo_shipment_maps_to_its_status(rig, carrier):
    r = await rig(carrier)
    for number, shipment in demo.build_demo_shop().shipments_for(carrier).items():
        t = await r.client.track(" ".join([number[:4], number[4:]]))  # spaces are fine
        assert (t.number, t.status) == (number, shipment.status)
        assert len(t.events) == len(shipment.events)
        stamps = [e.at for e in t.events]
        assert all(s is not None and s.tzinfo is not None for s in stamps)
        assert stamps == sorted(stamps, reverse=True)  # newest first
        assert t.url == tracking_url(carrier, number)


# --- auth --------------------------------------------------------------------


@pytest.mark.parametrize("carrier", ALL)
async def test_wrong_secret_is_auth_failed(rig, carrier):
    r = await rig(carrier, secret="not-the-secret")
    with pytest.raises(AuthFailed) as err:
        await r.client.track(KNOWN[carrier])
    assert err.value.vendor == carrier
    assert r.sleeps == []  # not retried


@pytest.mark.parametrize("carrier", OAUTH)
async def test_concurrent_calls_share_one_token(rig, carrier):
    r = await rig(carrier)
    results = await asyncio.gather(*(r.client.track(KNOWN[carrier]) for _ in range(20)))
    assert {t.number for t in results} == {KNOWN[carrier]}
    assert r.sim.tokens.issued == 1


@pytest.mark.parametrize("carrier", OAUTH)
async def test_an_expiring_token_is_refreshed_before_use(rig, carrier):
    r = await rig(carrier, token_lifetime=600)
    await r.client.track(KNOWN[carrier])
    r.clock.advance(601)  # the sandbox would now refuse the old token
    t = await r.client.track(KNOWN[carrier])
    assert t.status is not TrackingStatus.NOT_FOUND
    assert r.sim.tokens.issued == 2


@pytest.mark.parametrize("carrier", OAUTH)
async def test_a_refused_token_is_fetched_again_once(rig, carrier):
    r = await rig(carrier)
    await r.client.track(KNOWN[carrier])
    r.sim.tokens.revoke_all()  # e.g. rotated credentials: the API answers 401
    await r.client.track(KNOWN[carrier])
    assert r.sim.tokens.issued == 2


@pytest.mark.parametrize("carrier", OAUTH)
async def test_a_token_refused_again_is_auth_failed(rig, carrier):
    r = await rig(carrier)
    r.sim.tokens.valid = lambda header: False
    with pytest.raises(AuthFailed):
        await r.client.track(KNOWN[carrier])
    assert r.sim.tokens.issued == 2


# --- throttling, failures, timeouts --------------------------------------------


@pytest.mark.parametrize("carrier", ALL)
async def test_429_waits_retry_after_then_succeeds(rig, carrier):
    r = await rig(carrier)
    await r.client.track(KNOWN[carrier])  # warm up (token)
    r.sim.faults.reset()
    r.sim.faults.rate_limit_every = 2
    r.sim.faults.retry_after = 3
    await r.client.track(OTHER[carrier])  # request 1: answered
    t = await r.client.track(OTHER[carrier])  # request 2: 429, a wait, request 3 answered
    assert t.number == OTHER[carrier]
    assert r.sleeps == [3.0]


@pytest.mark.parametrize("carrier", ALL)
async def test_429_that_persists_is_rate_limited_with_retry_after(rig, carrier):
    r = await rig(carrier)
    await r.client.track(KNOWN[carrier])
    r.sim.faults.rate_limit_every = 1
    r.sim.faults.retry_after = 2
    with pytest.raises(RateLimited) as err:
        await r.client.track(KNOWN[carrier])
    assert err.value.retry_after == 2.0
    assert r.sleeps == [2.0, 2.0]


@pytest.mark.parametrize("carrier", ALL)
async def test_a_5xx_is_retried(rig, carrier):
    def heal(sim):
        sim.faults.error_rate = 0.0

    r = await rig(carrier, on_sleep=heal)
    r.sim.faults.error_rate = 1.0
    t = await r.client.track(KNOWN[carrier])
    assert t.number == KNOWN[carrier]
    assert len(r.sleeps) == 1


@pytest.mark.parametrize("carrier", ALL)
async def test_a_5xx_that_persists_is_unavailable(rig, carrier):
    r = await rig(carrier)
    r.sim.faults.error_rate = 1.0
    with pytest.raises(IntegrationUnavailable) as err:
        await r.client.track(KNOWN[carrier])
    assert err.value.retryable
    assert len(r.sleeps) == 2  # three tries in all


@pytest.mark.parametrize("carrier", ALL)
async def test_a_slow_api_times_out(rig, carrier):
    r = await rig(carrier, timeout=0.05, retry=RetryPolicy(attempts=1))
    r.sim.faults.latency = 0.5
    with pytest.raises(IntegrationUnavailable):
        await r.client.track(KNOWN[carrier])


def _html(answer: httpx.Response) -> httpx.Response:
    return httpx.Response(200, headers={"content-type": "text/html"}, text="<html>Oops</html>")


def _truncated(answer: httpx.Response) -> httpx.Response:
    cut = answer.content[: len(answer.content) // 2]
    return httpx.Response(200, headers={"content-type": "application/json"}, content=cut)


def _huge(answer: httpx.Response) -> httpx.Response:
    body = {"padding": "x" * 200_000, **json.loads(answer.content)}
    return httpx.Response(200, json=body)


def _wrong_shape(answer: httpx.Response) -> httpx.Response:
    return httpx.Response(200, json={"unexpected": True})


def _a_list(answer: httpx.Response) -> httpx.Response:
    return httpx.Response(200, json=[1, 2, 3])


@pytest.mark.parametrize("carrier", ALL)
@pytest.mark.parametrize("mangle", [_html, _truncated, _huge, _wrong_shape, _a_list])
async def test_unreadable_answers_are_bad_response(rig, carrier, mangle):
    r = await rig(carrier, mangle=mangle, max_body_bytes=100_000)
    with pytest.raises(BadResponse) as err:
        await r.client.track(KNOWN[carrier])
    assert err.value.vendor == carrier


# --- the registry's short-lived cache ------------------------------------------


@pytest.mark.parametrize("carrier", ALL)
async def test_a_burst_of_questions_makes_one_carrier_call(rig, carrier):
    r = await rig(carrier)
    clock = Clock()
    registry = CarrierRegistry({carrier: r.client}, ttl=60, clock=clock)
    number = KNOWN[carrier]
    first = await asyncio.gather(*(registry.track(carrier, number) for _ in range(10)))
    again = await registry.track(carrier, number)
    assert {t.status for t in (*first, again)} == {first[0].status}
    assert r.sim.calls[number] == 1
    clock.advance(61)
    await registry.track(carrier, number)
    assert r.sim.calls[number] == 2


async def test_registry_refuses_a_carrier_it_has_no_client_for():
    registry = CarrierRegistry({})
    assert "ups" not in registry
    with pytest.raises(ValueError, match="ups"):
        await registry.track("ups", demo.UPS_PRIYA)


def test_tracking_urls():
    assert tracking_url("ups", "1z999aa1 0123456784").endswith("tracknum=1Z999AA10123456784")
    assert "4982173652" in tracking_url("dhl", demo.DHL_LUKAS)
    assert "772118345670" in tracking_url("fedex", demo.FEDEX_JAMES)
    with pytest.raises(ValueError):
        tracking_url("royalmail", "RB123456785GB")


async def test_build_carriers_reaches_the_mounted_sandboxes(aiohttp_server):
    from integrations.carriers import CarrierAccount, build_carriers

    sims = {"usps": UspsSimulator(), "fedex": FedexSimulator(), "ups": UpsSimulator()}
    sims["dhl"] = DhlSimulator()
    app = web.Application()
    for name, sim in sims.items():
        mount(app, f"/sandbox/{name}", sim)
    server = await aiohttp_server(app)
    accounts = {
        name: CarrierAccount(str(server.make_url(f"/sandbox/{name}")), "shop", "demo")
        for name in sims
    }
    async with httpx.AsyncClient() as http:
        registry = build_carriers(http, accounts)
        for carrier, number in KNOWN.items():
            assert isinstance(registry.get(carrier), Carrier)
            t = await registry.track(carrier, number)
            assert (t.carrier, t.number) == (carrier, number)
            assert sims[carrier].calls[number] == 1
