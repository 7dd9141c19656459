"""Behaviour every client shares, written once: timeouts, retries with backoff and
jitter, ``Retry-After``, a concurrency limit, a circuit breaker, and outgoing auth
(a static credential, or the OAuth client-credentials grant with its token cache).

Clients own an :class:`ApiTransport` built on the injected ``httpx.AsyncClient``
and translate vendor error bodies into :mod:`integrations.errors` themselves.
"""

from __future__ import annotations

import asyncio
import base64
import json
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal, Protocol

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
from integrations.resilience import CircuitBreaker, RetryPolicy, parse_retry_after

__all__ = [
    "ApiTransport",
    "Auth",
    "CircuitBreaker",
    "ClientCredentials",
    "Observer",
    "RetryPolicy",
    "StaticAuth",
    "parse_retry_after",
    "read_expires_in",
]

Observer = Callable[[str, float, str | None], None]
"""Called after every request with (vendor, seconds, error class name or None)."""

MAX_BODY_BYTES = 5 * 1024 * 1024


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
        auth: Auth | None = None,
        accept_status: Callable[[httpx.Response], bool] | None = None,
        check: Callable[[httpx.Response], IntegrationError | None] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send one request, retrying what is safe to retry, and return a read response.

        ``auth`` supplies headers for each try (so a refreshed token is used); a 401
        is tried once more when ``auth`` says fresh credentials may help.
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
            auth_headers = await auth.headers() if auth is not None else None
            try:
                return await self._once(method, path, auth_headers, accept_status, kwargs, check)
            except AuthFailed as exc:
                if (
                    auth is None
                    or auth_headers is None
                    or retried_auth
                    or exc.status != 401
                    or not auth.refused(auth_headers)
                ):
                    raise
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


# --- outgoing auth ---------------------------------------------------------------


class Auth(Protocol):
    """What :meth:`ApiTransport.request` needs from a credential."""

    async def headers(self) -> Mapping[str, str]:
        """The headers that authenticate one try."""
        ...

    def refused(self, headers: Mapping[str, str]) -> bool:
        """The API answered 401 to ``headers``: forget them; True if a new try may pass."""
        ...


class StaticAuth:
    """A credential that never changes (an API key, a shop's Admin API token): a 401
    means the configuration is wrong, so it is never retried."""

    def __init__(self, headers: Mapping[str, str]) -> None:
        self._headers = dict(headers)

    async def headers(self) -> Mapping[str, str]:
        return self._headers

    def refused(self, headers: Mapping[str, str]) -> bool:
        return False


def read_expires_in(value: object, *, vendor: str, default: float) -> float:
    """A token's lifetime in seconds, however the vendor writes it: a number (FedEx,
    Shopify) or a string of digits (USPS, UPS); ``default`` when it is left out.

    Raises:
        BadResponse: present but not a positive number.
    """
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise BadResponse(f"token expires_in is not a number: {value!r}", vendor=vendor)
    try:
        seconds = float(value)
    except ValueError:
        raise BadResponse(f"token expires_in is not a number: {value!r}", vendor=vendor) from None
    if not 0 < seconds < 10**9:
        raise BadResponse(f"token expires_in out of range: {value!r}", vendor=vendor)
    return seconds


_REFUSED = frozenset({"invalid_client", "unauthorized_client", "invalid_scope", "access_denied"})


