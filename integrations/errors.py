"""Errors raised by every outside-API client, translated at the client boundary.

IntegrationError                 vendor, status, request_id, retryable
 ├── IntegrationUnavailable      timeout, connection failure, 5xx (retryable)
 ├── APIStatusError              the API answered with an error status
 │    ├── NotFound               404 / the vendor's "no such record"
 │    ├── AuthFailed             401 / 403 / token refused
 │    └── RateLimited            429 / throttled; ``retry_after`` seconds if known
 └── BadResponse                 not JSON, truncated, wrong shape, too large
"""

from __future__ import annotations

__all__ = [
    "APIStatusError",
    "AuthFailed",
    "BadResponse",
    "IntegrationError",
    "IntegrationUnavailable",
    "NotFound",
    "RateLimited",
]


class IntegrationError(Exception):
    """Root of every outside-API failure."""

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        vendor: str = "",
        status: int | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.vendor = vendor
        self.status = status
        self.request_id = request_id

    def __str__(self) -> str:
        where = f"{self.vendor}: " if self.vendor else ""
        code = f" (HTTP {self.status})" if self.status else ""
        return f"{where}{self.args[0]}{code}"


class IntegrationUnavailable(IntegrationError):
    """The API could not be reached or failed on its side; trying again later may work."""

    retryable = True


class APIStatusError(IntegrationError):
    """The API answered with an error status."""


class NotFound(APIStatusError):
    """The record (order, ticket, tracking number) does not exist there."""


class AuthFailed(APIStatusError):
    """Credentials were refused; retrying will not help until configuration changes."""


class RateLimited(APIStatusError):
    """Too many requests; ``retry_after`` says how long to wait, when the API said."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.retry_after = retry_after


class BadResponse(IntegrationError):
    """The API answered something we cannot read: not JSON, truncated, wrong shape, too big."""
