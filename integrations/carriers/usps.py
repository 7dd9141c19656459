"""USPS Tracking API v3 client (``apis.usps.com``).

OAuth client credentials (``POST /oauth2/v3/token``), then
``GET /tracking/v3/tracking/{number}?expand=DETAIL`` with a Bearer token.

Choices where the reference is unconfirmed [U]:

* ``statusCategory`` has no published enum: it is normalised by substring, then
  ``status``, then the newest event's ``eventCode`` (02 attempted, 04/05/21
  exception, 09/31 returned, from Pub 199).
* HTTP 400 with subcodes 150001/150002/150003/150009 means "USPS has no status
  for this number yet": the client answers NOT_FOUND. Other 400 subcodes
  (wrong shipper, pickup number, fraudulent postage...) raise APIStatusError.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
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
from integrations.errors import APIStatusError, BadResponse
from integrations.http import ApiTransport, ClientCredentials
from integrations.models import Tracking, TrackingEvent, TrackingStatus

__all__ = ["NOT_YET_AVAILABLE", "UspsClient", "usps_status"]

VENDOR = "usps"
NOT_YET_AVAILABLE = frozenset({"150001", "150002", "150003", "150009"})

_EVENT_CODES = {
    "GX": TrackingStatus.LABEL_CREATED,
    "MA": TrackingStatus.LABEL_CREATED,
    "03": TrackingStatus.IN_TRANSIT,
    "SF": TrackingStatus.IN_TRANSIT,
    "10": TrackingStatus.IN_TRANSIT,
    "T1": TrackingStatus.IN_TRANSIT,
    "TL": TrackingStatus.IN_TRANSIT,
    "A1": TrackingStatus.IN_TRANSIT,
    "07": TrackingStatus.IN_TRANSIT,
    "OF": TrackingStatus.OUT_FOR_DELIVERY,
    "01": TrackingStatus.DELIVERED,
    "02": TrackingStatus.DELIVERY_ATTEMPTED,
    "04": TrackingStatus.EXCEPTION,
    "05": TrackingStatus.EXCEPTION,
    "21": TrackingStatus.EXCEPTION,
    "09": TrackingStatus.RETURNED_TO_SENDER,
    "31": TrackingStatus.RETURNED_TO_SENDER,
}

# Checked in order against statusCategory, then status: first match wins.
_WORDS: tuple[tuple[str, TrackingStatus], ...] = (
    ("return to sender", TrackingStatus.RETURNED_TO_SENDER),
    ("returned", TrackingStatus.RETURNED_TO_SENDER),
    ("out for delivery", TrackingStatus.OUT_FOR_DELIVERY),
    ("delivery attempt", TrackingStatus.DELIVERY_ATTEMPTED),
    ("notice left", TrackingStatus.DELIVERY_ATTEMPTED),
    ("available for pickup", TrackingStatus.AVAILABLE_FOR_PICKUP),
    ("delivered", TrackingStatus.DELIVERED),
    ("delay", TrackingStatus.DELAYED),
    ("alert", TrackingStatus.EXCEPTION),
    ("pre-shipment", TrackingStatus.LABEL_CREATED),
    ("label created", TrackingStatus.LABEL_CREATED),
    ("accepted", TrackingStatus.IN_TRANSIT),
    ("in transit", TrackingStatus.IN_TRANSIT),
    ("moving through network", TrackingStatus.IN_TRANSIT),
    ("in possession", TrackingStatus.IN_TRANSIT),
)


def _by_words(text: str) -> TrackingStatus | None:
    low = text.lower()
    return next((status for word, status in _WORDS if word in low), None)


def usps_status(category: str, status: str, event_code: str | None) -> TrackingStatus:
    """Normalise USPS's statusCategory / status / newest eventCode."""
    return (
        _by_words(category)
        or _by_words(status)
        or _EVENT_CODES.get((event_code or "").upper())
        or TrackingStatus.UNKNOWN
    )


class UspsClient:
    """Tracks parcels with USPS.

    Args:
        http: the shared client; base_url: ``https://apis.usps.com`` or the sandbox.
        client_id, client_secret: the USPS app's consumer key and secret.
        clock: for the token cache (tests move time forward).
        transport_options: passed to :class:`ApiTransport` (timeout, retry, sleep...).
    """

    name = VENDOR

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        client_id: str,
        client_secret: str,
        clock: Callable[[], float] = time.monotonic,
        **transport_options: Any,
    ) -> None:
        self._api = ApiTransport(http, vendor=VENDOR, base_url=base_url, **transport_options)
        # USPS's own example sends the token request as JSON (api-examples README).
        self.auth = ClientCredentials(
            self._api, "/oauth2/v3/token", client_id=client_id, client_secret=client_secret,
            send="json", scope="tracking", clock=clock,
        )  # fmt: skip

    async def track(self, number: str) -> Tracking:
        """Current status and events of ``number``; NOT_FOUND when USPS doesn't know it yet.

        Raises:
            AuthFailed, RateLimited, IntegrationUnavailable, APIStatusError, BadResponse.
        """
        number = normalize(number)
        response = await self._api.request(
            "GET",
            f"/tracking/v3/tracking/{number}",
            params={"expand": "DETAIL"},
            headers={"Accept": "application/json"},
            auth=self.auth,
            accept_status=lambda r: r.status_code == 400,
        )
        body = expect_dict(self._api.json(response), VENDOR, "tracking response")
        if response.status_code == 400 or "error" in body:
            return self._not_found_or_raise(number, body, response.status_code)
        if "eventSummaries" in body or "TrackResults" in body:
            return _summary(number, body)
        if not any(k in body for k in ("trackingNumber", "statusCategory", "trackingEvents")):
            raise BadResponse("tracking response without tracking fields", vendor=VENDOR)
        return _tracking(number, body)

    def _not_found_or_raise(self, number: str, body: dict[str, Any], status: int) -> Tracking:
        errors = expect_list(dig(body, "error", "errors"), VENDOR, "error.errors")
        codes = {str(e.get("code")) for e in errors if isinstance(e, dict)}
        if codes & NOT_YET_AVAILABLE:
            detail = next((e.get("detail") for e in errors if isinstance(e, dict)), "") or ""
            return Tracking(
                carrier=VENDOR,
                number=number,
                status=TrackingStatus.NOT_FOUND,
                description=str(detail),
                raw_status=",".join(sorted(codes)),
            )
        message = dig(body, "error", "message") or "request refused"
        raise APIStatusError(f"{message} {sorted(codes)}", vendor=VENDOR, status=status)


