"""The demo server as a whole: sandboxes mounted, the core wired to them over HTTP."""

from __future__ import annotations

import pytest

from chatserver.app import create_app
from chatserver.keys import SERVICE
from chatserver.service import InboundMessage
from chatserver.settings import load_settings
from tests.chatserver.live import KeywordClassifier, free_port


@pytest.fixture
async def demo(aiohttp_server, tmp_path, database_url):
    port = free_port()
    settings = load_settings(port=port, database_url=database_url, data_dir=tmp_path)
    app = create_app(settings, classifier=KeywordClassifier())
    server = await aiohttp_server(app, port=port)
    return server


async def test_readyz_reports_the_model_version(demo, aiohttp_client):
    client = await aiohttp_client(demo)
    resp = await client.get("/readyz")
    assert resp.status == 200
    assert (await resp.json())["model_version"] == "test"


async def test_every_sandbox_is_mounted(demo, aiohttp_client):
    client = await aiohttp_client(demo)
    resp = await client.get("/sandbox/dhl/track/shipments", params={"trackingNumber": "4982173652"})
    assert resp.status == 401  # the DHL sandbox wants its API key, like DHL
    resp = await client.get(
        "/sandbox/dhl/track/shipments",
        params={"trackingNumber": "4982173652"},
        headers={"DHL-API-Key": "demo"},
    )
    assert (await resp.json())["shipments"][0]["id"] == "4982173652"


async def test_case_study_by_email_goes_through_the_sandboxes(demo):
    service = demo.app[SERVICE]
    session = await service.open_session("email", external_ref="1")
    result = await service.handle(
        InboundMessage(
            session_id=session.id,
            channel="email",
            text="I bought a dress and see the charge but got no information. Has it shipped?",
            identity_email="maria@example.com",
        )
    )
    text = "\n".join(r.text for r in result.replies)
    assert "9400111899223456789017" in text
    assert "USPS" in text


async def test_a_restarted_demo_never_reuses_a_ticket_number():
    """The store outlives the sandbox: a new ticket must not look like an answered one."""
    from datetime import UTC, datetime, timedelta

    import httpx

    from integrations.sandbox.app import build_sandboxes
    from integrations.sandbox.base import transport

    async def first_ticket_id(now: datetime) -> int:
        boxes = build_sandboxes(now=now)
        ticket = {"subject": "hi", "comment": {"body": "hi"}, "requester": {"email": "a@b.co"}}
        try:
            async with httpx.AsyncClient(transport=transport(boxes.zendesk)) as http:
                resp = await http.post("http://zd/api/v2/tickets.json", json={"ticket": ticket})
            return resp.json()["ticket"]["id"]
        finally:
            await boxes.aclose()

    start = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    assert await first_ticket_id(start + timedelta(seconds=30)) > await first_ticket_id(start)
