"""ZendeskClient against the Zendesk sandbox over real HTTP, webhook delivery to a
receiver app, and webhook signature verification."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from aiohttp import web

from integrations.errors import (
    AuthFailed,
    BadResponse,
    IntegrationUnavailable,
    NotFound,
    RateLimited,
)
from integrations.http import RetryPolicy
from integrations.sandbox.base import mount, transport
from integrations.sandbox.zendesk import AGENT_ID, TIER2_GROUP_ID, ZendeskSimulator
from integrations.webhooks import (
    ACCOUNT_ID_HEADER,
    INVOCATION_ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WEBHOOK_ID_HEADER,
    WebhookRejected,
    format_timestamp,
    parse_event,
    sign,
    verify,
)
from integrations.zendesk import RecordInvalid, ZendeskClient

PREFIX = "/sandbox/zendesk"
SECRET = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="  # Zendesk's documented test secret


class Receiver:
    """The server's webhook endpoint, reduced to recording what arrives."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.statuses: list[int] = []  # answers to give first; then 200
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append((dict(request.headers), await request.read()))
        return web.Response(status=self.statuses.pop(0) if self.statuses else 200)

    def verified_events(self) -> list[dict[str, object]]:
        events = []
        for headers, body in self.requests:
            verify(SECRET, headers.get(TIMESTAMP_HEADER), body, headers.get(SIGNATURE_HEADER),
                   now=datetime.now(UTC), tolerance_seconds=300)  # fmt: skip
            events.append(json.loads(body))
        return events


@pytest.fixture
async def http():
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
async def receiver(aiohttp_server):
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/webhooks/zendesk", receiver.handle)
    server = await aiohttp_server(app)
    receiver.url = str(server.make_url("/webhooks/zendesk"))
    return receiver


@pytest.fixture
async def sim(receiver, http):
    sim = ZendeskSimulator(
        webhook_url=receiver.url, webhook_secret=SECRET, http=http, retry_delays=(0, 0, 0)
    )
    yield sim
    await sim.aclose()


@pytest.fixture
async def base_url(aiohttp_server, sim):
    app = web.Application()
    mount(app, PREFIX, sim)
    server = await aiohttp_server(app)
    return str(server.make_url(PREFIX))


class Sleeps(list[float]):
    """An instant sleep that remembers how long it was asked to wait."""

    def __init__(self, then=None) -> None:
        super().__init__()
        self.then = then

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)
        if self.then is not None:
            self.then()


def client_for(http, base_url, sleep=None, **options) -> ZendeskClient:
    options.setdefault("jitter", lambda: 0.0)
    return ZendeskClient(
        http, base_url=base_url, email="agent@example.com", api_token="demo",
        sleep=sleep if sleep is not None else Sleeps(), **options,
    )  # fmt: skip


async def open_ticket(http, base_url, email="maria@example.com", text="Where is order #1001?"):
    """A customer opens a ticket through the web form (no credentials)."""
    answer = await http.post(
        f"{base_url}/api/v2/tickets.json",
        json={"ticket": {"subject": "Where is my order?", "comment": {"body": text},
                         "requester": {"email": email}}},
    )  # fmt: skip
    assert answer.status_code == 201
    return answer.json()["ticket"]["id"]


async def customer_reply(http, base_url, ticket_id, text, **fields):
    return await http.put(
        f"{base_url}/api/v2/tickets/{ticket_id}.json",
        json={"ticket": {"comment": {"body": text}, **fields}},
    )


# --- reading and writing tickets --------------------------------------------


async def test_get_ticket_side_loads_the_demo_customer_as_requester(http, base_url):
    ticket_id = await open_ticket(http, base_url)
    ticket = await client_for(http, base_url).get_ticket(ticket_id)
    assert ticket.subject == "Where is my order?"
    assert ticket.status == "new"
    assert ticket.via_channel == "web"
    assert ticket.created_at is not None and ticket.created_at.tzinfo is not None
    assert ticket.requester is not None
    assert (ticket.requester.name, ticket.requester.email) == ("Maria Garcia", "maria@example.com")
    assert ticket.requester.role == "end-user"