def _location(event: dict[str, Any]) -> str | None:
    city, state, zip_code = (event.get(k) or "" for k in ("eventCity", "eventState", "eventZIP"))
    place = ", ".join(p for p in (city, f"{state} {zip_code}".strip()) if p)
    return place or event.get("eventCountry") or None


def _event(event: object) -> TrackingEvent:
    e = expect_dict(event, VENDOR, "trackingEvents[]")
    code = e.get("eventCode") or None
    text = clean_text(e.get("eventType"))
    return TrackingEvent(
        at=parse_time(e.get("GMTTimestamp")) or parse_time(e.get("eventTimestamp")),
        description=text,
        location=_location(e),
        status=usps_status("", text, code),
        code=code,
    )


def _tracking(number: str, body: dict[str, Any]) -> Tracking:
    events = tuple(_event(e) for e in expect_list(body.get("trackingEvents"), VENDOR, "events"))
    category = clean_text(body.get("statusCategory"))
    status_text = clean_text(body.get("status"))
    status = usps_status(category, status_text, events[0].code if events else None)
    delivered_at = None
    if status is TrackingStatus.DELIVERED:
        delivered_at = next(
            (e.at for e in events if e.code == "01" or e.status is TrackingStatus.DELIVERED),
            None,
        )
    return Tracking(
        carrier=VENDOR,
        number=number,
        status=status,
        description=clean_text(body.get("statusSummary")) or status_text,
        estimated_delivery=None if delivered_at else _estimate(body),
        delivered_at=delivered_at,
        events=events,
        service=clean_text(body.get("mailClass")) or None,
        url=tracking_url(VENDOR, number),
        raw_status=category or status_text or None,
    )


def _at(date: object, time_of_day: object) -> datetime | None:
    """A ``YYYY-MM-DD`` date, at a time of day when one is given (``HH:MM[:SS]``)."""
    day = parse_time(date)
    if day is None or not isinstance(time_of_day, str):
        return day
    for shape in ("%H:%M:%S", "%H:%M", "%I:%M %p", "%I:%M%p"):
        try:
            clock = datetime.strptime(time_of_day.strip().upper(), shape).time()
        except ValueError:
            continue
        return datetime.combine(day.date(), clock, day.tzinfo)
    return day


def _estimate(body: dict[str, Any]) -> datetime | None:
    """When the parcel should arrive, from a DETAIL answer.

    ``expectedDeliveryTimeStamp`` (the commitment) first, then ``predictedDeliveryDate``
    with the end of its window; ``predictedDeliveryTimeStamp`` is deprecated and read
    only when neither is given. ``expectedDeliveryDate`` belongs to SUMMARY answers.
    """
    return (
        parse_time(body.get("expectedDeliveryTimeStamp"))
        or _at(body.get("predictedDeliveryDate"), body.get("predictedDeliveryWindowEndTime"))
        or parse_time(body.get("predictedDeliveryTimeStamp"))
    )


def _summary(number: str, body: dict[str, Any]) -> Tracking:
    """A SUMMARY answer: one line of text per event, newest first (the spec's
    ``TrackingSummary``, or ``TrackResults.TrackInfo.TrackSummary`` as USPS's own
    api-examples README shows it); the status is read from the newest line's words."""
    lines = body.get("eventSummaries")
    if lines is None:
        lines = [dig(body, "TrackResults", "TrackInfo", "TrackSummary")]
    texts = [clean_text(line) for line in expect_list(lines, VENDOR, "eventSummaries")]
    texts = [t for t in texts if t]
    if not texts:
        raise BadResponse("summary tracking response without events", vendor=VENDOR)
    status = _by_words(texts[0]) or TrackingStatus.UNKNOWN
    estimate = _at(body.get("expectedDeliveryDate"), body.get("expectedDeliveryTime"))
    return Tracking(
        carrier=VENDOR,
        number=number,
        status=status,
        description=texts[0],
        estimated_delivery=None if status is TrackingStatus.DELIVERED else estimate,
        events=tuple(TrackingEvent(at=None, description=t, status=_by_words(t)) for t in texts),
        url=tracking_url(VENDOR, number),
        raw_status=None,
    )
