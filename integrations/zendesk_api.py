"""What the Zendesk Support client and the Guide (help center) client share: both are
one Zendesk account's API, so they authenticate alike, wrap errors in the same JSON
envelope (``{"error": ..., "description": ..., "details": ...}``) and answer an object
that must hold a named key.

    IntegrationError
    └── APIStatusError
        ├── NotFound          (404)
        └── RecordInvalid     (422 or ``error: RecordInvalid``; ``details`` per field)
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

import httpx

from integrations.errors import APIStatusError, BadResponse, IntegrationError, NotFound
from integrations.http import ApiTransport, StaticAuth

__all__ = ["RecordInvalid", "call", "credentials"]


class RecordInvalid(APIStatusError):
    """422: Zendesk refused the change; ``details`` maps fields to their complaints."""

    def __init__(self, message: str, *, details: Mapping[str, Any] | None = None, **kw: Any):
        super().__init__(message, **kw)
        self.details = dict(details or {})


def credentials(
    *, email: str | None, api_token: str | None, oauth_token: str | None
) -> StaticAuth | None:
    """The Authorization header Zendesk takes: OAuth first, then an API token (None: neither)."""
    if oauth_token:
        return StaticAuth({"Authorization": f"Bearer {oauth_token}"})
    if email and api_token:
        basic = base64.b64encode(f"{email}/token:{api_token}".encode()).decode()
        return StaticAuth({"Authorization": f"Basic {basic}"})
    return None


async def call(
    transport: ApiTransport,
    auth: StaticAuth,
    method: str,
    path: str,
    key: str | None,
    *,
    vendor: str,
    idempotent: bool | None = None,
    **kw: Any,
) -> dict[str, Any]:
    """The JSON answer, which must hold ``key`` (None: any object, or an empty 204).

    Raises:
        NotFound, RecordInvalid, APIStatusError: Zendesk's error envelope, read.
        BadResponse: an answer without ``key``.
    """
    response = await transport.request(
        method,
        path,
        idempotent=idempotent,
        auth=auth,
        accept_status=_envelope_status,
        headers={"Accept": "application/json"},
        **kw,
    )
    if key is None and response.status_code == 204:
        return {}
    data = transport.json(response)
    if response.status_code >= 400:
        raise _error(response, data, vendor)
    if key is None:
        return data if isinstance(data, dict) else {}
    if not isinstance(data, dict) or key not in data:
        raise BadResponse(
            f"expected {key!r} in the answer, got {str(data)[:80]!r}",
            vendor=vendor,
            status=response.status_code,
        )
    return data


def _envelope_status(response: httpx.Response) -> bool:
    # Client errors whose body we read ourselves; 401/403/429/5xx keep the shared rules.
    return 400 <= response.status_code < 500 and response.status_code not in (401, 403, 429)


def _error(response: httpx.Response, data: Any, vendor: str) -> IntegrationError:
    envelope = data if isinstance(data, dict) else {}
    code = str(envelope.get("error") or "")
    text = str(envelope.get("description") or code or response.reason_phrase)
    kw: dict[str, Any] = {
        "vendor": vendor,
        "status": response.status_code,
        "request_id": response.headers.get("x-zendesk-request-id")
        or response.headers.get("x-request-id"),
    }
    message = f"{code}: {text}" if code and code != text else text
    if response.status_code == 404:
        return NotFound(message, **kw)
    if response.status_code == 422 or code == "RecordInvalid":
        details = envelope.get("details")
        return RecordInvalid(message, details=details if isinstance(details, dict) else None, **kw)
    return APIStatusError(message, **kw)