async def test_the_bots_reply_is_readable_back_and_opens_the_ticket(http, base_url):
    client = client_for(http, base_url)
    ticket_id = await open_ticket(http, base_url)
    ticket = await client.add_comment(
        ticket_id, "Your parcel is out for delivery.", status="pending", additional_tags=["bot"]
    )
    assert ticket.status == "pending"
    assert "bot" in ticket.tags
    first, reply = await client.list_comments(ticket_id)
    assert first.body == "Where is order #1001?"
    assert first.author_id == ticket.requester_id
    assert (reply.body, reply.public, reply.author_id) == (
        "Your parcel is out for delivery.", True, AGENT_ID,
    )  # fmt: skip
    assert reply.html_body is not None and "<p>" in reply.html_body


async def test_notes_escalation_status_and_tags(http, base_url):
    client = client_for(http, base_url)
    ticket_id = await open_ticket(http, base_url)
    await client.add_note(ticket_id, "Customer sounds upset.")
    escalated = await client.escalate(
        ticket_id, group_id=TIER2_GROUP_ID, note="Needs a refund decision", tags=["bot_escalated"]
    )
    assert escalated.group_id == TIER2_GROUP_ID
    assert escalated.assignee_id is None
    assert "bot_escalated" in escalated.tags
    comments = await client.list_comments(ticket_id)
    assert [c.public for c in comments] == [True, False, False]
    tagged = await client.update_tags(ticket_id, add=["vip", "refund"], remove=["bot_escalated"])
    assert set(tagged) == {"vip", "refund"}
    assert set((await client.get_ticket(ticket_id)).tags) == {"vip", "refund"}
    assert (await client.set_status(ticket_id, "solved")).status == "solved"


async def test_users_me_lookup_and_search(http, base_url):
    client = client_for(http, base_url)
    me = await client.me()
    assert (me.id, me.email, me.role) == (AGENT_ID, "agent@example.com", "agent")
    james = await client.find_user_by_email("James@Example.com")
    assert james is not None and james.name == "James Wilson"
    assert await client.get_user(james.id) == james
    assert await client.find_user_by_email("nobody@example.org") is None
    assert await client.group_ids() == {
        "Support": 98001,
        "Tier 2": TIER2_GROUP_ID,
        "Customer care": 98003,
    }


async def test_oauth_bearer_token_is_accepted(http, base_url):
    client = ZendeskClient(http, base_url=base_url, oauth_token="demo")
    assert (await client.me()).id == AGENT_ID


def test_credentials_are_required(http):
    with pytest.raises(ValueError):
        ZendeskClient(http, base_url="https://x.zendesk.com", email="agent@example.com")


async def test_comments_are_paged_by_cursor_past_100(http, base_url, sim):
    client = client_for(http, base_url)
    ticket_id = await open_ticket(http, base_url)
    for n in range(230):
        await client.add_note(ticket_id, f"note {n}")
    comments = await client.list_comments(ticket_id)
    assert len(comments) == 231
    assert [c.body for c in comments[1:]] == [f"note {n}" for n in range(230)]
    first_page = await http.get(
        f"{base_url}/api/v2/tickets/{ticket_id}/comments.json",
        params={"page[size]": 100},
        auth=("agent@example.com/token", "demo"),
    )
    body = first_page.json()
    assert len(body["comments"]) == 100
    assert body["meta"]["has_more"] is True
    assert "page[after]=" in body["links"]["next"]


# --- errors ------------------------------------------------------------------


async def test_unknown_ticket_is_not_found(http, base_url):
    with pytest.raises(NotFound, match="RecordNotFound"):
        await client_for(http, base_url).get_ticket(999)


async def test_validation_errors_carry_zendesk_details(http, base_url):
    client = client_for(http, base_url)
    ticket_id = await open_ticket(http, base_url)
    with pytest.raises(RecordInvalid) as blank:
        await client.add_comment(ticket_id, "   ")
    assert blank.value.status == 422
    assert "comment" in blank.value.details
    await client.set_status(ticket_id, "closed")
    with pytest.raises(RecordInvalid) as closed:
        await client.add_comment(ticket_id, "Anything else?")
    assert closed.value.details["status"][0]["error"] == "ClosedPreventsUpdate"


async def test_wrong_token_is_refused(http, base_url):
    client = ZendeskClient(http, base_url=base_url, email="agent@example.com", api_token="nope")
    with pytest.raises(AuthFailed) as refused:
        await client.me()
    assert refused.value.status == 401
    answer = await http.get(f"{base_url}/api/v2/users/me.json")
    assert answer.status_code == 401
    assert answer.json() == {"error": "Couldn't authenticate you"}


