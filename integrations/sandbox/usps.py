"""USPS Tracking v3 sandbox: ``POST /oauth2/v3/token`` and
``GET /tracking/v3/tracking/{number}?expand=DETAIL``, seeded from the demo shop.

Answers with the DETAIL shape as USPS sends it (string booleans, null text fields,
``GMTTimestamp``, ``eventCode``, an HTML mail class: where the recorded real answer
departs from the published spec, so does the sandbox, and nowhere else),
400 + subcode 150002 for numbers it doesn't know, and 401 for missing or
expired tokens. Event local times are given at a fixed UTC-05:00 offset.
"""

from __future__ import annotations

import json
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

import httpx

from integrations.models import TrackingStatus
from integrations.sandbox.base import Faults, json_response
from integrations.sandbox.demo import DemoShipment, DemoShop, build_demo_shop
from integrations.sandbox.oauth import TokenIssuer

__all__ = ["UspsSimulator"]

_OFFSET = timedelta(hours=-5)

_CATEGORY = {
    TrackingStatus.LABEL_CREATED: ("Pre-Shipment", "GX"),
    TrackingStatus.IN_TRANSIT: ("In Transit", "TL"),
    TrackingStatus.OUT_FOR_DELIVERY: ("Out for Delivery", "OF"),
    TrackingStatus.AVAILABLE_FOR_PICKUP: ("Available for Pickup", "07"),
    TrackingStatus.DELIVERED: ("Delivered", "01"),
    TrackingStatus.DELIVERY_ATTEMPTED: ("Delivery Attempt", "02"),
    TrackingStatus.DELAYED: ("Alert", "TL"),
    TrackingStatus.EXCEPTION: ("Alert", "05"),
    TrackingStatus.RETURNED_TO_SENDER: ("Return to Sender", "09"),
}
_TEXT_CODES = (("Arrived", "A1"), ("Departed", "T1"), ("possession", "03"))


def _error(status: int, code: str, title: str, detail: str) -> httpx.Response:
    return json_response(
        status,
        {
            "apiVersion": "v3",
            "error": {
                "code": str(status),
                "message": title,
                "errors": [{"status": str(status), "code": code, "title": title, "detail": detail}],
            },
        },
    )


def _gmt(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def _event(at: datetime, status: TrackingStatus, text: str, place: str) -> dict[str, object]:
    code = _CATEGORY.get(status, ("", "TL"))[1]
    if status is TrackingStatus.IN_TRANSIT:
        code = next((c for word, c in _TEXT_CODES if word in text), code)
    city, _, rest = place.partition(", ")
    state, _, zip_code = rest.partition(" ")
    return {
        "eventType": text,
        "eventTimestamp": (at + _OFFSET).strftime("%Y-%m-%dT%H:%M:%S"),
        "GMTTimestamp": _gmt(at),
        "GMTOffset": "-05:00",
        "eventCountry": None,
        "eventCity": city or None,
        "eventState": state or None,
        "eventZIP": zip_code or None,
        "firm": None,
        "name": None,
        "authorizedAgent": "false",
        "eventCode": code,
    }


def _detail(s: DemoShipment) -> dict[str, object]:
    category = _CATEGORY.get(s.status, ("Alert", "05"))[0]
    latest = s.events[0] if s.events else None
    origin_city, _, origin_state = s.origin.partition(", ")
    dest_city, _, dest_state = s.destination.partition(", ")
    body: dict[str, object] = {
        "trackingNumber": s.tracking_number,
        "mailClass": f"{s.service}<SUP>&#153;</SUP>",
        "mailType": "DM",
        "originCity": origin_city.upper(),
        "originState": origin_state,
        "destinationCity": dest_city.upper(),
        "destinationState": dest_state,
        "status": latest[2] if latest else category,
        "statusCategory": category,
        "statusSummary": latest[2] if latest else "",
        "emailEnabled": "true",
        "services": ["USPS Tracking<SUP>&#174;</SUP>"],
        "trackingEvents": [_event(*e) for e in s.events],
    }
    if s.estimated_delivery is not None and s.delivered_at is None:
        body["expectedDeliveryTimeStamp"] = _gmt(s.estimated_delivery)
        body["predictedDeliveryDate"] = (s.estimated_delivery + _OFFSET).strftime("%Y-%m-%d")
    return body


def _token_request(request: httpx.Request) -> dict[str, str]:
    """The token request as USPS's example sends it (JSON), or as an OAuth form."""
    text = request.content.decode("utf-8", "replace")
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = json.loads(text)
        except ValueError:
            return {}
        return {str(k): str(v) for k, v in body.items()} if isinstance(body, dict) else {}
    return dict(urllib.parse.parse_qsl(text))


class UspsSimulator:
    """A fake USPS: tokens for the client secret ``demo``, DETAIL answers, call counts."""

    def __init__(
        self,
        shop: DemoShop | None = None,
        *,
        token_lifetime: float = 28800.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.faults = Faults()
        self.shipments = (shop or build_demo_shop()).shipments_for("usps")
        self.tokens = TokenIssuer(lifetime=token_lifetime, clock=clock)
        self.calls: Counter[str] = Counter()

    async def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/oauth2/v3/token" and request.method == "POST":
            return self._token(request)
        prefix = "/tracking/v3/tracking/"
        if path.startswith(prefix) and request.method == "GET":
            if not self.tokens.valid(request.headers.get("authorization")):
                return _error(401, "401", "Unauthorized", "OAuth token is missing or expired")
            return self._track(urllib.parse.unquote(path[len(prefix) :]))
        return _error(404, "404", "Not Found", f"no route for {request.method} {path}")

    def _token(self, request: httpx.Request) -> httpx.Response:
        form = _token_request(request)
        if form.get("grant_type") != "client_credentials":
            return json_response(400, {"error": "unsupported_grant_type"})
        token = self.tokens.issue(form.get("client_secret"))
        if token is None:
            return json_response(
                401,
                {"error": "invalid_client", "error_description": "Client authentication failed."},
            )
        return json_response(
            200,
            {
                "access_token": token,
                "token_type": "Bearer",
                "issued_at": str(int(time.time() * 1000)),
                "expires_in": str(int(self.tokens.lifetime)),
                "status": "approved",
                "scope": "tracking",
                "issuer": "api.usps.com",
                "client_id": form.get("client_id", ""),
            },
        )

    def _track(self, number: str) -> httpx.Response:
        self.calls[number] += 1
        shipment = self.shipments.get(number)
        if shipment is None:
            return _error(
                400,
                "150002",
                "BAD_REQUEST",
                "7: The tracking number may be incorrect or the status update is not yet "
                "available. Please verify your tracking number and try again later.",
            )
        return json_response(200, _detail(shipment))
