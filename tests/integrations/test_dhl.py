"""DHL specifics: the key header, problem JSON, statuses refined by their text."""

from __future__ import annotations

import httpx
import pytest

from integrations.carriers.dhl import DhlClient, dhl_status
from integrations.errors import AuthFailed
from integrations.models import TrackingStatus as S
from integrations.sandbox import demo
from integrations.sandbox.base import transport
from integrations.sandbox.dhl import DhlSimulator


async def _noop(_: float) -> None:
    return None


@pytest.fixture
async def client_for():
    opened: list[httpx.AsyncClient] = []

    def make(sim, key: str = "demo") -> DhlClient:
        http = httpx.AsyncClient(transport=transport(sim))
        opened.append(http)
        return DhlClient(http, base_url="https://api-eu.dhl.test", api_key=key, sleep=_noop)

    yield make
    for http in opened:
        await http.aclose()


async def test_unknown_number_problem_json_is_not_found(client_for):
    t = await client_for(DhlSimulator()).track("8487135506")
    assert t.status is S.NOT_FOUND
    assert "No shipment" in t.description


async def test_bad_key_is_auth_failed(client_for):
    with pytest.raises(AuthFailed) as err:
        await client_for(DhlSimulator(), key="nope").track(demo.DHL_LUKAS)
    assert err.value.status == 401


async def test_delivered_time_comes_from_proof_of_delivery(client_for):
    sim = DhlSimulator()
    shop = demo.build_demo_shop()
    delivered = shop.shipments_for("ups")[demo.UPS_PRIYA]  # reuse a delivered shipment's shape
    sim.shipments["3318810025"] = type(delivered)(
        "dhl", "3318810025", S.DELIVERED, "DHL Express", "A", "B", delivered.events,
        delivered_at=delivered.delivered_at,
    )  # fmt: skip
    t = await client_for(sim).track("3318810025")
    assert t.status is S.DELIVERED
    assert t.delivered_at is not None
    assert t.delivered_at.replace(tzinfo=None) == delivered.delivered_at.replace(tzinfo=None)


@pytest.mark.parametrize(
    ("code", "text", "expected"),
    [
        ("pre-transit", "The shipment data has been received", S.LABEL_CREATED),
        ("transit", "Arrived at Sort Facility", S.IN_TRANSIT),
        ("transit", "Shipment is out with courier for delivery", S.OUT_FOR_DELIVERY),
        ("transit", "The shipment has been loaded onto the delivery vehicle", S.OUT_FOR_DELIVERY),
        ("transit", "Out for delivery", S.OUT_FOR_DELIVERY),
        ("transit", "Ready for pickup at the DHL ServicePoint", S.AVAILABLE_FOR_PICKUP),
        ("transit", "Shipment picked up", S.IN_TRANSIT),
        ("transit", "Clearance delay", S.DELAYED),
        ("delivered", "Delivered", S.DELIVERED),
        ("failure", "Delivery attempted; recipient not home", S.DELIVERY_ATTEMPTED),
        ("failure", "Returned to shipper", S.RETURNED_TO_SENDER),
        ("failure", "Address unknown", S.EXCEPTION),
        ("unknown", "", S.UNKNOWN),
        (None, None, S.UNKNOWN),
    ],
)
def test_status_code_refined_by_text(code, text, expected):
    assert dhl_status(code, text) is expected