async def test_anonymous_requests_may_only_add_the_requesters_comment(http, base_url, sim):
    ticket_id = await open_ticket(http, base_url)
    refused = await customer_reply(http, base_url, ticket_id, "close it", status="solved")
    assert refused.status_code == 401
    forged = await http.put(
        f"{base_url}/api/v2/tickets/{ticket_id}.json",
        json={"ticket": {"comment": {"body": "hi", "author_id": AGENT_ID}}},
    )
    assert forged.status_code == 401
    assert [c.body for c in sim.tickets[ticket_id].comments] == ["Where is order #1001?"]
    assert sim.tickets[ticket_id].status == "new"


async def test_rate_limit_headers_and_retry_after_are_honoured(http, base_url, sim):
    sim.faults.rate_limit_every = 1
    sim.faults.retry_after = 3
    sleeps = Sleeps(then=lambda: setattr(sim.faults, "rate_limit_every", 0))
    me = await client_for(http, base_url, sleeps).me()
    assert me.id == AGENT_ID
    assert sleeps == [3.0]
    answer = await http.get(
        f"{base_url}/api/v2/groups.json", auth=("agent@example.com/token", "demo")
    )
    assert answer.headers["X-Rate-Limit"] == "700"
    assert int(answer.headers["X-Rate-Limit-Remaining"]) < 700
    assert [g["name"] for g in answer.json()["groups"]] == ["Support", "Tier 2", "Customer care"]


async def test_over_the_plan_limit_the_wait_surfaces_as_rate_limited(http, base_url, sim):
    sim.rate_limit = 1
    client = client_for(http, base_url, retry=RetryPolicy(max_retry_after=0.0))
    await client.me()
    with pytest.raises(RateLimited) as limited:
        await client.me()
    assert limited.value.retry_after is not None and 0 < limited.value.retry_after <= 60


async def test_a_5xx_on_a_read_is_retried(http, base_url, sim):
    sim.faults.error_rate = 1.0
    sleeps = Sleeps(then=lambda: setattr(sim.faults, "error_rate", 0.0))
    assert (await client_for(http, base_url, sleeps).me()).id == AGENT_ID
    assert len(sleeps) == 1


async def test_a_comment_is_not_repeated_after_a_5xx(http, base_url, sim):
    ticket_id = await open_ticket(http, base_url)
    sim.faults.error_rate = 1.0
    sleeps = Sleeps(then=lambda: setattr(sim.faults, "error_rate", 0.0))
    with pytest.raises(IntegrationUnavailable):
        await client_for(http, base_url, sleeps).add_comment(ticket_id, "Shipped!")
    assert sleeps == []
    assert len(sim.tickets[ticket_id].comments) == 1


async def test_a_comment_is_retried_after_429(http, base_url, sim):
    ticket_id = await open_ticket(http, base_url)
    sim.faults.rate_limit_every = 1
    sleeps = Sleeps(then=lambda: setattr(sim.faults, "rate_limit_every", 0))
    await client_for(http, base_url, sleeps).add_comment(ticket_id, "Shipped!")
    assert len(sleeps) == 1
    assert [c.body for c in sim.tickets[ticket_id].comments][-1] == "Shipped!"


class Flaky(httpx.AsyncBaseTransport):
    """Real HTTP, with one injected failure: before sending, or after the answer."""

    def __init__(self, failure: Exception, *, after_sending: bool) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.failure: Exception | None = failure
        self.after_sending = after_sending

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        failure, self.failure = self.failure, None
        if failure is not None and not self.after_sending:
            raise failure
        response = await self.inner.handle_async_request(request)
        if failure is not None:
            await response.aread()
            await response.aclose()
            raise failure
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_a_comment_is_retried_when_the_connection_was_never_made(http, base_url, sim):
    ticket_id = await open_ticket(http, base_url)
    flaky = Flaky(httpx.ConnectError("refused"), after_sending=False)
    async with httpx.AsyncClient(transport=flaky) as flaky_http:
        await client_for(flaky_http, base_url).add_comment(ticket_id, "Shipped!")
    assert [c.body for c in sim.tickets[ticket_id].comments] == [
        "Where is order #1001?",
        "Shipped!",
    ]


