"""DHL Shipment Tracking – Unified sandbox: ``GET /track/shipments?trackingNumber=...``
with ``DHL-API-Key: demo`` (header or ``DHL-API-Key`` query parameter), seeded from
the demo shop. Unknown numbers get the real 404 problem JSON, a bad key 401 as
``application/problem+json`` (the spec's unauthorizedError); proofOfDelivery appears
only once delivered (its fields are never null in the spec).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import httpx

from integrations.models import TrackingStatus
from integrations.sandbox.base import Faults, json_response
from integrations.sandbox.demo import DemoShipment, DemoShop, build_demo_shop

__all__ = ["DhlSimulator"]

DEMO_KEY = "demo"
_S = TrackingStatus
_CODES = {
    _S.LABEL_CREATED: ("pre-transit", "PRE-TRANSIT"),
    _S.IN_TRANSIT: ("transit", "IN TRANSIT"),
    _S.OUT_FOR_DELIVERY: ("transit", "WITH DELIVERY COURIER"),
    _S.AVAILABLE_FOR_PICKUP: ("transit", "READY FOR PICKUP"),
    _S.DELIVERED: ("delivered", "DELIVERED"),
    _S.DELIVERY_ATTEMPTED: ("failure", "DELIVERY ATTEMPTED"),
    _S.DELAYED: ("transit", "DELAYED"),
    _S.EXCEPTION: ("failure", "FAILURE"),
    _S.RETURNED_TO_SENDER: ("failure", "RETURNED TO SENDER"),
}


def _problem(status: int, title: str, detail: str, instance: str) -> httpx.Response:
    body = {"title": title, "status": status, "detail": detail, "instance": instance}
    return json_response(status, body, headers={"content-type": "application/problem+json"})


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def _location(place: str) -> dict[str, object]:
    return {"address": {"addressLocality": place.upper()}}  # Express style: "BERLIN - GERMANY"


def _shipment(s: DemoShipment) -> dict[str, object]:
    code, label = _CODES.get(s.status, ("unknown", "UNKNOWN"))
    latest = s.events[0] if s.events else None
    out: dict[str, object] = {
        "id": s.tracking_number,
        "service": "express",
        "origin": {"address": {"addressLocality": s.origin}},
        "destination": {"address": {"addressLocality": s.destination}},
        "status": {
            "timestamp": _iso(latest[0]) if latest else None,
            "location": _location(latest[3]) if latest else None,
            "statusCode": code,
            "status": label,
            "description": latest[2] if latest else label,
        },
        "details": {"totalNumberOfPieces": 1, "pieceIds": [f"JD0146{s.tracking_number}"]},
        "events": [
            {
                "timestamp": _iso(at),
                "statusCode": _CODES.get(status, ("unknown", ""))[0],
                "status": _CODES.get(status, ("", "UNKNOWN"))[1],
                "description": text,
                "location": _location(place),
            }
            for at, status, text, place in s.events
        ],
    }
    if s.delivered_at is not None:  # the spec's strings are never null: no proof, no object
        out["details"]["proofOfDelivery"] = {  # type: ignore[index]
            "timestamp": _iso(s.delivered_at),
            "documentUrl": f"https://webpod.dhl.com/webPOD/DHLePODRequest?awb={s.tracking_number}",
        }
    elif s.estimated_delivery is not None:
        out["estimatedTimeOfDelivery"] = _iso(s.estimated_delivery)
    return out


class DhlSimulator:
    """A fake DHL Unified tracking API: key ``demo``, problem JSON errors, call counts."""

    def __init__(self, shop: DemoShop | None = None, *, api_key: str = DEMO_KEY) -> None:
        self.faults = Faults()
        self.shipments = (shop or build_demo_shop()).shipments_for("dhl")
        self.api_key = api_key
        self.calls: Counter[str] = Counter()

    async def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path != "/track/shipments" or request.method != "GET":
            return _problem(404, "Not Found", "No such resource", path)
        key = request.headers.get("dhl-api-key") or request.url.params.get("DHL-API-Key")
        if key != self.api_key:  # the spec's unauthorizedError: problem+json
            return _problem(401, "Unauthorized", "Invalid API key.", path)
        number = request.url.params.get("trackingNumber", "").strip()
        if not number:
            return _problem(400, "Bad Request", "trackingNumber is required", path)
        self.calls[number] += 1
        shipment = self.shipments.get(number)
        if shipment is None:
            return _problem(
                404,
                "No result found",
                "No shipment with given tracking number found.",
                f"/shipment/{number}",
            )
        return json_response(
            200,
            {
                "url": f"/shipments?trackingNumber={number}&offset=0&limit=5",
                "shipments": [_shipment(shipment)],
            },
        )
