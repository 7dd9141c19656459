"""The in-process conversation rig with the outside clients tuned for failure tests.

``FailingWorld`` is the harness ``World`` whose Shopify and carrier clients have a short
request timeout, instant retries, a circuit breaker per vendor on a clock the test moves,
and a transport that counts requests per API and enforces the timeout the way a socket
transport does (``httpx.MockTransport`` alone never times out). ``misbehave`` makes one
simulator fail in one of the ways a real API does.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import httpx

from chatserver.build import CarrierTracker, Clients
from integrations.carriers import CarrierRegistry
from integrations.carriers.dhl import DhlClient
from integrations.carriers.fedex import FedexClient
from integrations.carriers.ups import UpsClient
from integrations.carriers.usps import UspsClient
from integrations.http import CircuitBreaker, RetryPolicy
from integrations.sandbox.base import transport
from integrations.shopify import ShopifyClient
from integrations.zendesk import ZendeskClient
from tests.chatserver.harness import World

__all__ = ["FAULTS", "FailingWorld", "misbehave"]

TIMEOUT = 0.05  # seconds per request; the injected latency is far above it
SLOW = 2.0


class Deadline(httpx.AsyncBaseTransport):
    """Counts requests and raises ``httpx.ReadTimeout`` past the request's read timeout."""

    def __init__(self, inner: httpx.AsyncBaseTransport, name: str, calls: Counter[str]) -> None:
        self.inner, self.name, self.calls = inner, name, calls

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls[self.name] += 1
        timeout = (request.extensions.get("timeout") or {}).get("read")
        try:
            async with asyncio.timeout(timeout):
                return await self.inner.handle_async_request(request)
        except TimeoutError as exc:
            raise httpx.ReadTimeout("timed out waiting for the answer", request=request) from exc


async def _no_sleep(_: float) -> None:
    return None


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FailingWorld(World):
    """``World`` with counted, breakered, quickly timing-out outside clients.

    Args:
        threshold, cooldown: of every vendor's circuit breaker (``clock`` moves it).
    """

    def __init__(self, *, threshold: int = 1000, cooldown: float = 30.0, **kw: Any) -> None:
        super().__init__(**kw)
        self.calls: Counter[str] = Counter()
        self.clock = Clock()  # the breakers' time, apart from the conversation clock
        sims = self.sandboxes.by_name()
        self.outside = httpx.AsyncClient(
            mounts={
                f"http://{name}.test": Deadline(transport(sim), name, self.calls)
                for name, sim in sims.items()
            }
        )
        self.breakers = {
            name: CircuitBreaker(threshold=threshold, cooldown=cooldown, clock=self.clock)
            for name in ("shopify", "usps", "fedex", "ups", "dhl")
        }

    def clients(self) -> Clients:
        """Counted, breakered, quickly timing-out clients over the simulators."""

        def opts(name: str) -> dict[str, Any]:
            return {
                "sleep": _no_sleep,
                "retry": RetryPolicy(attempts=2),
                "timeout": TIMEOUT,
                "breaker": self.breakers[name],
            }

        http, secret = self.outside, {"client_id": "demo", "client_secret": "demo"}
        shop = ShopifyClient(
            http, base_url="http://shopify.test", access_token="demo", **opts("shopify")
        )
        carriers = CarrierRegistry(
            {
                "usps": UspsClient(http, base_url="http://usps.test", **secret, **opts("usps")),
                "fedex": FedexClient(http, base_url="http://fedex.test", **secret, **opts("fedex")),
                "ups": UpsClient(http, base_url="http://ups.test", **secret, **opts("ups")),
                "dhl": DhlClient(http, base_url="http://dhl.test", api_key="demo", **opts("dhl")),
            },
            ttl=0.0,  # every question asks the carrier: these tests count the asking
        )
        zendesk = ZendeskClient(
            http, base_url="http://zendesk.test", email="a@b.co", api_token="demo"
        )
        return Clients(shop, zendesk, carriers, CarrierTracker(carriers))

    async def start(self) -> FailingWorld:
        await super().start()
        return self

    async def aclose(self) -> None:
        await self.outside.aclose()
        await super().aclose()


def _html_200(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, headers={"content-type": "text/html"}, text="<html>Maintenance")


def _truncated_json(request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        200, headers={"content-type": "application/json"}, text='{"data": {"orders": {"ed'
    )


def misbehave(sim: Any, kind: str) -> None:
    """Make every answer of ``sim`` fail as ``kind`` (a key of ``FAULTS``)."""
    faults = sim.faults
    if kind == "timeout":
        faults.latency = SLOW
    elif kind == "5xx":
        faults.error_rate, faults.error_status = 1.0, 503
    elif kind == "429":
        faults.rate_limit_every, faults.retry_after = 1, 0.01
    elif kind == "html-502":
        faults.garbage_rate = 1.0
    else:
        answer = {"html-200": _html_200, "truncated-json": _truncated_json}[kind]

        async def handle(request: httpx.Request) -> httpx.Response:
            return answer(request)

        sim.handle = handle


FAULTS = ("timeout", "5xx", "429", "html-502", "html-200", "truncated-json")