async def test_a_comment_is_not_repeated_after_a_timeout(http, base_url, sim):
    ticket_id = await open_ticket(http, base_url)
    flaky = Flaky(httpx.ReadTimeout("slow"), after_sending=True)
    async with httpx.AsyncClient(transport=flaky) as flaky_http:
        with pytest.raises(IntegrationUnavailable):
            await client_for(flaky_http, base_url).add_comment(ticket_id, "Shipped!")
    # It was posted once; the caller's outbox decides whether to try again.
    assert [c.body for c in sim.tickets[ticket_id].comments] == [
        "Where is order #1001?",
        "Shipped!",
    ]


async def test_a_slow_zendesk_times_out(http, base_url, sim):
    sim.faults.latency = 0.3
    client = client_for(http, base_url, timeout=0.05, retry=RetryPolicy(attempts=1))
    with pytest.raises(IntegrationUnavailable, match="timed out"):
        await client.me()


@pytest.fixture
async def broken(aiohttp_server):
    """A Zendesk that answers ticket reads with whatever the test sets."""
    answer: dict[str, web.Response] = {}

    async def ticket(request: web.Request) -> web.Response:
        return answer["response"]

    app = web.Application()
    app.router.add_get("/api/v2/tickets/{id}.json", ticket)
    server = await aiohttp_server(app)
    return answer, str(server.make_url(""))


@pytest.mark.parametrize(
    "response",
    [
        lambda: web.Response(
            text="<html><body>Maintenance</body></html>", content_type="text/html"
        ),
        lambda: web.Response(text='{"ticket": {"id": 1, "subj', content_type="application/json"),
        lambda: web.json_response({"error": "RecordNotFound", "description": "Not found"}),
        lambda: web.json_response({"ticket": {"id": "not a number", "status": "open"}}),
        lambda: web.json_response({"ticket": {"id": 1, "subject": "x" * 5000}}),
    ],
    ids=["html", "truncated", "error-body-in-200", "wrong-shape", "too-large"],
)
async def test_malformed_answers_are_bad_responses(http, broken, response):
    answer, url = broken
    answer["response"] = response()
    client = client_for(http, url, max_body_bytes=4000)
    with pytest.raises(BadResponse):
        await client.get_ticket(1)


# --- webhooks ------------------------------------------------------------------


async def test_a_new_ticket_delivers_a_signed_webhook(http, base_url, sim, receiver):
    ticket_id = await open_ticket(http, base_url)
    await sim.webhooks.drain()
    (headers, body), = receiver.requests  # fmt: skip
    assert headers["User-Agent"] == "Zendesk Webhook"
    assert headers["Content-Type"] == "application/json"
    assert headers[WEBHOOK_ID_HEADER] and headers[INVOCATION_ID_HEADER]
    assert headers[ACCOUNT_ID_HEADER] == str(sim.webhooks.account_id)
    (event,) = receiver.verified_events()
    comment = sim.tickets[ticket_id].comments[0]
    assert event == {
        "ticket_id": ticket_id, "comment_id": comment.id, "event": "ticket_created",
        "status": "new",
    }  # fmt: skip
    assert parse_event(body).ticket_id == ticket_id


async def test_a_failed_delivery_is_retried_with_the_same_invocation(http, base_url, sim, receiver):
    receiver.statuses = [500]
    await open_ticket(http, base_url)
    await sim.webhooks.drain()
    assert [d.status for d in sim.deliveries] == [500, 200]
    assert len(receiver.verified_events()) == 2
    ids = {headers[INVOCATION_ID_HEADER] for headers, _ in receiver.requests}
    assert len(ids) == 1


async def test_delivery_gives_up_after_three_retries(http, base_url, sim, receiver):
    receiver.statuses = [500, 502, 503, 500, 500]
    await open_ticket(http, base_url)
    await sim.webhooks.drain()
    assert [d.attempt for d in sim.deliveries] == [1, 2, 3, 4]
    assert not any(d.ok for d in sim.deliveries)


async def test_an_unreachable_target_is_recorded(http, base_url, sim, receiver):
    sim.webhooks.url = "http://127.0.0.1:9/unreachable"
    await open_ticket(http, base_url)
    await sim.webhooks.drain()
    assert len(sim.deliveries) == 4
    assert all(d.status is None and d.error for d in sim.deliveries)


