"""FedEx specifics: NOTFOUND inside a 200, request-level envelopes, status codes."""

from __future__ import annotations

import httpx
import pytest

from integrations.carriers.fedex import FedexClient, fedex_status
from integrations.errors import APIStatusError, AuthFailed
from integrations.models import TrackingStatus as S
from integrations.sandbox import demo
from integrations.sandbox.base import transport
from integrations.sandbox.fedex import FedexSimulator


async def _noop(_: float) -> None:
    return None


class Scripted(FedexSimulator):
    def __init__(self, status: int, body: object) -> None:
        super().__init__()
        self.answer = httpx.Response(status, json=body)
        self.track_requests: list[httpx.Request] = []

    async def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/track/"):
            self.track_requests.append(request)
            return self.answer
        return await super().handle(request)


@pytest.fixture
async def client_for():
    opened: list[httpx.AsyncClient] = []

    def make(sim) -> FedexClient:
        http = httpx.AsyncClient(transport=transport(sim))
        opened.append(http)
        return FedexClient(
            http, base_url="https://apis.fedex.test", client_id="k", client_secret="demo",
            sleep=_noop,
        )  # fmt: skip

    yield make
    for http in opened:
        await http.aclose()


async def test_request_asks_for_detailed_scans(client_for):
    sim = FedexSimulator()
    seen: list[httpx.Request] = []
    original = sim.handle

    async def spy(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return await original(request)

    sim.handle = spy  # type: ignore[method-assign]
    await client_for(sim).track("7721 1834 5670")
    body = seen[-1].read()
    assert b'"includeDetailedScans":true' in body.replace(b" ", b"")
    assert b'"trackingNumber":"772118345670"' in body.replace(b" ", b"")


async def test_not_found_inside_a_200(client_for):
    t = await client_for(FedexSimulator()).track("799531274483")
    assert (t.status, t.raw_status) == (S.NOT_FOUND, "TRACKING.TRACKINGNUMBER.NOTFOUND")


async def test_an_auth_envelope_inside_a_200_is_auth_failed(client_for):
    body = {"transactionId": "t", "errors": [{"code": "NOT.AUTHORIZED.ERROR", "message": "no"}]}
    with pytest.raises(AuthFailed):
        await client_for(Scripted(200, body)).track(demo.FEDEX_JAMES)


async def test_other_per_number_errors_raise(client_for):
    body = {"output": {"completeTrackResults": [{"trackingNumber": demo.FEDEX_JAMES,
            "trackResults": [{"error": {"code": "TRACKING.SOMETHING.ELSE", "message": "?"}}]}]}}  # fmt: skip
    with pytest.raises(APIStatusError, match="SOMETHING"):
        await client_for(Scripted(200, body)).track(demo.FEDEX_JAMES)


async def test_delivered_with_actual_delivery_time(client_for):
    track = {
        "latestStatusDetail": {"code": "DL", "derivedCode": "DL", "description": "Delivered"},
        "dateAndTimes": [
            {"type": "ACTUAL_DELIVERY", "dateTime": "2025-05-07T13:15:00-06:00"},
            {"type": "SHIP", "dateTime": "2025-05-04T00:00:00-06:00"},
        ],
        "scanEvents": [
            {"date": "2025-05-07T13:15:00-06:00", "eventType": "DL",
             "eventDescription": "Delivered", "derivedStatusCode": "DL",
             "scanLocation": {"city": "DENVER", "stateOrProvinceCode": "CO"}},
        ],
    }  # fmt: skip
    body = {"output": {"completeTrackResults": [{"trackingNumber": "x", "trackResults": [track]}]}}
    t = await client_for(Scripted(200, body)).track(demo.FEDEX_JAMES)
    assert t.status is S.DELIVERED
    assert t.delivered_at is not None and t.delivered_at.isoformat() == "2025-05-07T13:15:00-06:00"
    assert t.events[0].location == "DENVER, CO"


@pytest.mark.parametrize(
    ("code", "derived", "delayed", "attempted", "expected"),
    [
        ("OC", None, False, False, S.LABEL_CREATED),
        ("PU", "PU", False, False, S.IN_TRANSIT),
        ("IT", "IT", True, False, S.DELAYED),  # delayDetail says DELAYED
        ("OD", "OD", False, False, S.OUT_FOR_DELIVERY),
        ("HP", None, False, False, S.AVAILABLE_FOR_PICKUP),
        ("DL", "DL", False, False, S.DELIVERED),
        ("DE", "DE", False, True, S.DELIVERY_ATTEMPTED),
        ("DE", "DE", False, False, S.EXCEPTION),
        ("CD", None, False, False, S.DELAYED),
        ("RS", None, False, False, S.RETURNED_TO_SENDER),
        ("CA", None, False, False, S.CANCELLED),
        ("??", "IT", False, False, S.IN_TRANSIT),
        (None, None, False, False, S.UNKNOWN),
    ],
)
def test_status_codes(code, derived, delayed, attempted, expected):
    assert fedex_status(code, derived, delayed=delayed, attempted=attempted) is expected
