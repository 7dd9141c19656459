"""What every sandbox shares: a simulator is a stateful fake with an async
``handle(httpx.Request) -> httpx.Response``; two thin shells serve it — an aiohttp
sub-application over real HTTP (demo server, ``chatbot sandbox``, e2e tests) and an
``httpx.MockTransport`` (unit tests without sockets). Fault injection is written once
here so every API can be told to misbehave the same way.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from typing import Protocol

import httpx
from aiohttp import web

__all__ = ["Faults", "Simulator", "json_response", "mount", "transport"]


@dataclass
class Faults:
    """Misbehaviour to inject, changeable at run time (tests flip these on and off).

    latency: seconds added before answering.
    error_rate: share of requests answered with ``error_status`` (0..1).
    rate_limit_every: answer every n-th request with 429 + Retry-After (0 = never).
    garbage_rate: share of requests answered with an HTML error page instead of JSON.
    """

    latency: float = 0.0
    error_rate: float = 0.0
    error_status: int = 503
    rate_limit_every: int = 0
    retry_after: float = 1.0
    garbage_rate: float = 0.0
    rng: random.Random = field(default_factory=lambda: random.Random(7))
    _count: int = 0

    def reset(self) -> None:
        self.latency = self.error_rate = self.garbage_rate = 0.0
        self.rate_limit_every = 0
        self._count = 0

    async def apply(self) -> httpx.Response | None:
        """The injected answer for this request, or None to let the simulator answer."""
        self._count += 1
        if self.latency:
            await asyncio.sleep(self.latency)
        if self.rate_limit_every and self._count % self.rate_limit_every == 0:
            return httpx.Response(
                429,
                headers={"Retry-After": f"{self.retry_after:g}"},
                json={"error": "TooManyRequests", "description": "Rate limit exceeded"},
            )
        if self.error_rate and self.rng.random() < self.error_rate:
            return httpx.Response(self.error_status, text="upstream failure")
        if self.garbage_rate and self.rng.random() < self.garbage_rate:
            return httpx.Response(
                502, headers={"content-type": "text/html"}, text="<html><h1>Bad Gateway</h1>"
            )
        return None


class Simulator(Protocol):
    """A fake outside API. ``handle`` sees paths relative to the sandbox prefix."""

    faults: Faults

    async def handle(self, request: httpx.Request) -> httpx.Response: ...


def json_response(
    status: int, body: object, headers: dict[str, str] | None = None
) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


async def _answer(sim: Simulator, request: httpx.Request) -> httpx.Response:
    injected = await sim.faults.apply()
    return injected if injected is not None else await sim.handle(request)


def transport(sim: Simulator) -> httpx.MockTransport:
    """An httpx transport that answers from the simulator, no sockets involved."""

    async def handler(request: httpx.Request) -> httpx.Response:
        await request.aread()
        answer = await _answer(sim, request)
        # Response(json=...) arrives already read, which a client streaming the body
        # (ApiTransport reads with a size cap) cannot iterate: hand over a fresh stream.
        return httpx.Response(
            answer.status_code, headers=answer.headers, stream=httpx.ByteStream(answer.content)
        )

    return httpx.MockTransport(handler)


def mount(
    app: web.Application, prefix: str, sim: Simulator, *, under: tuple[str, ...] = ("",)
) -> None:
    """Serve ``sim`` over real HTTP under ``prefix`` (e.g. ``/sandbox/ups``).

    ``under`` narrows it to some paths below the prefix (e.g. ``("/api/v2/help_center",)``)
    so two simulators can share one host, as Zendesk Guide shares Support's; the
    simulator still sees paths relative to ``prefix``. Mount the narrower one first.
    """
    prefix = prefix.rstrip("/")

    async def handler(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        path = request.rel_url.path[len(prefix) :] or "/"
        url = httpx.URL(str(request.url)).copy_with(
            path=path, query=request.rel_url.query_string.encode()
        )
        headers = [(k, v) for k, v in request.headers.items() if k.lower() != "host"]
        answer = await _answer(
            sim, httpx.Request(request.method, url, headers=headers, content=body)
        )
        out = {k: v for k, v in answer.headers.items() if k.lower() not in _HOP_HEADERS}
        return web.Response(status=answer.status_code, body=answer.content, headers=out)

    for path in under:
        app.router.add_route("*", prefix + path.rstrip("/") + "/{tail:.*}", handler)


_HOP_HEADERS = {"content-length", "transfer-encoding", "connection", "content-encoding"}
