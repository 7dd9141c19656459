"""FedEx Track sandbox: ``POST /oauth/token`` and ``POST /track/v1/trackingnumbers``,
seeded from the demo shop.

Answers with completeTrackResults/trackResults/latestStatusDetail/dateAndTimes/
scanEvents/delayDetail; an unknown number is HTTP 200 with
``TRACKING.TRACKINGNUMBER.NOTFOUND`` inside its trackResults; a missing or expired
token is 401 ``NOT.AUTHORIZED.ERROR``.
"""

from __future__ import annotations

import json
import time
import urllib.parse
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import datetime

import httpx

from integrations.models import TrackingStatus
from integrations.sandbox.base import Faults, json_response
from integrations.sandbox.demo import DemoShipment, DemoShop, build_demo_shop
from integrations.sandbox.oauth import TokenIssuer

__all__ = ["FedexSimulator"]

_S = TrackingStatus
_CODES = {
    _S.LABEL_CREATED: ("OC", "Label created"),
    _S.IN_TRANSIT: ("IT", "In transit"),
    _S.OUT_FOR_DELIVERY: ("OD", "On FedEx vehicle for delivery"),
    _S.AVAILABLE_FOR_PICKUP: ("HP", "Ready for recipient pickup"),
    _S.DELIVERED: ("DL", "Delivered"),
    _S.DELIVERY_ATTEMPTED: ("DE", "Delivery exception"),
    _S.DELAYED: ("DY", "Delay"),
    _S.EXCEPTION: ("SE", "Shipment exception"),
    _S.RETURNED_TO_SENDER: ("RS", "Return to shipper"),
    _S.CANCELLED: ("CA", "Shipment cancelled"),
}


def _errors(status: int, code: str, message: str) -> httpx.Response:
    body = {"transactionId": str(uuid.uuid4()), "errors": [{"code": code, "message": message}]}
    return json_response(status, body)


def _iso(at: datetime) -> str:
    return at.isoformat(timespec="seconds")


def _location(place: str) -> dict[str, str]:
    city, _, state = place.partition(", ")
    return {"city": city, "stateOrProvinceCode": state, "countryCode": "US"}


def _result(s: DemoShipment) -> dict[str, object]:
    code, text = _CODES.get(s.status, ("SE", "Shipment exception"))
    latest = s.events[0] if s.events else None
    detail: dict[str, object] = {
        "code": code,
        "derivedCode": code,
        "statusByLocale": text,
        "description": latest[2] if latest and s.status is _S.DELAYED else text,
        "scanLocation": _location(latest[3]) if latest else {},
        "ancillaryDetails": [],
        "delayDetail": {"status": "DELAYED", "type": "OPERATIONAL"}
        if s.status is _S.DELAYED
        else {"status": "ON_TIME"},
    }
    dates = [{"type": "SHIP", "dateTime": _iso(s.events[-1][0])}] if s.events else []
    if s.estimated_delivery is not None:
        dates.append({"type": "ESTIMATED_DELIVERY", "dateTime": _iso(s.estimated_delivery)})
    if s.delivered_at is not None:
        dates.append({"type": "ACTUAL_DELIVERY", "dateTime": _iso(s.delivered_at)})
    return {
        "trackingNumberInfo": {
            "trackingNumber": s.tracking_number,
            "carrierCode": "FDXG",
            "trackingNumberUniqueId": f"2458~{s.tracking_number}~FDEG",
        },
        "latestStatusDetail": detail,
        "dateAndTimes": dates,
        # receivedByName is a string in the spec: left out when nobody signed
        "deliveryDetails": {"deliveryAttempts": "0"},
        "scanEvents": [
            {
                "date": _iso(at),
                "eventType": _CODES.get(status, ("SE", ""))[0],
                "eventDescription": text,
                "derivedStatus": _CODES.get(status, ("SE", ""))[1],
                "derivedStatusCode": _CODES.get(status, ("SE", ""))[0],
                "exceptionCode": "",
                "exceptionDescription": "",
                "scanLocation": _location(place),
            }
            for at, status, text, place in s.events
        ],
        "serviceDetail": {"type": "FEDEX_GROUND", "description": s.service},
    }


class FedexSimulator:
    """A fake FedEx: tokens for the client secret ``demo``, track results, call counts."""

    def __init__(
        self,
        shop: DemoShop | None = None,
        *,
        token_lifetime: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.faults = Faults()
        self.shipments = (shop or build_demo_shop()).shipments_for("fedex")
        self.tokens = TokenIssuer(lifetime=token_lifetime, clock=clock)
        self.calls: Counter[str] = Counter()

    async def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/oauth/token" and request.method == "POST":
            return self._token(request)
        if path == "/track/v1/trackingnumbers" and request.method == "POST":
            if not self.tokens.valid(request.headers.get("authorization")):
                return _errors(
                    401,
                    "NOT.AUTHORIZED.ERROR",
                    "Access token expired. Please modify your request and try again.",
                )
            return self._track(request)
        return _errors(404, "NOT.FOUND.ERROR", "The resource you requested is no longer available.")

    def _token(self, request: httpx.Request) -> httpx.Response:
        form = dict(urllib.parse.parse_qsl(request.content.decode("utf-8", "replace")))
        token = self.tokens.issue(form.get("client_secret"))
        if form.get("grant_type") != "client_credentials" or token is None:
            return _errors(
                401,
                "NOT.AUTHORIZED.ERROR",
                "The given client credentials were not valid. Please modify your request.",
            )
        return json_response(
            200,
            {
                "access_token": token,
                "token_type": "bearer",
                "expires_in": int(self.tokens.lifetime),
                "scope": "CXS",
            },
        )

    def _track(self, request: httpx.Request) -> httpx.Response:
        try:
            body = json.loads(request.content)
            numbers = [i["trackingNumberInfo"]["trackingNumber"] for i in body["trackingInfo"]]
        except (ValueError, KeyError, TypeError):
            numbers = []
        if not numbers or len(numbers) > 30:
            return _errors(400, "TRACKING.TRACKINGNUMBER.EMPTY", "Please provide tracking number.")
        complete = []
        for number in numbers:
            self.calls[number] += 1
            shipment = self.shipments.get(number)
            result = (
                _result(shipment)
                if shipment
                else {
                    "trackingNumberInfo": {
                        "trackingNumber": number,
                        "carrierCode": "",
                        "trackingNumberUniqueId": "",
                    },
                    "error": {
                        "code": "TRACKING.TRACKINGNUMBER.NOTFOUND",
                        "message": "Tracking number cannot be found. Please correct the "
                        "tracking number and try again.",
                    },
                }
            )
            complete.append({"trackingNumber": number, "trackResults": [result]})
        return json_response(
            200,
            {"transactionId": str(uuid.uuid4()), "output": {"completeTrackResults": complete}},
        )
