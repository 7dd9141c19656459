"""USPS specifics: not-yet-available subcodes, string booleans and numbers, status words."""

from __future__ import annotations

import httpx
import pytest

from integrations.carriers.usps import UspsClient, usps_status
from integrations.errors import APIStatusError, AuthFailed
from integrations.models import TrackingStatus as S
from integrations.sandbox import demo
from integrations.sandbox.base import transport
from integrations.sandbox.usps import UspsSimulator


async def _noop(_: float) -> None:
    return None


class Scripted(UspsSimulator):
    """The sandbox, with tracking answers replaced by a fixed response."""

    def __init__(self, status: int, body: object) -> None:
        super().__init__()
        self.answer = httpx.Response(status, json=body)

    async def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/tracking/"):
            return self.answer
        return await super().handle(request)


@pytest.fixture
async def client_for():
    opened: list[httpx.AsyncClient] = []

    def make(sim, secret: str = "demo") -> UspsClient:
        http = httpx.AsyncClient(transport=transport(sim))
        opened.append(http)
        return UspsClient(
            http, base_url="https://apis.usps.test", client_id="x", client_secret=secret,
            sleep=_noop,
        )  # fmt: skip

    yield make
    for http in opened:
        await http.aclose()


def _error(code: str) -> dict[str, object]:
    return {
        "apiVersion": "v3",
        "error": {
            "code": "400",
            "message": "BAD_REQUEST",
            "errors": [{"status": "400", "code": code, "title": "BAD_REQUEST", "detail": "..."}],
        },
    }


@pytest.mark.parametrize("code", ["150001", "150002", "150003", "150009"])
async def test_not_yet_available_subcodes_are_not_found(client_for, code):
    t = await client_for(Scripted(400, _error(code))).track(demo.USPS_MARIA)
    assert (t.status, t.raw_status) == (S.NOT_FOUND, code)


@pytest.mark.parametrize("code", ["150010", "150011", "150012"])
async def test_other_400_subcodes_are_errors(client_for, code):
    with pytest.raises(APIStatusError, match=code):
        await client_for(Scripted(400, _error(code))).track(demo.USPS_MARIA)


async def test_delivered_detail_with_string_booleans_and_html_mail_class(client_for):
    body = {
        "trackingNumber": "9400109104250532908587",
        "mailClass": "USPS Ground Advantage<SUP>&#153;</SUP>",
        "status": "Delivered, Parcel Locker",
        "statusCategory": "Delivered",
        "statusSummary": "Your item was delivered to a parcel locker at 1:58 pm.",
        "expectedDeliveryTimeStamp": "2024-11-22T00:00:00Z",
        "emailEnabled": "true",
        "trackingEvents": [
            {
                "eventType": "Delivered, Parcel Locker",
                "eventTimestamp": "2024-11-22T13:58:00",
                "GMTTimestamp": "2024-11-22T18:58:40Z",
                "GMTOffset": "-05:00",
                "eventCity": "HERNANDO",
                "eventState": "FL",
                "eventZIP": "34442",
                "authorizedAgent": "false",
                "eventCode": "01",
            },
            {"eventType": "Out for Delivery", "eventTimestamp": "2024-11-22T09:10:00",
             "eventCode": "OF"},
        ],
    }  # fmt: skip
    t = await client_for(Scripted(200, body)).track("9400109104250532908587")
    assert t.status is S.DELIVERED
    assert t.delivered_at is not None and t.delivered_at.isoformat() == "2024-11-22T18:58:40+00:00"
    assert t.service == "USPS Ground Advantage™"
    assert t.events[0].location == "HERNANDO, FL 34442"
    assert t.events[1].at is not None and t.events[1].at.tzinfo is None  # local, no offset given
    assert t.events[1].status is S.OUT_FOR_DELIVERY


async def test_token_expires_in_as_a_string_is_read(client_for):
    client = client_for(UspsSimulator(token_lifetime=14399))
    await client.track(demo.USPS_MARIA)
    assert client.auth.fetches == 1


async def test_token_refused_is_auth_failed(client_for):
    with pytest.raises(AuthFailed):
        await client_for(UspsSimulator(), secret="wrong").track(demo.USPS_MARIA)


@pytest.mark.parametrize(
    ("category", "status", "code", "expected"),
    [
        ("Accepted", "USPS in possession of item", "03", S.IN_TRANSIT),
        ("Moving Through Network", "In Transit to Next Facility", "TL", S.IN_TRANSIT),
        ("Pre-Shipment", "Shipping Label Created, USPS Awaiting Item", "GX", S.LABEL_CREATED),
        ("Out for Delivery", "Out for Delivery", "OF", S.OUT_FOR_DELIVERY),
        ("Delivery Attempt", "Notice Left (No Authorized Recipient Available)", "02",
         S.DELIVERY_ATTEMPTED),
        ("Available for Pickup", "Available for Pickup", "07", S.AVAILABLE_FOR_PICKUP),
        ("Alert", "Delivery Exception, Animal Interference", "05", S.EXCEPTION),
        ("Return to Sender", "Return to Sender Processed", "31", S.RETURNED_TO_SENDER),
        ("", "", "01", S.DELIVERED),
        ("", "", "ZZ", S.UNKNOWN),
    ],
)  # fmt: skip
def test_status_words_and_codes(category, status, code, expected):
    assert usps_status(category, status, code) is expected
