"""UPS Track API client.

OAuth ``POST /security/v1/oauth/token`` with HTTP Basic ``client_id:client_secret``
and form ``grant_type=client_credentials`` (``expires_in`` arrives as a string),
then ``GET /api/track/v1/details/{number}?locale=en_US`` with headers ``transId``
(a fresh uuid4 hex: 32 characters, the [U] limit) and ``transactionSrc``.

Not found [U]: the spec says HTTP 404; a recorded answer (karrio's fixtures) is a
200 whose shipment carries a ``TW0001`` "Tracking Information Not Found" warning, and
another a 400 with ``TV1002`` "Invalid inquiry number". The client reads all three as
NOT_FOUND (and any 404 with a UPS body); other 400s are APIStatusError. The sandbox
answers 404 + ``{"response":{"errors":[TW0001]}}``.

Status codes are compared numerically ("011" == "11"): responses pad them, the
code tables don't.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx

from integrations.carriers._common import (
    clean_text,
    dig,
    expect_dict,
    expect_list,
    tracking_url,
)
from integrations.carriers.detect import normalize
from integrations.errors import APIStatusError, BadResponse
from integrations.http import ApiTransport, ClientCredentials
from integrations.models import Tracking, TrackingEvent, TrackingStatus

__all__ = ["UpsClient", "ups_status"]

VENDOR = "ups"
NOT_FOUND_CODES = frozenset({"TW0001", "TV1002"})

_S = TrackingStatus
_STATUS_CODES: dict[int, TrackingStatus] = {
    3: _S.LABEL_CREATED,
    **dict.fromkeys((6, 21, 37, 72), _S.OUT_FOR_DELIVERY),
    **dict.fromkeys((17, 40), _S.AVAILABLE_FOR_PICKUP),
    **dict.fromkeys((11, 26), _S.DELIVERED),
    **dict.fromkeys((22, 23, 24, 60), _S.DELIVERY_ATTEMPTED),
    **dict.fromkeys((46, 48, 52), _S.DELAYED),
    **dict.fromkeys((13, 29), _S.EXCEPTION),
    **dict.fromkeys((33, 34, 35, 36), _S.RETURNED_TO_SENDER),
    7: _S.CANCELLED,
}
_TYPES = {
    "D": _S.DELIVERED,
    "I": _S.IN_TRANSIT,
    "P": _S.IN_TRANSIT,
    "M": _S.LABEL_CREATED,
    "MV": _S.CANCELLED,
    "X": _S.EXCEPTION,
    "RS": _S.RETURNED_TO_SENDER,
}


def ups_status(type_: str | None, status_code: str | None) -> TrackingStatus:
    """Normalise currentStatus/status ``type`` + numeric ``statusCode``."""
    try:
        by_code = _STATUS_CODES.get(int(str(status_code).strip()))
    except ValueError:
        by_code = None
    return by_code or _TYPES.get((type_ or "").upper()) or _S.UNKNOWN


def _offset(text: object) -> timezone | None:
    if not isinstance(text, str) or len(text) != 6 or text[0] not in "+-":
        return None
    try:
        minutes = int(text[1:3]) * 60 + int(text[4:6])
    except ValueError:
        return None
    return timezone(timedelta(minutes=minutes if text[0] == "+" else -minutes))


def _when(date: object, clock: object = None, tz: timezone | None = None) -> datetime | None:
    """``YYYYMMDD`` + optional ``HHMMSS`` in ``tz`` (naive when no offset is known)."""
    if not isinstance(date, str) or len(date) != 8:
        return None
    stamp = date + (clock if isinstance(clock, str) and len(clock) == 6 else "000000")
    try:
        at = datetime.strptime(stamp, "%Y%m%d%H%M%S")
    except ValueError:
        return None
    return at.replace(tzinfo=tz) if tz else at


def _place(location: object) -> str | None:
    address = dig(location, "address") or {}
    if not isinstance(address, dict):
        return None
    parts = [address.get("city"), address.get("stateProvince") or address.get("countryCode")]
    return ", ".join(str(p) for p in parts if p) or None


def _event(activity: object) -> TrackingEvent:
    a = expect_dict(activity, VENDOR, "activity[]")
    status = a.get("status") if isinstance(a.get("status"), dict) else {}
    at = _when(a.get("gmtDate"), a.get("gmtTime"), UTC) or _when(
        a.get("date"), a.get("time"), _offset(a.get("gmtOffset"))
    )
    return TrackingEvent(
        at=at,
        description=clean_text(status.get("description")),
        location=_place(a.get("location")),
        status=ups_status(status.get("type"), status.get("statusCode")),
        code=status.get("code") or None,
    )


class UpsClient:
    """Tracks parcels with UPS.

    Args:
        http: the shared client; base_url: ``https://onlinetools.ups.com`` or the sandbox.
        client_id, client_secret: the UPS app's credentials.
        transaction_src: sent as ``transactionSrc`` on every call.
        clock: for the token cache (tests move time forward).
        transport_options: passed to :class:`ApiTransport`.
    """

    name = VENDOR

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        client_id: str,
        client_secret: str,
        transaction_src: str = "chatbot",
        clock: Callable[[], float] = time.monotonic,
        **transport_options: Any,
    ) -> None:
        self._api = ApiTransport(http, vendor=VENDOR, base_url=base_url, **transport_options)
        self._source = transaction_src
        self.auth = ClientCredentials(
            self._api, "/security/v1/oauth/token", client_id=client_id,
            client_secret=client_secret, send="basic", clock=clock,
        )  # fmt: skip

    async def track(self, number: str) -> Tracking:
        """Current status and activity of ``number``; NOT_FOUND when UPS doesn't know it.

        Raises:
            AuthFailed, RateLimited, IntegrationUnavailable, APIStatusError, BadResponse.
        """
        number = normalize(number)
        response = await self._api.request(
            "GET",
            f"/api/track/v1/details/{number}",
            params={"locale": "en_US", "returnSignature": "false"},
            headers={"transId": uuid.uuid4().hex, "transactionSrc": self._source},
            auth=self.auth,
            accept_status=lambda r: r.status_code in (400, 404),
        )
        body = expect_dict(self._api.json(response), VENDOR, "track response")
        shipment = dig(body, "trackResponse", "shipment", 0)
        package = dig(shipment, "package", 0)
        if response.status_code == 404 or not isinstance(package, dict):
            warnings = expect_list(dig(shipment, "warnings"), VENDOR, "warnings")
            errors = expect_list(dig(body, "response", "errors"), VENDOR, "errors")
            notes = [w for w in warnings + errors if isinstance(w, dict)]
            codes = {str(n.get("code")) for n in notes}
            if response.status_code == 404 or codes & NOT_FOUND_CODES:
                return Tracking(
                    carrier=VENDOR,
                    number=number,
                    status=TrackingStatus.NOT_FOUND,
                    description=str(notes[0].get("message", "")) if notes else "",
                    raw_status=",".join(sorted(codes)) or None,
                )
            if response.status_code >= 400:
                text = "; ".join(f"{n.get('code')}: {n.get('message')}" for n in notes)
                raise APIStatusError(
                    f"request refused: {text or response.text[:200]}",
                    vendor=VENDOR,
                    status=response.status_code,
                )
            raise BadResponse("tracking response without a package", vendor=VENDOR)
        return _tracking(number, package)


def _tracking(number: str, package: dict[str, Any]) -> Tracking:
    current = package.get("currentStatus") if isinstance(package.get("currentStatus"), dict) else {}
    status = ups_status(current.get("type"), current.get("statusCode"))
    events = tuple(_event(a) for a in expect_list(package.get("activity"), VENDOR, "activity"))
    dates = {
        d.get("type"): d.get("date")
        for d in expect_list(package.get("deliveryDate"), VENDOR, "deliveryDate")
        if isinstance(d, dict)
    }
    window = package.get("deliveryTime") if isinstance(package.get("deliveryTime"), dict) else {}
    delivered_at = None
    if status is TrackingStatus.DELIVERED:
        delivered_at = next(
            (e.at for e in events if e.status is TrackingStatus.DELIVERED), None
        ) or _when(dates.get("DEL"), window.get("endTime") or window.get("startTime"))
    estimate = None
    if status is not TrackingStatus.DELIVERED:
        estimate = _when(dates.get("RDD") or dates.get("SDD"), window.get("endTime"))
    return Tracking(
        carrier=VENDOR,
        number=number,
        status=status,
        description=clean_text(
            current.get("description") or current.get("simplifiedTextDescription")
        ),
        estimated_delivery=estimate,
        delivered_at=delivered_at,
        events=events,
        service=dig(package, "service", "description") or None,
        url=tracking_url(VENDOR, number),
        raw_status=current.get("statusCode") or current.get("type") or None,
    )
