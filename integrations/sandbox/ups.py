"""UPS Track sandbox: ``POST /security/v1/oauth/token`` (HTTP Basic, secret ``demo``)
and ``GET /api/track/v1/details/{number}``, seeded from the demo shop.

Answers with trackResponse/shipment/package/currentStatus/activity/deliveryDate.
An unknown number is HTTP 404 with ``{"response":{"errors":[{"code":"TW0001",...}]}}``
(our choice where the reference is [U]; the client accepts the 200 + warning form too).
Requests without ``transId``/``transactionSrc`` get 400, as the real API does.
"""

from __future__ import annotations

import base64
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

__all__ = ["UpsSimulator"]

_S = TrackingStatus
_OFFSET = timedelta(hours=-5)
# (type, code, statusCode, description)
_CODES = {
    _S.LABEL_CREATED: ("M", "MP", "003", "Shipper created a label, UPS has not received the package yet."),
    _S.IN_TRANSIT: ("I", "OR", "005", "On the Way"),
    _S.OUT_FOR_DELIVERY: ("I", "OF", "072", "Out for Delivery Today"),
    _S.AVAILABLE_FOR_PICKUP: ("I", "HP", "017", "Ready for pickup"),
    _S.DELIVERED: ("D", "KB", "011", "Delivered"),
    _S.DELIVERY_ATTEMPTED: ("X", "DA", "022", "Delivery Attempted"),
    _S.DELAYED: ("I", "DL", "046", "Delay"),
    _S.EXCEPTION: ("X", "EX", "013", "Exception"),
    _S.RETURNED_TO_SENDER: ("RS", "RS", "033", "Returned to Sender"),
    _S.CANCELLED: ("MV", "MV", "007", "Shipment Voided"),
}  # fmt: skip


def _errors(status: int, code: str, message: str) -> httpx.Response:
    return json_response(status, {"response": {"errors": [{"code": code, "message": message}]}})


def _status(status: TrackingStatus, text: str | None = None) -> dict[str, str]:
    type_, code, status_code, description = _CODES.get(status, _CODES[_S.EXCEPTION])
    return {
        "type": type_,
        "code": code,
        "statusCode": status_code,
        "description": text or description,
        "simplifiedTextDescription": description,
    }


def _activity(at: datetime, status: TrackingStatus, text: str, place: str) -> dict[str, object]:
    local = at + _OFFSET
    city, _, state = place.partition(", ")
    return {
        "date": local.strftime("%Y%m%d"),
        "time": local.strftime("%H%M%S"),
        "gmtDate": at.strftime("%Y%m%d"),
        "gmtTime": at.strftime("%H%M%S"),
        "gmtOffset": "-05:00",
        "location": {
            "address": {"city": city, "stateProvince": state, "countryCode": "US"},
            "slic": "4029",
        },
        "status": _status(status, text),
    }


def _package(s: DemoShipment) -> dict[str, object]:
    package: dict[str, object] = {
        "trackingNumber": s.tracking_number,
        "currentStatus": _status(s.status),
        "activity": [_activity(*e) for e in s.events],
        "service": {"code": "003", "description": s.service},
        "packageCount": 1,
    }
    if s.delivered_at is not None:
        local = s.delivered_at + _OFFSET
        package["deliveryDate"] = [{"type": "DEL", "date": local.strftime("%Y%m%d")}]
        package["deliveryTime"] = {"type": "DEL", "endTime": local.strftime("%H%M%S")}
    elif s.estimated_delivery is not None:
        package["deliveryDate"] = [{"type": "SDD", "date": s.estimated_delivery.strftime("%Y%m%d")}]
        package["deliveryTime"] = {"type": "EOD", "endTime": "230000"}
    return package


class UpsSimulator:
    """A fake UPS: tokens for the client secret ``demo``, track details, call counts."""

    def __init__(
        self,
        shop: DemoShop | None = None,
        *,
        token_lifetime: float = 14399.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.faults = Faults()
        self.shipments = (shop or build_demo_shop()).shipments_for("ups")
        self.tokens = TokenIssuer(lifetime=token_lifetime, clock=clock)
        self.calls: Counter[str] = Counter()
        self.trans_ids: list[str] = []

    async def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/security/v1/oauth/token" and request.method == "POST":
            return self._token(request)
        prefix = "/api/track/v1/details/"
        if path.startswith(prefix) and request.method == "GET":
            if not self.tokens.valid(request.headers.get("authorization")):
                return _errors(401, "250002", "Invalid Authentication Information.")
            trans_id = request.headers.get("transid", "")
            if not trans_id or len(trans_id) > 32 or not request.headers.get("transactionsrc"):
                return _errors(400, "TV1001", "Missing or invalid transId / transactionSrc")
            self.trans_ids.append(trans_id)
            return self._track(urllib.parse.unquote(path[len(prefix) :]))
        return _errors(404, "TV1000", f"No route for {request.method} {path}")

    def _token(self, request: httpx.Request) -> httpx.Response:
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        try:
            _, _, secret = base64.b64decode(encoded).decode().partition(":")
        except ValueError:
            secret = ""
        form = dict(urllib.parse.parse_qsl(request.content.decode("utf-8", "replace")))
        token = self.tokens.issue(secret) if scheme.lower() == "basic" else None
        if form.get("grant_type") != "client_credentials" or token is None:
            return _errors(401, "10401", "ClientId is Invalid")
        return json_response(
            200,
            {
                "token_type": "Bearer",
                "issued_at": str(int(time.time() * 1000)),
                "client_id": "demo",
                "access_token": token,
                "scope": "",
                "expires_in": str(int(self.tokens.lifetime)),
                "refresh_count": "0",
                "status": "approved",
            },
        )

    def _track(self, number: str) -> httpx.Response:
        self.calls[number] += 1
        shipment = self.shipments.get(number)
        if shipment is None:
            return _errors(404, "TW0001", "Tracking Information Not Found")
        body = {
            "trackResponse": {
                "shipment": [{"inquiryNumber": number, "package": [_package(shipment)]}]
            }
        }
        return json_response(200, body)