async def test_the_bots_comment_triggers_nothing_but_the_customers_does(
    http, base_url, sim, receiver
):
    client = client_for(http, base_url)
    ticket_id = await open_ticket(http, base_url)
    await client.add_comment(ticket_id, "It arrives tomorrow.", status="pending")
    await client.add_note(ticket_id, "internal")
    await sim.webhooks.drain()
    assert [e["event"] for e in receiver.verified_events()] == ["ticket_created"]

    reply = await customer_reply(http, base_url, ticket_id, "It didn't arrive.")
    assert reply.status_code == 200
    assert reply.json()["ticket"]["status"] == "open"  # the customer's reply reopens it
    await sim.webhooks.drain()
    _created, added = receiver.verified_events()
    assert added["event"] == "comment_added"
    assert added["comment_id"] == (await client.list_comments(ticket_id))[-1].id


async def test_paused_invocations_wait_and_can_be_delivered_twice(http, base_url, sim, receiver):
    sim.webhooks.pause()
    await open_ticket(http, base_url)
    assert receiver.requests == []
    sim.webhooks.resume()
    await sim.webhooks.drain()
    sim.webhooks.deliver_again(sim.invocations[0])
    await sim.webhooks.drain()
    first, second = receiver.verified_events()
    assert first == second
    assert receiver.requests[0][0][INVOCATION_ID_HEADER] == sim.invocations[0].id


async def test_a_webhook_signed_long_ago_is_rejected_as_stale(http, receiver):
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    sim = ZendeskSimulator(webhook_url=receiver.url, webhook_secret=SECRET, http=http,
                           clock=lambda: an_hour_ago, retry_delays=())  # fmt: skip
    try:
        async with httpx.AsyncClient(transport=transport(sim)) as local:
            await open_ticket(local, "http://zendesk.test")
        await sim.webhooks.drain()
    finally:
        await sim.aclose()
    with pytest.raises(WebhookRejected, match="stale"):
        receiver.verified_events()


# --- signatures ------------------------------------------------------------------

NOW = datetime(2021, 3, 25, 5, 9, 27, tzinfo=UTC)
STAMP = "2021-03-25T05:09:27Z"
BODY = b'{"ticket_id": 35001}'


def test_signature_is_base64_hmac_sha256_of_timestamp_and_body():
    expected = hmac.new(SECRET.encode(), STAMP.encode() + BODY, hashlib.sha256).digest()
    assert sign(SECRET, STAMP, BODY) == base64.b64encode(expected).decode()
    assert format_timestamp(NOW) == STAMP
    verify(SECRET, STAMP, BODY, sign(SECRET, STAMP, BODY), now=NOW, tolerance_seconds=300)


@pytest.mark.parametrize(
    ("stamp", "signature", "now", "reason"),
    [
        (STAMP, sign("another secret", STAMP, BODY), NOW, "bad signature"),
        (STAMP, sign(SECRET, STAMP, BODY + b" "), NOW, "bad signature"),
        (STAMP, "", NOW, "missing"),
        (None, sign(SECRET, STAMP, BODY), NOW, "missing"),
        (STAMP, sign(SECRET, STAMP, BODY), NOW + timedelta(minutes=6), "stale"),
        (STAMP, sign(SECRET, STAMP, BODY), NOW - timedelta(minutes=6), "future"),
        ("yesterday", sign(SECRET, "yesterday", BODY), NOW, "unparsable"),
        (STAMP, "ünïcode-forgery", NOW, "bad signature"),
    ],
    ids=["wrong-secret", "altered-body", "no-signature", "no-timestamp", "stale", "future",
         "unparsable", "non-ascii"],
)  # fmt: skip
def test_forged_or_replayed_webhooks_are_rejected(stamp, signature, now, reason):
    with pytest.raises(WebhookRejected, match=reason):
        verify(SECRET, stamp, BODY, signature, now=now, tolerance_seconds=300)


def test_a_trigger_body_broken_by_free_text_still_names_its_ticket():
    body = b'{"ticket_id": 35001, "latest_comment": "he said "where" is it"}'
    assert parse_event(body).ticket_id == 35001
    with pytest.raises(WebhookRejected):
        parse_event(b"<html>not a webhook</html>")
