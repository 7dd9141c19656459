"""Rate and size limits for the public endpoints, kept in memory per process.

``SlidingWindow`` counts events per key over the last ``period`` seconds;
``ConnectionCounter`` counts open connections per key. ``ChatLimits`` holds the numbers
(the ``limits:`` section, ``chatserver.settings.LimitSettings``) and the counters the chat
channel and the login form use; a limit of 0 is off. With several server processes each
keeps its own counts, so these limits multiply by the process count (the proof attempts,
which must not, live in ``chatserver.ops.attempts``).
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from chatserver.settings import LimitSettings

__all__ = ["ChatLimits", "ConnectionCounter", "LoginThrottle", "SlidingWindow"]

MAX_KEYS = 10_000  # beyond this many keys, idle ones are dropped


class SlidingWindow:
    """At most ``limit`` events per key in any ``period`` seconds (0: no limit)."""

    def __init__(
        self, limit: int, period: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.period = period
        self.clock = clock
        self._events: dict[str, deque[float]] = defaultdict(deque)

    def hit(self, key: str) -> bool:
        """Count one event for ``key``; False (and not counted) when over the limit."""
        if not self.limit:
            return True
        if not self.allows(key):
            return False
        self._events[key].append(self.clock())
        return True

    def allows(self, key: str) -> bool:
        """Would one more event for ``key`` be within the limit? (Counts nothing.)"""
        if not self.limit:
            return True
        now = self.clock()
        if len(self._events) > MAX_KEYS:
            self.forget_idle()
        events = self._events.get(key)
        if events is None:
            return True
        while events and events[0] <= now - self.period:
            events.popleft()
        return len(events) < self.limit

    def forget_idle(self) -> None:
        """Drop keys with no event in the window (bounds memory)."""
        cutoff = self.clock() - self.period
        for key in [k for k, e in self._events.items() if not e or e[-1] <= cutoff]:
            del self._events[key]


class ConnectionCounter:
    """At most ``limit`` open connections per key (0: no limit)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._open: dict[str, int] = defaultdict(int)

    def acquire(self, key: str) -> bool:
        if self.limit and self._open[key] >= self.limit:
            return False
        self._open[key] += 1
        return True

    def release(self, key: str) -> None:
        self._open[key] -= 1
        if self._open[key] <= 0:
            del self._open[key]


class LoginThrottle:
    """Console sign-ins: attempts per client address, failures per username.

    An address over its limit is refused whatever the username, so one attacker slows
    only themselves; a username with too many recent failures is refused from every
    address for the rest of the minute, so guessing one agent's password from many
    addresses stays slow. Other agents (other usernames, other addresses) sign in as usual.
    """

    def __init__(
        self, per_ip: int, failures_per_user: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.attempts = SlidingWindow(per_ip, clock=clock)
        self.failures = SlidingWindow(failures_per_user, clock=clock)

    def admit(self, address: str, username: str) -> bool:
        """Count an attempt from ``address``; False when it or ``username`` is throttled."""
        if not self.failures.allows(_user(username)):
            return False
        return self.attempts.hit(address)

    def failed(self, username: str) -> None:
        self.failures.hit(_user(username))


def _user(username: str) -> str:
    return username.strip().casefold()[:200]


@dataclass
class ChatLimits:
    """The limits of the customer channel and the agent login (replace it in tests)."""

    max_message_chars: int = 4000
    messages_per_minute_per_session: int = 20
    messages_per_minute_per_ip: int = 60
    connections_per_ip: int = 20
    logins_per_minute_per_ip: int = 10
    failed_logins_per_minute_per_user: int = 5
    per_session: SlidingWindow = field(init=False)
    per_ip: SlidingWindow = field(init=False)
    connections: ConnectionCounter = field(init=False)
    logins: LoginThrottle = field(init=False)

    def __post_init__(self) -> None:
        self.per_session = SlidingWindow(self.messages_per_minute_per_session)
        self.per_ip = SlidingWindow(self.messages_per_minute_per_ip)
        self.connections = ConnectionCounter(self.connections_per_ip)
        self.logins = LoginThrottle(
            self.logins_per_minute_per_ip, self.failed_logins_per_minute_per_user
        )

    @classmethod
    def from_settings(cls, limits: LimitSettings) -> ChatLimits:
        return cls(
            max_message_chars=limits.max_message_chars,
            messages_per_minute_per_session=limits.messages_per_minute_per_session,
            messages_per_minute_per_ip=limits.messages_per_minute_per_ip,
            connections_per_ip=limits.connections_per_ip,
            logins_per_minute_per_ip=limits.logins_per_minute_per_ip,
            failed_logins_per_minute_per_user=limits.failed_logins_per_minute_per_user,
        )
