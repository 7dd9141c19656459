"""UPS specifics: transId, both not-found forms, numeric status codes, local times."""

from __future__ import annotations

import httpx
import pytest

from integrations.carriers.ups import UpsClient, ups_status
from integrations.models import TrackingStatus as S
from integrations.sandbox import demo
from integrations.sandbox.base import transport
from integrations.sandbox.ups import UpsSimulator


async def _noop(_: float) -> None:
    return None


class Scripted(UpsSimulator):
    def __init__(self, status: int, body: object) -> None:
        super().__init__()
        self.answer = httpx.Response(status, json=body)

    async def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/api/track/"):
            return self.answer
        return await super().handle(request)


@pytest.fixture
async def client_for():
    opened: list[httpx.AsyncClient] = []

    def make(sim) -> UpsClient:
        http = httpx.AsyncClient(transport=transport(sim))
        opened.append(http)
        return UpsClient(
            http, base_url="https://onlinetools.ups.test", client_id="c", client_secret="demo",
            sleep=_noop,
        )  # fmt: skip

    yield make
    for http in opened:
        await http.aclose()


async def test_every_call_sends_a_fresh_trans_id_of_at_most_32_chars(client_for):
    sim = UpsSimulator()
    client = client_for(sim)
    await client.track(demo.UPS_PRIYA)
    await client.track(demo.UPS_PRIYA)
    assert len(sim.trans_ids) == 2 and len(set(sim.trans_ids)) == 2
    assert all(0 < len(t) <= 32 for t in sim.trans_ids)


async def test_sandbox_not_found_is_404_tw0001(client_for):
    t = await client_for(UpsSimulator()).track("1Z5R89390357567127")
    assert (t.status, t.raw_status) == (S.NOT_FOUND, "TW0001")


async def test_a_200_with_the_tw0001_warning_is_not_found_too(client_for):
    body = {"trackResponse": {"shipment": [{"inquiryNumber": "1Z5R89390357567127",
            "warnings": [{"code": "TW0001", "message": "Tracking Information Not Found"}]}]}}  # fmt: skip
    t = await client_for(Scripted(200, body)).track("1Z5R89390357567127")
    assert t.status is S.NOT_FOUND


async def test_scheduled_delivery_and_activity_times(client_for):
    package = {
        "trackingNumber": "1Z023E2X0214323462",
        "currentStatus": {"type": "I", "code": "OR", "statusCode": "005",
                          "description": "On the Way"},
        "deliveryDate": [{"type": "SDD", "date": "20250507"}],
        "deliveryTime": {"type": "EDW", "startTime": "090000", "endTime": "130000"},
        "activity": [
            {"date": "20250505", "time": "071356", "gmtOffset": "-05:00",
             "location": {"address": {"city": "Louisville", "stateProvince": "KY"}},
             "status": {"type": "I", "code": "AR", "statusCode": "005",
                        "description": "Arrived at Facility"}},
        ],
        "service": {"code": "003", "description": "UPS Ground"},
    }  # fmt: skip
    body = {"trackResponse": {"shipment": [{"package": [package]}]}}
    t = await client_for(Scripted(200, body)).track("1Z023E2X0214323462")
    assert t.status is S.IN_TRANSIT
    assert t.estimated_delivery is not None
    assert t.estimated_delivery.isoformat() == "2025-05-07T13:00:00"
    assert t.events[0].at is not None
    assert t.events[0].at.isoformat() == "2025-05-05T07:13:56-05:00"
    assert t.events[0].location == "Louisville, KY"


@pytest.mark.parametrize(
    ("type_", "code", "expected"),
    [
        ("I", "011", S.DELIVERED),
        ("I", "11", S.DELIVERED),  # tables don't pad, responses do
        ("I", "005", S.IN_TRANSIT),
        ("I", "072", S.OUT_FOR_DELIVERY),
        ("I", "21", S.OUT_FOR_DELIVERY),
        ("X", "022", S.DELIVERY_ATTEMPTED),
        ("I", "017", S.AVAILABLE_FOR_PICKUP),
        ("I", "046", S.DELAYED),
        ("X", "013", S.EXCEPTION),
        ("M", "003", S.LABEL_CREATED),
        ("MV", None, S.CANCELLED),
        ("D", "", S.DELIVERED),
        ("??", "abc", S.UNKNOWN),
    ],
)
def test_status_codes_compare_numerically(type_, code, expected):
    assert ups_status(type_, code) is expected
