"""DHL Shipment Tracking – Unified client.

``GET /track/shipments?trackingNumber=...`` with the header ``DHL-API-Key``.
``statusCode`` is one of pre-transit | transit | delivered | failure | unknown;
the finer status comes from the free-text ``status``/``description`` ("out for
delivery", "with courier" -> OUT_FOR_DELIVERY...). A 404 problem JSON is NOT_FOUND,
401 AuthFailed, 429 RateLimited (honouring Retry-After).
"""

from __future__ import annotations

from typing import Any

import httpx

from integrations.carriers._common import (
    clean_text,
    dig,
    expect_dict,
    expect_list,
    parse_time,
    tracking_url,
)
from integrations.carriers.detect import normalize
from integrations.errors import BadResponse
from integrations.http import ApiTransport, StaticAuth
from integrations.models import Tracking, TrackingEvent, TrackingStatus

__all__ = ["DhlClient", "dhl_status"]

VENDOR = "dhl"
_S = TrackingStatus
_CODES = {
    "pre-transit": _S.LABEL_CREATED,
    "transit": _S.IN_TRANSIT,
    "delivered": _S.DELIVERED,
    "failure": _S.EXCEPTION,
    "unknown": _S.UNKNOWN,
}
# Refinements read from the text, in order; each applies only to the listed codes.
_WORDS: tuple[tuple[str, TrackingStatus, frozenset[str]], ...] = (
    ("return", _S.RETURNED_TO_SENDER, frozenset({"transit", "failure", "unknown"})),
    ("attempt", _S.DELIVERY_ATTEMPTED, frozenset({"transit", "failure"})),
    ("out for delivery", _S.OUT_FOR_DELIVERY, frozenset({"transit"})),
    ("with courier", _S.OUT_FOR_DELIVERY, frozenset({"transit"})),
    ("onto the delivery vehicle", _S.OUT_FOR_DELIVERY, frozenset({"transit"})),
    ("ready for pickup", _S.AVAILABLE_FOR_PICKUP, frozenset({"transit"})),
    ("available for pickup", _S.AVAILABLE_FOR_PICKUP, frozenset({"transit"})),
    ("ready for collection", _S.AVAILABLE_FOR_PICKUP, frozenset({"transit"})),
    ("delay", _S.DELAYED, frozenset({"transit", "unknown"})),
)


def dhl_status(code: str | None, *texts: str | None) -> TrackingStatus:
    """Normalise ``statusCode`` refined by the status/description text."""
    code = (code or "unknown").lower()
    text = " ".join(t for t in texts if t).lower()
    for word, status, applies in _WORDS:
        if code in applies and word in text:
            return status
    return _CODES.get(code, _S.UNKNOWN)


def _place(location: object) -> str | None:
    address = dig(location, "address")
    if not isinstance(address, dict):
        return None
    parts = [address.get("addressLocality"), address.get("countryCode")]
    return ", ".join(str(p) for p in parts if p) or None


def _event(event: object) -> TrackingEvent:
    e = expect_dict(event, VENDOR, "events[]")
    text = clean_text(e.get("description") or e.get("status"))
    return TrackingEvent(
        at=parse_time(e.get("timestamp")),
        description=text,
        location=_place(e.get("location")),
        status=dhl_status(e.get("statusCode"), e.get("status"), e.get("description")),
        code=e.get("statusCode") or None,
    )


class DhlClient:
    """Tracks parcels with DHL (Express, Parcel, eCommerce through one API).

    Args:
        http: the shared client; base_url: ``https://api-eu.dhl.com`` or the sandbox.
        api_key: the DHL developer portal consumer key.
        transport_options: passed to :class:`ApiTransport`.
    """

    name = VENDOR

    def __init__(
        self, http: httpx.AsyncClient, *, base_url: str, api_key: str, **transport_options: Any
    ) -> None:
        self._api = ApiTransport(http, vendor=VENDOR, base_url=base_url, **transport_options)
        self._auth = StaticAuth({"DHL-API-Key": api_key})

    async def track(self, number: str) -> Tracking:
        """Current status and events of ``number``; NOT_FOUND when DHL doesn't know it.

        Raises:
            AuthFailed, RateLimited, IntegrationUnavailable, APIStatusError, BadResponse.
        """
        number = normalize(number)
        response = await self._api.request(
            "GET",
            "/track/shipments",
            params={"trackingNumber": number, "language": "en"},
            headers={"Accept": "application/json"},
            auth=self._auth,
            accept_status=lambda r: r.status_code == 404,
        )
        body = expect_dict(self._api.json(response), VENDOR, "tracking response")
        if response.status_code != 404 and "shipments" not in body:
            raise BadResponse("tracking response without shipments", vendor=VENDOR)
        shipments = expect_list(body.get("shipments"), VENDOR, "shipments")
        if response.status_code == 404 or not shipments:
            return Tracking(
                carrier=VENDOR,
                number=number,
                status=TrackingStatus.NOT_FOUND,
                description=str(body.get("detail") or body.get("title") or ""),
                raw_status=str(body.get("status") or "404"),
            )
        mine = next(
            (s for s in shipments if isinstance(s, dict) and s.get("id") == number), shipments[0]
        )
        return _tracking(number, expect_dict(mine, VENDOR, "shipments[]"))


def _tracking(number: str, shipment: dict[str, Any]) -> Tracking:
    current = shipment.get("status")
    if not isinstance(current, dict):
        raise BadResponse("shipment without status", vendor=VENDOR)
    status = dhl_status(
        current.get("statusCode"), current.get("status"), current.get("description")
    )
    events = tuple(_event(e) for e in expect_list(shipment.get("events"), VENDOR, "events"))
    delivered_at = None
    if status is TrackingStatus.DELIVERED:
        delivered_at = parse_time(dig(shipment, "details", "proofOfDelivery", "timestamp"))
        delivered_at = delivered_at or parse_time(current.get("timestamp"))
    estimate = parse_time(shipment.get("estimatedTimeOfDelivery")) or parse_time(
        dig(shipment, "estimatedDeliveryTimeFrame", "estimatedThrough")
    )
    return Tracking(
        carrier=VENDOR,
        number=number,
        status=status,
        description=clean_text(current.get("description") or current.get("status")),
        estimated_delivery=None if delivered_at else estimate,
        delivered_at=delivered_at,
        events=events,
        service=shipment.get("service") or None,
        url=tracking_url(VENDOR, number),
        raw_status=current.get("statusCode") or None,
    )
