"""Rate and size limits for the public endpoints, kept in memory per process.

``SlidingWindow`` counts events per key over the last ``period`` seconds;
``ConnectionCounter`` counts open connections per key. ``ChatLimits`` holds the numbers
and the counters the chat channel and the login form use. With several server processes
each keeps its own counts, so the effective limits multiply by the process count.
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["ChatLimits", "ConnectionCounter", "SlidingWindow"]

MAX_KEYS = 10_000  # beyond this many keys, idle ones are dropped


class SlidingWindow:
    """At most ``limit`` events per key in any ``period`` seconds."""

    def __init__(
        self, limit: int, period: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.period = period
        self.clock = clock
        self._events: dict[str, deque[float]] = defaultdict(deque)

    def hit(self, key: str) -> bool:
        """Count one event for ``key``; False (and not counted) when over the limit."""
        now = self.clock()
        if len(self._events) > MAX_KEYS:
            self.forget_idle()
        events = self._events[key]
        while events and events[0] <= now - self.period:
            events.popleft()
        if len(events) >= self.limit:
            return False
        events.append(now)
        return True

    def forget_idle(self) -> None:
        """Drop keys with no event in the window (bounds memory)."""
        cutoff = self.clock() - self.period
        for key in [k for k, e in self._events.items() if not e or e[-1] <= cutoff]:
            del self._events[key]


class ConnectionCounter:
    """At most ``limit`` open connections per key."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._open: dict[str, int] = defaultdict(int)

    def acquire(self, key: str) -> bool:
        if self._open[key] >= self.limit:
            return False
        self._open[key] += 1
        return True

    def release(self, key: str) -> None:
        self._open[key] -= 1
        if self._open[key] <= 0:
            del self._open[key]


@dataclass
class ChatLimits:
    """The limits of the customer channel and the agent login (replace it in tests)."""

    max_message_chars: int = 4000
    messages_per_minute_per_session: int = 20
    messages_per_minute_per_ip: int = 60
    connections_per_ip: int = 20
    logins_per_minute_per_ip: int = 10
    per_session: SlidingWindow = field(init=False)
    per_ip: SlidingWindow = field(init=False)
    connections: ConnectionCounter = field(init=False)
    logins: SlidingWindow = field(init=False)

    def __post_init__(self) -> None:
        self.per_session = SlidingWindow(self.messages_per_minute_per_session)
        self.per_ip = SlidingWindow(self.messages_per_minute_per_ip)
        self.connections = ConnectionCounter(self.connections_per_ip)
        self.logins = SlidingWindow(self.logins_per_minute_per_ip)
