"""A sandbox behind an in-process transport that keeps every exchange, so a check can
drive the real client and then look at exactly what went over the wire."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from integrations.sandbox.base import Faults, Simulator

__all__ = ["Exchange", "Recorder"]


@dataclass(frozen=True)
class Exchange:
    request: httpx.Request
    response: httpx.Response

    @property
    def path(self) -> str:
        return self.request.url.path


@dataclass
class Recorder:
    """Wraps a simulator; ``exchanges`` lists every request it answered, in order."""

    sim: Simulator
    exchanges: list[Exchange] = field(default_factory=list)

    @property
    def faults(self) -> Faults:
        return self.sim.faults

    async def handle(self, request: httpx.Request) -> httpx.Response:
        response = await self.sim.handle(request)
        self.exchanges.append(Exchange(request, response))
        return response


async def no_sleep(_: float) -> None:
    return None


def quiet_options() -> dict[str, Any]:
    """Client options for a check: no waiting, one try."""
    from integrations.http import RetryPolicy

    return {"sleep": no_sleep, "jitter": lambda: 0.0, "retry": RetryPolicy(attempts=1)}
