"""Webhook delivery for the Zendesk sandbox, the way a Zendesk trigger sends it:
signed JSON POSTs in background tasks, retried on failure, every attempt recorded.

Failed attempts (non-2xx, connection error, timeout) are retried
``len(retry_delays)`` more times under the same invocation id: Zendesk models
invocations with several attempts, but whether the id is reused is [U], as are the
exact status codes it retries (we retry every failure).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import httpx

from integrations.webhooks import (
    ACCOUNT_ID_HEADER,
    INVOCATION_ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WEBHOOK_ID_HEADER,
    format_timestamp,
    sign,
)

__all__ = ["Delivery", "Invocation", "WebhookSender"]


@dataclass(frozen=True)
class Invocation:
    """One trigger firing: what is sent, however many attempts it takes."""

    id: str
    ticket_id: int
    event: str
    body: bytes

    @property
    def payload(self) -> dict[str, object]:
        data: dict[str, object] = json.loads(self.body)
        return data


@dataclass(frozen=True)
class Delivery:
    """One attempt to deliver an invocation; ``status`` is None when it never arrived."""

    invocation_id: str
    attempt: int
    status: int | None
    error: str | None
    timestamp: str

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class WebhookSender:
    """Sends invocations to one URL, signed with one secret.

    Args:
        url: the target; None records invocations but sends nothing.
        http: the client to send with; one is created (and closed) if not given.
        retry_delays: seconds before each retry of a failed attempt.
    """

    def __init__(
        self,
        *,
        url: str | None,
        secret: str,
        clock: Callable[[], datetime],
        http: httpx.AsyncClient | None = None,
        retry_delays: Sequence[float] = (2.0, 10.0, 60.0),
        account_id: int = 12514403,
        webhook_id: str = "01HSANDBOXWEBHOOK0000000001",
        timeout: float = 12.0,
    ) -> None:
        self.url = url
        self.secret = secret
        self.retry_delays = tuple(retry_delays)
        self.account_id = account_id
        self.webhook_id = webhook_id
        self.timeout = timeout
        self.invocations: list[Invocation] = []
        self.deliveries: list[Delivery] = []
        self._clock = clock
        self._http = http
        self._own_http: httpx.AsyncClient | None = None
        self._paused = False
        self._held: list[Invocation] = []
        self._tasks: set[asyncio.Task[None]] = set()

    def send(self, invocation: Invocation) -> None:
        """Record the invocation and deliver it in the background (unless paused)."""
        self.invocations.append(invocation)
        if self.url is None:
            return
        if self._paused:
            self._held.append(invocation)
        else:
            self._start(invocation)

    def pause(self) -> None:
        """Hold new invocations until :meth:`resume`."""
        self._paused = True

    def resume(self) -> None:
        self._paused = False
        held, self._held = self._held, []
        for invocation in held:
            self._start(invocation)

    def deliver_again(self, invocation: Invocation) -> None:
        """Send an invocation once more, as Zendesk may: it delivers at least once."""
        self._start(invocation)

    async def drain(self) -> None:
        """Wait until every delivery in flight has succeeded or given up."""
        while self._tasks:
            await asyncio.gather(*self._tasks)

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._own_http is not None:
            await self._own_http.aclose()
            self._own_http = None

    def _start(self, invocation: Invocation) -> None:
        task = asyncio.get_running_loop().create_task(self._deliver(invocation))
        self._tasks.add(task)  # keep a reference: the loop holds tasks only weakly
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, invocation: Invocation) -> None:
        if self._http is None and self._own_http is None:
            self._own_http = httpx.AsyncClient()
        client = self._http or self._own_http
        assert client is not None and self.url is not None
        for attempt, delay in enumerate((0.0, *self.retry_delays), start=1):
            if delay:
                await asyncio.sleep(delay)
            stamp = format_timestamp(self._clock())
            headers = {
                SIGNATURE_HEADER: sign(self.secret, stamp, invocation.body),
                TIMESTAMP_HEADER: stamp,
                WEBHOOK_ID_HEADER: self.webhook_id,
                INVOCATION_ID_HEADER: invocation.id,
                ACCOUNT_ID_HEADER: str(self.account_id),
                "User-Agent": "Zendesk Webhook",
                "Content-Type": "application/json",
            }
            status, error = None, None
            try:
                answer = await client.post(
                    self.url, content=invocation.body, headers=headers, timeout=self.timeout
                )
                status = answer.status_code
            except httpx.HTTPError as exc:
                error = repr(exc)
            self.deliveries.append(Delivery(invocation.id, attempt, status, error, stamp))
            if status is not None and 200 <= status < 300:
                return
