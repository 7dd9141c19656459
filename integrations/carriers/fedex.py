"""FedEx Track API client.

OAuth ``POST /oauth/token`` (form: grant_type, client_id, client_secret), then
``POST /track/v1/trackingnumbers`` with ``includeDetailedScans``.

* An unknown number comes back as HTTP 200 with
  ``TRACKING.TRACKINGNUMBER.NOTFOUND`` inside ``trackResults[].error``: NOT_FOUND.
* Request-level ``errors[]`` envelopes: HTTP status decides the error class
  (401 ``NOT.AUTHORIZED.ERROR`` refreshes the token once, then AuthFailed); the
  same envelope inside a 200 is mapped by code.
* A result that carries an ``error`` next to tracking data (FedEx's own sample
  answer, recorded in karrio's fixtures, has TRACKING.TRACKINGNUMBER.EMPTY beside full
  data) is read for its data; the error counts only when there is no data.
* A number FedEx has used for more than one shipment comes back with several
  ``trackResults`` (karrio's DuplicateTrackingResponse): the newest shipment is read.
* The track call is a POST but only reads, so it is retried like a GET.
* [U] the ``IN`` derived code is read as LABEL_CREATED; Retry-After is honoured if sent.
"""

from __future__ import annotations

import time
from collections.abc import Callable
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
from integrations.errors import APIStatusError, AuthFailed, BadResponse
from integrations.http import ApiTransport, ClientCredentials
from integrations.models import Tracking, TrackingEvent, TrackingStatus

__all__ = ["FedexClient", "fedex_status"]

VENDOR = "fedex"
NOT_FOUND_CODES = frozenset({"TRACKING.TRACKINGNUMBER.NOTFOUND", "TRACKING.DATA.NOTFOUND"})

_S = TrackingStatus
_CODES: dict[str, TrackingStatus] = {
    **dict.fromkeys(("OC", "OX", "IN"), _S.LABEL_CREATED),
    **dict.fromkeys(
        (
            *("PU", "PX", "IT", "IX", "AR", "AF", "DP", "AA", "PL"),
            *("PF", "LO", "FD", "SF", "OF", "TR", "CC", "CP", "AP"),
        ),
        _S.IN_TRANSIT,
    ),
    **dict.fromkeys(("OD", "ED"), _S.OUT_FOR_DELIVERY),
    **dict.fromkeys(("HL", "HP"), _S.AVAILABLE_FOR_PICKUP),
    "DL": _S.DELIVERED,
    **dict.fromkeys(("DY", "DD", "PD", "CD"), _S.DELAYED),
    "SE": _S.EXCEPTION,
    "DE": _S.EXCEPTION,
    "RS": _S.RETURNED_TO_SENDER,
    "CA": _S.CANCELLED,
}


def fedex_status(
    code: str | None, derived: str | None = None, *, delayed: bool = False, attempted: bool = False
) -> TrackingStatus:
    """Normalise latestStatusDetail code/derivedCode plus delayDetail and attempt dates."""
    status = _CODES.get((code or "").upper()) or _CODES.get((derived or "").upper())
    if status is None:
        return _S.UNKNOWN
    if (code or derived or "").upper() == "DE" and attempted:
        return _S.DELIVERY_ATTEMPTED
    if delayed and status in (_S.IN_TRANSIT, _S.LABEL_CREATED, _S.OUT_FOR_DELIVERY):
        return _S.DELAYED
    return status