class ClientCredentials:
    """The OAuth 2.0 client-credentials grant (RFC 6749 §4.4) for one vendor.

    The token is fetched through the vendor's own :class:`ApiTransport` (its retry and
    breaker rules), cached until ``margin`` seconds before ``expires_in`` runs out,
    refreshed one fetch at a time (concurrent callers share the fetch in flight, and
    its failure), and dropped when the API answers 401 so the next try fetches anew.

    Args:
        api: the vendor's transport; ``path`` is the token endpoint on it.
        send: how the client authenticates: ``form`` (id and secret in the form body),
            ``json`` (the same as a JSON object) or ``basic`` (HTTP Basic, form body
            with the grant type only).
        header, scheme: where the token goes on API calls (``Authorization: Bearer``,
            or Shopify's ``X-Shopify-Access-Token`` without a scheme).
        default_expires_in: the lifetime assumed when the answer leaves it out.
        clock: monotonic seconds (tests move it forward).
    """

    def __init__(
        self,
        api: ApiTransport,
        path: str,
        *,
        client_id: str,
        client_secret: str,
        send: Literal["form", "json", "basic"] = "form",
        scope: str | None = None,
        header: str = "Authorization",
        scheme: str = "Bearer",
        default_expires_in: float = 3600.0,
        margin: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._api = api
        self._path = path
        self._client_id = client_id
        self._client_secret = client_secret
        self._send = send
        self._scope = scope
        self._header = header
        self._scheme = scheme
        self._default_expires_in = default_expires_in
        self._margin = margin
        self._clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        self._pending: asyncio.Task[str] | None = None
        self.fetches = 0

    async def headers(self) -> Mapping[str, str]:
        token = await self.token()
        return {self._header: f"{self._scheme} {token}" if self._scheme else token}

    def refused(self, headers: Mapping[str, str]) -> bool:
        sent = headers.get(self._header, "")
        if self._token is not None and sent.endswith(self._token):
            self._token = None  # only the refused one: a newer token stays
        return True

    async def token(self) -> str:
        """The current access token, fetching one when there is none or it is expiring.

        Raises:
            AuthFailed: the credentials were refused. BadResponse, IntegrationUnavailable...
        """
        if self._token is not None and self._clock() < self._expires_at:
            return self._token
        if self._pending is None:
            self._pending = asyncio.get_running_loop().create_task(self._fetch())
            self._pending.add_done_callback(self._fetched)
        return await asyncio.shield(self._pending)

    def _fetched(self, task: asyncio.Task[str]) -> None:
        if self._pending is task:
            self._pending = None
        if not task.cancelled():
            task.exception()  # every waiter re-raises it; none may be left to read it

    async def _fetch(self) -> str:
        form = {"grant_type": "client_credentials"}
        if self._scope:
            form["scope"] = self._scope
        kwargs: dict[str, Any] = {}
        if self._send == "basic":
            pair = base64.b64encode(f"{self._client_id}:{self._client_secret}".encode()).decode()
            kwargs["headers"] = {"Authorization": f"Basic {pair}"}
            kwargs["data"] = form
        else:
            body = {"client_id": self._client_id, "client_secret": self._client_secret, **form}
            kwargs["json" if self._send == "json" else "data"] = body
        response = await self._api.request(
            "POST",
            self._path,
            idempotent=True,  # a token request changes nothing worth protecting
            accept_status=lambda r: r.status_code == 400,
            **kwargs,
        )
        body = self._api.json(response)
        vendor = self._api.vendor
        if response.status_code == 400:
            raise _token_refused(body, vendor)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise BadResponse("token answer without an access_token", vendor=vendor)
        lifetime = read_expires_in(
            body.get("expires_in"), vendor=vendor, default=self._default_expires_in
        )
        self.fetches += 1
        self._token = token
        # A token that lives less than twice the margin is used for half its life.
        self._expires_at = self._clock() + lifetime - min(self._margin, lifetime / 2)
        return token


def _token_refused(body: object, vendor: str) -> IntegrationError:
    """HTTP 400 from a token endpoint: RFC 6749 §5.2 names the error."""
    envelope = body if isinstance(body, dict) else {}
    code = str(envelope.get("error") or "")
    detail = str(envelope.get("error_description") or code or "token request refused")
    text = f"{code}: {detail}" if code and code != detail else detail
    if code in _REFUSED:
        return AuthFailed(f"client credentials refused: {text}", vendor=vendor, status=400)
    return APIStatusError(f"token request refused: {text}", vendor=vendor, status=400)
