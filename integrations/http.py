"""Behaviour every client shares, written once: timeouts, retries with backoff and
jitter, ``Retry-After``, a concurrency limit, a circuit breaker, OAuth token caching
and a short-lived single-flight cache.

Clients own an :class:`ApiTransport` built on the injected ``httpx.AsyncClient``
and translate vendor error bodies into :mod:`integrations.errors` themselves.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import httpx

from integrations.errors import (
    APIStatusError,
    AuthFailed,
    BadResponse,
    IntegrationError,
    IntegrationUnavailable,
    NotFound,
    RateLimited,
)

__all__ = [
    "ApiTransport",
    "CircuitBreaker",
    "OAuthToken",
    "Observer",
    "RetryPolicy",
    "TTLCache",
    "parse_retry_after",
]

T = TypeVar("T")
Observer = Callable[[str, float, str | None], None]
"""Called after every request with (vendor, seconds, error class name or None)."""

MAX_BODY_BYTES = 5 * 1024 * 1024


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


class ApiTransport:
    """Sends requests for one vendor with the shared retry, limit and breaker rules.

    Args:
        http: the injected client (its own timeout and transport are respected).
        vendor: name used in errors and metrics.
        base_url: prefix for relative paths.
        timeout: per-request timeout in seconds.
        max_concurrency: requests in flight at once to this vendor.
        sleep, jitter: injected so tests run instantly and deterministically.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        vendor: str,
        base_url: str,
        timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        max_concurrency: int = 10,
        breaker: CircuitBreaker | None = None,
        observer: Observer | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self.http = http
        self.vendor = vendor
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.breaker = breaker or CircuitBreaker()
        self.observer = observer
        self._sleep = sleep
        self._jitter = jitter
        self._limit = asyncio.Semaphore(max_concurrency)
        self.max_body_bytes = max_body_bytes

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else f"{self.base_url}{path}"

    async def request(
        self,
        method: str,
        path: str,
        *,
        idempotent: bool | None = None,
        auth: Callable[[], Awaitable[Mapping[str, str]]] | None = None,
        on_auth_failure: Callable[[], None] | None = None,
        accept_status: Callable[[httpx.Response], bool] | None = None,
        check: Callable[[httpx.Response], IntegrationError | None] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send one request, retrying what is safe to retry, and return a read response.

        ``auth`` supplies headers for each try (so a refreshed token is used);
        ``on_auth_failure`` is called once on a 401 before one more try.
        ``accept_status`` lets a client take a non-2xx answer it knows how to read
        (e.g. USPS "not found" as HTTP 400) instead of the generic error.
        ``check`` inspects an accepted response and may turn it into an error that
        goes through the same retry rules (e.g. Shopify's THROTTLED inside HTTP 200).

        Raises:
            IntegrationUnavailable, RateLimited, AuthFailed, NotFound, APIStatusError,
            BadResponse.
        """
        if idempotent is None:
            idempotent = method.upper() in {"GET", "HEAD", "PUT", "DELETE", "OPTIONS"}
        retried_auth = False
        attempt = 0
        while True:
            attempt += 1
            # A token fetch behind ``auth`` is a request of its own, retried where it is
            # made: when it fails, this request fails too instead of retrying around it.
            auth_headers = await auth() if auth is not None else None
            try:
                return await self._once(method, path, auth_headers, accept_status, kwargs, check)
            except AuthFailed:
                if on_auth_failure is None or retried_auth:
                    raise
                on_auth_failure()
                retried_auth = True
                attempt -= 1
            except IntegrationError as exc:
                delay = self._retry_delay(exc, attempt, idempotent)
                if delay is None:
                    raise
                await self._sleep(delay)

    def _retry_delay(self, exc: IntegrationError, attempt: int, idempotent: bool) -> float | None:
        if attempt >= self.retry.attempts or not exc.retryable:
            return None
        if isinstance(exc, RateLimited):
            wait = (
                exc.retry_after if exc.retry_after is not None else self.retry.backoff(attempt, 1)
            )
            return wait if wait <= self.retry.max_retry_after else None
        # A 5xx or timeout may have been applied: repeat only what is safe to repeat.
        if not idempotent and not getattr(exc, "not_sent", False):
            return None
        return self.retry.backoff(attempt, self._jitter())

    async def _once(
        self,
        method: str,
        path: str,
        auth_headers: Mapping[str, str] | None,
        accept_status: Callable[[httpx.Response], bool] | None,
        kwargs: dict[str, Any],
        check: Callable[[httpx.Response], IntegrationError | None] | None = None,
    ) -> httpx.Response:
        if not self.breaker.allow():
            raise IntegrationUnavailable("circuit open after repeated failures", vendor=self.vendor)
        headers = dict(kwargs.pop("headers", None) or {})
        if auth_headers is not None:
            headers.update(auth_headers)
        started = time.perf_counter()
        error: IntegrationError | None = None
        try:
            async with self._limit:
                response = await self._send(method, path, headers, kwargs)
            error = self._status_error(response, accept_status)
            if error is None and check is not None:
                error = check(response)
        except IntegrationError as exc:
            error = exc
        finally:
            kwargs["headers"] = headers
            if error is None or not error.retryable:
                if error is None or isinstance(error, APIStatusError):
                    self.breaker.record_success()
            else:
                self.breaker.record_failure()
            if self.observer is not None:
                self.observer(
                    self.vendor,
                    time.perf_counter() - started,
                    type(error).__name__ if error else None,
                )
        if error is not None:
            raise error
        return response

    async def _send(
        self, method: str, path: str, headers: dict[str, str], kwargs: dict[str, Any]
    ) -> httpx.Response:
        request = self.http.build_request(
            method, self.url(path), headers=headers, timeout=self.timeout, **kwargs
        )
        try:
            response = await self.http.send(request, stream=True)
        except httpx.TimeoutException as exc:
            raise IntegrationUnavailable(f"timed out: {exc!r}", vendor=self.vendor) from exc
        except httpx.TransportError as exc:
            err = IntegrationUnavailable(f"cannot connect: {exc!r}", vendor=self.vendor)
            err.not_sent = isinstance(exc, httpx.ConnectError)  # type: ignore[attr-defined]
            raise err from exc
        try:
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_raw():
                size += len(chunk)
                if size > self.max_body_bytes:
                    raise BadResponse(
                        f"response larger than {self.max_body_bytes} bytes",
                        vendor=self.vendor,
                        status=response.status_code,
                    )
                chunks.append(chunk)
        except httpx.TimeoutException as exc:
            raise IntegrationUnavailable("timed out reading the body", vendor=self.vendor) from exc
        except httpx.TransportError as exc:
            raise IntegrationUnavailable(f"body cut off: {exc!r}", vendor=self.vendor) from exc
        finally:
            await response.aclose()
        # Rebuild a complete response so callers can use .json()/.text safely.
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            content=b"".join(chunks),
            request=request,
        )

    def _status_error(
        self,
        response: httpx.Response,
        accept_status: Callable[[httpx.Response], bool] | None,
    ) -> IntegrationError | None:
        status = response.status_code
        if status < 300 or (accept_status is not None and accept_status(response)):
            return None
        request_id = response.headers.get("x-request-id")
        kw: dict[str, Any] = {"vendor": self.vendor, "status": status, "request_id": request_id}
        detail = response.text[:200].strip() or response.reason_phrase
        if status == 429:
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            return RateLimited(f"rate limited: {detail}", retry_after=retry_after, **kw)
        if status >= 500:
            return IntegrationUnavailable(f"server error: {detail}", **kw)
        if status in (401, 403):
            return AuthFailed(f"credentials refused: {detail}", **kw)
        if status == 404:
            return NotFound(f"not found: {detail}", **kw)
        return APIStatusError(f"request refused: {detail}", **kw)

    def json(self, response: httpx.Response) -> Any:
        """The body as JSON, or BadResponse (HTML error pages, truncated bodies...)."""
        try:
            return json.loads(response.content)
        except (ValueError, UnicodeDecodeError) as exc:
            if response.status_code < 300:
                self.breaker.retract_success()
            kind = response.headers.get("content-type", "unknown type")
            raise BadResponse(
                f"expected JSON, got {kind}: {response.text[:80]!r}",
                vendor=self.vendor,
                status=response.status_code,
            ) from exc


class OAuthToken:
    """Caches an access token and refreshes it before expiry, one refresh at a time.

    ``fetch`` returns ``(token, expires_in_seconds)``; concurrent callers during a
    refresh wait for the same result instead of each asking for a token.
    """

    def __init__(
        self,
        fetch: Callable[[], Awaitable[tuple[str, float]]],
        *,
        margin: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._margin = margin
        self._clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()
        self.fetches = 0

    async def get(self) -> str:
        if self._valid():
            return self._token  # type: ignore[return-value]
        async with self._lock:
            if not self._valid():
                token, expires_in = await self._fetch()
                self.fetches += 1
                self._token = token
                # A token valid for less than twice the margin is used for half its life.
                margin = min(self._margin, expires_in / 2)
                self._expires_at = self._clock() + expires_in - margin
            return self._token  # type: ignore[return-value]

    def invalidate(self) -> None:
        self._token = None

    def _valid(self) -> bool:
        return self._token is not None and self._clock() < self._expires_at


class TTLCache(Generic[T]):
    """A small cache whose entries expire, with single flight: concurrent misses on one
    key share one call, so a burst of questions about one parcel makes one carrier call.
    Failures are not cached."""

    def __init__(
        self, ttl: float, *, max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._values: dict[str, tuple[float, T]] = {}
        self._inflight: dict[str, asyncio.Future[T]] = {}

    async def get_or_fetch(self, key: str, fetch: Callable[[], Awaitable[T]]) -> T:
        hit = self._values.get(key)
        if hit is not None and hit[0] > self._clock():
            return hit[1]
        pending = self._inflight.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            value = await fetch()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: waiters re-raise it themselves
            raise
        else:
            future.set_result(value)
            self._store(key, value)
            return value
        finally:
            del self._inflight[key]

    def _store(self, key: str, value: T) -> None:
        if len(self._values) >= self.max_entries:
            now = self._clock()
            self._values = {k: v for k, v in self._values.items() if v[0] > now}
            while len(self._values) >= self.max_entries:
                self._values.pop(next(iter(self._values)))
        self._values[key] = (self._clock() + self.ttl, value)