class FedexClient:
    """Tracks parcels with FedEx.

    Args:
        http: the shared client; base_url: ``https://apis.fedex.com`` or the sandbox.
        client_id, client_secret: the project's API key and secret key.
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
        clock: Callable[[], float] = time.monotonic,
        **transport_options: Any,
    ) -> None:
        self._api = ApiTransport(http, vendor=VENDOR, base_url=base_url, **transport_options)
        self.auth = ClientCredentials(
            self._api, "/oauth/token", client_id=client_id, client_secret=client_secret,
            clock=clock,
        )  # fmt: skip

    async def track(self, number: str) -> Tracking:
        """Current status and scans of ``number``; NOT_FOUND when FedEx doesn't know it.

        Raises:
            AuthFailed, RateLimited, IntegrationUnavailable, APIStatusError, BadResponse.
        """
        number = normalize(number)
        response = await self._api.request(
            "POST",
            "/track/v1/trackingnumbers",
            idempotent=True,
            auth=self.auth,
            headers={"X-locale": "en_US"},
            json={
                "includeDetailedScans": True,
                "trackingInfo": [{"trackingNumberInfo": {"trackingNumber": number}}],
            },
        )
        body = expect_dict(self._api.json(response), VENDOR, "track response")
        _raise_envelope(body)
        results = expect_list(dig(body, "output", "completeTrackResults"), VENDOR, "results")
        mine = next(
            (r for r in results if isinstance(r, dict) and r.get("trackingNumber") == number),
            results[0] if results else None,
        )
        tracks = expect_list(dig(mine, "trackResults"), VENDOR, "trackResults")
        tracks = [t for t in tracks if isinstance(t, dict)]
        if not tracks:
            raise BadResponse("no trackResults for the number", vendor=VENDOR)
        with_data = [t for t in tracks if _has_data(t)]
        if with_data:
            return _tracking(number, max(with_data, key=_newest))
        track = tracks[0]
        error = track.get("error")
        if isinstance(error, dict):
            if error.get("code") in NOT_FOUND_CODES:
                return Tracking(
                    carrier=VENDOR,
                    number=number,
                    status=TrackingStatus.NOT_FOUND,
                    description=str(error.get("message") or ""),
                    raw_status=str(error.get("code")),
                )
            raise APIStatusError(f"{error.get('code')}: {error.get('message')}", vendor=VENDOR)
        raise BadResponse("a track result with neither data nor error", vendor=VENDOR)


def _has_data(track: dict[str, Any]) -> bool:
    return isinstance(track.get("latestStatusDetail"), dict) or bool(track.get("scanEvents"))


def _newest(track: dict[str, Any]) -> float:
    """When this shipment last moved: its newest scan, else its newest date."""
    times = [
        parse_time(s.get("date")) for s in track.get("scanEvents") or () if isinstance(s, dict)
    ]
    times += [parse_time(d.get("dateTime")) for d in track.get("dateAndTimes") or ()
              if isinstance(d, dict)]  # fmt: skip
    return max((t.timestamp() for t in times if t is not None), default=0.0)


def _raise_envelope(body: dict[str, Any]) -> None:
    errors = body.get("errors")
    if not errors or "output" in body:
        return
    first = errors[0] if isinstance(errors, list) and errors else {}
    code = str(first.get("code") if isinstance(first, dict) else first)
    message = str(first.get("message") if isinstance(first, dict) else "")
    if code in ("NOT.AUTHORIZED.ERROR", "FORBIDDEN.ERROR"):
        raise AuthFailed(f"{code}: {message}", vendor=VENDOR)
    raise APIStatusError(f"{code}: {message}", vendor=VENDOR)


def _place(location: object) -> str | None:
    if not isinstance(location, dict):
        return None
    parts = [location.get("city"), location.get("stateOrProvinceCode")]
    place = ", ".join(str(p) for p in parts if p)
    return place or location.get("countryCode") or None


def _event(scan: object) -> TrackingEvent:
    s = expect_dict(scan, VENDOR, "scanEvents[]")
    code = s.get("derivedStatusCode") or s.get("eventType") or None
    return TrackingEvent(
        at=parse_time(s.get("date")),
        description=clean_text(s.get("eventDescription")),
        location=_place(s.get("scanLocation")),
        status=fedex_status(s.get("eventType"), s.get("derivedStatusCode")),
        code=s.get("eventType") or code,
    )


def _tracking(number: str, track: dict[str, Any]) -> Tracking:
    latest = track.get("latestStatusDetail") or {}
    dates = {
        d.get("type"): parse_time(d.get("dateTime"))
        for d in expect_list(track.get("dateAndTimes"), VENDOR, "dateAndTimes")
        if isinstance(d, dict)
    }
    delayed = dig(latest, "delayDetail", "status") == "DELAYED"
    status = fedex_status(
        latest.get("code"),
        latest.get("derivedCode"),
        delayed=delayed,
        attempted="ATTEMPTED_DELIVERY" in dates,
    )
    events = tuple(_event(s) for s in expect_list(track.get("scanEvents"), VENDOR, "scanEvents"))
    events = tuple(sorted(events, key=lambda e: e.at.timestamp() if e.at else 0, reverse=True))
    return Tracking(
        carrier=VENDOR,
        number=number,
        status=status,
        description=clean_text(latest.get("description") or latest.get("statusByLocale")),
        estimated_delivery=None
        if status is TrackingStatus.DELIVERED
        else (
            dates.get("ESTIMATED_DELIVERY")
            or parse_time(dig(track, "estimatedDeliveryTimeWindow", "window", "ends"))
        ),
        delivered_at=dates.get("ACTUAL_DELIVERY") if status is TrackingStatus.DELIVERED else None,
        events=events,
        service=dig(track, "serviceDetail", "description") or None,
        url=tracking_url(VENDOR, number),
        raw_status=latest.get("code") or None,
    )
