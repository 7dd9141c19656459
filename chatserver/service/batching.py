"""Micro-batches across sessions: the messages of one loop tick classified together.

Under load the sockets of many sessions deliver a message in the same loop tick, and
each session's turn starts by classifying its message. One model call for all of them
costs much less than one each (vectorising and the linear model work on a matrix).
``Classifications.understand`` queues a text and, at the end of the tick, classifies
every queued text in one ``ModelHolder.parse_many`` call; each caller gets its own
reading. Turn order within a session is the channel's business and is unchanged: a
session has at most one message in a batch. A lone message waits only for the end of
the tick it arrived in.
"""

from __future__ import annotations

import asyncio

from chatserver.service.classifier import ModelHolder, Understood, from_payload, understood

__all__ = ["Classifications"]


class Classifications:
    """Classify the texts queued in one loop tick together (at most ``max_batch`` a call)."""

    def __init__(self, holder: ModelHolder, max_batch: int = 256) -> None:
        self.holder = holder
        self.max_batch = max_batch
        self._pending: list[tuple[str, str, asyncio.Future[Understood]]] = []
        self._scheduled = False
        self.calls = 0  # model calls made (for tests and figures)

    async def understand(self, text: str, channel: str) -> Understood:
        """A payload's intent at once, or the model's reading with this tick's batch."""
        payload = from_payload(text)
        if payload is not None:
            return payload
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Understood] = loop.create_future()
        self._pending.append((text, channel, future))
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._classify)  # after the turns already ready in this tick
        return await future

    def _classify(self) -> None:
        self._scheduled = False
        pending, self._pending = self._pending, []
        pending = [p for p in pending if not p[2].cancelled()]
        for start in range(0, len(pending), self.max_batch):
            batch = pending[start : start + self.max_batch]
            self.calls += 1
            try:
                parses = self.holder.parse_many([t for t, _, _ in batch], [c for _, c, _ in batch])
            except Exception as exc:  # every caller of the batch sees the model's failure
                for _, _, future in batch:
                    future.set_exception(exc)
                continue
            for (_, _, future), parse in zip(batch, parses, strict=True):
                future.set_result(understood(parse, self.holder))
