"""The rules that keep a failing API from taking the server down with it: how long to
back off between tries, how long to wait when told ``Retry-After``, and when to stop
calling for a while (a circuit breaker). :class:`~integrations.http.ApiTransport`
applies them; they live here so they can be read, and tested, on their own."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["CircuitBreaker", "RetryPolicy", "parse_retry_after"]


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3  # total tries, first included
    base_delay: float = 0.25
    max_delay: float = 8.0
    max_retry_after: float = 30.0  # longer waits are not slept through: the error surfaces

    def backoff(self, attempt: int, jitter: float) -> float:
        """Exponential backoff with full jitter; ``attempt`` counts from 1."""
        return min(self.max_delay, self.base_delay * 2 ** (attempt - 1)) * (0.5 + jitter / 2)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class CircuitBreaker:
    """Stops calling an API that keeps failing, then lets one probe through after a pause."""

    def __init__(
        self,
        *,
        threshold: int = 5,
        cooldown: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold = threshold
        self.cooldown = cooldown
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._before_success: tuple[int, float | None] = (0, None)

    @property
    def state(self) -> str:
        if self._opened_at is None:
            return "closed"
        return "half-open" if self._clock() - self._opened_at >= self.cooldown else "open"

    def allow(self) -> bool:
        return self.state != "open"

    def record_success(self) -> None:
        self._before_success = (self._failures, self._opened_at)
        self._failures = 0
        self._opened_at = None

    def retract_success(self) -> None:
        """The answer just counted as a success turned out unreadable (a maintenance page
        served with 200): count it as a failure instead."""
        self._failures, self._opened_at = self._before_success
        self.record_failure()

    def record_failure(self) -> None:
        self._failures += 1
        if self._failures >= self.threshold or self._opened_at is not None:
            self._opened_at = self._clock()
