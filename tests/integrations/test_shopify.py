"""ShopifyClient against the Shopify sandbox, over real HTTP on loopback."""

from __future__ import annotations

import httpx
import pytest
from aiohttp import web

from integrations.errors import (
    AuthFailed,
    BadResponse,
    IntegrationUnavailable,
    RateLimited,
)
from integrations.sandbox.base import Faults, mount
from integrations.sandbox.demo import USPS_MARIA
from integrations.sandbox.shopify import ShopifySimulator
from integrations.shopify import ShopifyClient, ShopifyQueryError, ShopifyUserError
from integrations.shopify_versions import SUPPORTED_VERSIONS

GRAPHQL = "/admin/api/2026-04/graphql.json"


class FakeClock:
    """Shared by the simulator's bucket and the client's sleep: waiting refills."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class Scripted:
    """A stand-in API answering from a list of canned responses, then the real sandbox."""

    def __init__(self, answers: list[httpx.Response], then: ShopifySimulator | None = None):
        self.faults = Faults()
        self.answers = answers
        self.then = then
        self.calls = 0

    async def handle(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if self.answers:
            return self.answers.pop(0)
        assert self.then is not None
        return await self.then.handle(request)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sim(clock: FakeClock) -> ShopifySimulator:
    return ShopifySimulator(clock=clock)


@pytest.fixture
async def http():
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
def serve(aiohttp_server):
    async def start(simulator) -> str:
        app = web.Application()
        mount(app, "/sandbox/shopify", simulator)
        server = await aiohttp_server(app)
        return str(server.make_url("/sandbox/shopify"))

    return start


@pytest.fixture
def make_client(http, clock):
    def make(base_url: str, **options) -> ShopifyClient:
        if "client_id" not in options:
            options.setdefault("access_token", "demo")
        return ShopifyClient(
            http, base_url=base_url, sleep=clock.sleep, jitter=lambda: 0.0, **options
        )

    return make


@pytest.fixture
async def client(serve, sim, make_client) -> ShopifyClient:
    return make_client(await serve(sim))


# --- finding orders ------------------------------------------------------------


async def test_latest_order_for_maria_is_1001_in_transit_with_usps(client):
    orders = await client.latest_orders("Maria@Example.com")

    assert [o.name for o in orders] == ["#1001"]
    order = orders[0]
    assert order.email == "maria@example.com"
    assert order.processed_at.tzinfo is not None
    assert (order.total_price, order.currency) == ("89.00", "USD")
    assert order.shipping_address == "12 Elm Street, Springfield, IL 62704, US"
    assert order.fulfillment_status == "FULFILLED" and not order.is_cancelled
    (fulfillment,) = order.fulfillments
    assert fulfillment.display_status == "IN_TRANSIT"
    assert fulfillment.in_transit_at is not None and fulfillment.delivered_at is None
    assert fulfillment.line_item_ids == (order.line_items[0].id,)
    (tracking,) = fulfillment.tracking
    assert (tracking.number, tracking.company) == (USPS_MARIA, "USPS")
    assert tracking.url == f"https://tools.usps.com/go/TrackConfirmAction?tLabels={USPS_MARIA}"


async def test_a_customer_without_orders_gets_an_empty_list(client):
    assert await client.latest_orders("liam@example.com") == []


async def test_search_syntax_in_the_email_cannot_widen_the_search(client):
    assert await client.latest_orders('x@example.com" OR email:"maria@example.com') == []
    assert await client.latest_orders("maria@example.com OR name:#1002") == []


@pytest.mark.parametrize("name", ["#1001", "1001", " #1001 "])
async def test_order_by_name_accepts_the_usual_spellings(client, name):
    order = await client.order_by_name(name)
    assert order is not None and order.name == "#1001"


async def test_order_by_name_with_the_right_email_returns_the_order(client):
    order = await client.order_by_name("#1001", email="MARIA@example.com ")
    assert order is not None and order.id == "gid://shopify/Order/5501001"


async def test_wrong_email_looks_exactly_like_no_such_order(client, sim):
    before = sim.requests
    wrong_email = await client.order_by_name("#1001", email="james@example.com")
    asked_for_wrong = sim.requests - before
    before = sim.requests
    missing = await client.order_by_name("#9999", email="james@example.com")

    assert wrong_email is None and missing is None
    assert asked_for_wrong == sim.requests - before == 1


async def test_a_malformed_order_name_is_no_order(client, sim):
    assert await client.order_by_name('1001" OR name:*') is None
    assert sim.requests == 0


# --- cancelling ----------------------------------------------------------------


async def test_cancel_an_unfulfilled_order_then_it_reads_cancelled(client):
    order = await client.order_by_name("#1005", email="sam@example.com")
    assert order is not None and not order.is_cancelled

    await client.cancel_order(order.id, staff_note="customer asked in chat")

    again = await client.order_by_name("#1005")
    assert again is not None and again.is_cancelled and again.cancel_reason == "CUSTOMER"
    with pytest.raises(ShopifyUserError, match="already been cancelled"):
        await client.cancel_order(order.id)


async def test_an_order_is_read_by_id_as_it_stands_now(client):
    order = await client.order_by_name("#1005", email="sam@example.com")
    assert await client.order(order.id) == order
    await client.cancel_order(order.id)
    assert (await client.order(order.id)).is_cancelled
    assert await client.order("gid://shopify/Order/999999") is None


async def test_cancelling_a_fulfilled_order_is_refused_with_a_clear_user_error(client):
    order = await client.order_by_name("#1001")

    with pytest.raises(ShopifyUserError) as caught:
        await client.cancel_order(order.id)

    assert "fulfilled" in str(caught.value)
    assert caught.value.errors[0].code == "INVALID"
    assert not (await client.order_by_name("#1001")).is_cancelled


async def test_versions_before_2025_07_cancel_with_the_refund_flag(serve, sim, make_client):
    client = make_client(await serve(sim), api_version="2025-04")
    await client.cancel_order("5501010", refund=False)
    assert 5501010 in sim.cancelled
    assert sim.versions_asked == ["2025-04"]


# --- every supported version, end to end ---------------------------------------


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
async def test_every_supported_version_works_end_to_end(serve, sim, make_client, version):
    client = make_client(await serve(sim), api_version=version)

    (order,) = await client.latest_orders("priya@example.com")
    ret = await client.request_return(order.id, [(order.line_items[1].id, 1)], reason="DEFECTIVE")
    (sub,) = await client.subscriptions("noah@example.com")
    cancelled_sub = await client.cancel_subscription(sub.id)
    await client.cancel_order("5501005", refund=True)

    assert ret.status == "REQUESTED" and cancelled_sub.status == "CANCELLED"
    assert 5501005 in sim.cancelled
    # the lookups the runner makes before repeating an action read what was done
    assert await client.order(order.id) == order
    assert await client.open_returns(order.id) == [ret]
    assert await client.subscription(sub.id) == cancelled_sub
    assert (await client.order("5501005")).is_cancelled
    assert set(sim.versions_asked) == {version}
    (returned,) = sim.returns
    if version >= "2026-01":  # a ReturnReasonDefinition id, not the retired enum
        assert returned["reason"].startswith("gid://shopify/ReturnReasonDefinition/")
    else:
        assert returned["reason"] == "DEFECTIVE"


def test_an_unsupported_version_is_refused_by_name(http):
    with pytest.raises(ValueError, match="oldest 2025-04, newest 2026-04"):
        ShopifyClient(http, base_url="https://x.test", access_token="t", api_version="2025-10")


async def test_a_retired_version_is_answered_by_a_newer_one_and_the_client_says_so(
    serve, sim, make_client, http, caplog
):
    base = await serve(sim)
    answer = await http.post(
        base + "/admin/api/2025-10/graphql.json",
        json={"query": "{ orders(first: 1) { nodes { id } } }"},
        headers={"X-Shopify-Access-Token": "demo"},
    )
    assert answer.headers["X-Shopify-API-Version"] == "2026-01"

    served_by_newer = Scripted(
        [httpx.Response(200, json={"data": {"orders": {"nodes": []}}},
                        headers={"X-Shopify-API-Version": "2025-10"})]
    )  # fmt: skip
    client = make_client(await serve(served_by_newer), api_version="2025-07")
    with caplog.at_level("WARNING", logger="integrations.shopify"):
        assert await client.latest_orders("maria@example.com") == []
    assert "answered with API version 2025-10, not the configured 2025-07" in caplog.text


# --- returns -------------------------------------------------------------------


async def test_request_a_return_for_a_delivered_order(client, sim):
    order = await client.order_by_name("#1003", email="priya@example.com")
    mugs = order.line_items[1]

    ret = await client.request_return(
        order.id, [(mugs.id, 2)], reason="UNWANTED", note="Too many mugs " * 40
    )

    assert ret.status == "REQUESTED" and ret.order_id == order.id
    assert len(sim.returns[0]["note"]) == 300
    with pytest.raises(ShopifyUserError, match="not returnable"):
        await client.request_return(order.id, [(mugs.id, 1)])


async def test_the_returns_in_progress_of_an_order(client):
    order = await client.order_by_name("#1003", email="priya@example.com")
    assert await client.open_returns(order.id) == []
    set_, mugs = order.line_items
    first = await client.request_return(order.id, [(mugs.id, 2)])
    second = await client.request_return(order.id, [(set_.id, 1)])
    assert await client.open_returns(order.id) == [second, first]  # newest first
    assert await client.open_returns("gid://shopify/Order/999999") == []


async def test_a_declined_return_is_no_longer_in_progress_and_its_items_come_back(client, sim):
    order = await client.order_by_name("#1003", email="priya@example.com")
    mugs = order.line_items[1]
    declined = await client.request_return(order.id, [(mugs.id, 2)])
    sim.store.return_status[declined.id] = "DECLINED"  # the merchant said no

    assert await client.open_returns(order.id) == []
    again = await client.request_return(order.id, [(mugs.id, 2)])
    assert await client.open_returns(order.id) == [again]


async def test_items_returned_already_are_refused_before_shopify_is_asked(client, sim):
    order = await client.order_by_name("#1003", email="priya@example.com")
    mugs = order.line_items[1]
    first = await client.request_return(order.id, [(mugs.id, 2)])
    before = sim.requests

    with pytest.raises(ShopifyUserError) as caught:
        await client.request_return(order.id, [(mugs.id, 2)])

    # NOT_RETURNABLE is the client's own code (no ReturnErrorCode has it): it comes
    # from reading returnableFulfillments, and no returnRequest is sent
    assert [e.code for e in caught.value.errors] == ["NOT_RETURNABLE"]
    assert sim.requests - before == 1 and len(sim.returns) == 1
    assert await client.open_returns(order.id) == [first]


async def test_an_order_still_in_transit_cannot_be_returned(client):
    order = await client.order_by_name("#1001")
    with pytest.raises(ShopifyUserError) as caught:
        await client.request_return(order.id, [(order.line_items[0].id, 1)])
    assert caught.value.errors[0].code == "NOT_RETURNABLE"


async def test_returning_more_than_was_shipped_is_a_user_error(client):
    order = await client.order_by_name("#1003")
    with pytest.raises(ShopifyUserError, match="Quantity"):
        await client.request_return(order.id, [(order.line_items[0].id, 5)])


# --- subscriptions -------------------------------------------------------------


async def test_noah_cancels_his_coffee_subscription(client):
    (sub,) = await client.subscriptions("noah@example.com")
    assert (sub.status, sub.title) == ("ACTIVE", "Coffee beans, 1 kg every month")
    assert sub.customer_email == "noah@example.com" and sub.next_billing_date is not None

    cancelled = await client.cancel_subscription(sub.id)

    assert cancelled.status == "CANCELLED"
    assert [s.status for s in await client.subscriptions("noah@example.com")] == ["CANCELLED"]
    with pytest.raises(ShopifyUserError, match="cancelled"):
        await client.cancel_subscription(sub.id)


async def test_a_subscription_is_read_by_id_as_it_stands_now(client):
    (sub,) = await client.subscriptions("noah@example.com")
    assert await client.subscription(sub.id) == sub
    await client.cancel_subscription(sub.id)
    assert (await client.subscription(sub.id)).status == "CANCELLED"
    assert await client.subscription("gid://shopify/SubscriptionContract/999999") is None


async def test_customers_without_subscriptions_have_none(client):
    assert await client.subscriptions("maria@example.com") == []
    assert await client.subscriptions("nobody@example.com") == []


# --- throttling and rate limits ------------------------------------------------


async def test_a_throttled_query_is_waited_out_and_retried(serve, clock, make_client):
    sim = ShopifySimulator(bucket_size=100, restore_rate=10, clock=clock)
    client = make_client(await serve(sim))

    first = await client.latest_orders("maria@example.com", limit=1)
    second = await client.latest_orders("maria@example.com", limit=1)

    assert first == second and first[0].name == "#1001"
    # (requested 96 - available 91) / 10 points per second, plus slack
    assert clock.sleeps == [pytest.approx(0.6)]


async def test_a_throttle_too_long_to_wait_surfaces_as_rate_limited(serve, clock, make_client):
    sim = ShopifySimulator(bucket_size=100, restore_rate=0.01, clock=clock)
    client = make_client(await serve(sim))
    await client.latest_orders("maria@example.com", limit=1)

    with pytest.raises(RateLimited) as caught:
        await client.latest_orders("maria@example.com", limit=1)
    assert caught.value.retry_after > 30


async def test_http_429_with_retry_after_is_honoured(client, sim, clock):
    sim.faults.rate_limit_every = 2
    sim.faults.retry_after = 2.0
    await client.latest_orders("maria@example.com")
    orders = await client.latest_orders("maria@example.com")
    assert orders[0].name == "#1001"
    assert clock.sleeps == [2.0]


async def test_a_query_above_the_cost_limit_is_a_query_error(serve, clock, make_client):
    sim = ShopifySimulator(bucket_size=50, clock=clock)
    client = make_client(await serve(sim))
    with pytest.raises(ShopifyQueryError) as caught:
        await client.latest_orders("maria@example.com")
    assert caught.value.codes == ("MAX_COST_EXCEEDED",)


# --- GraphQL errors ------------------------------------------------------------


async def test_an_unknown_field_is_a_graphql_error_not_a_null(serve, sim, http, client):
    base = await serve(sim)
    answer = await http.post(
        base + GRAPHQL,
        json={"query": "query Q { orders(first: 1) { nodes { id colour } } }"},
        headers={"X-Shopify-Access-Token": "demo"},
    )
    (error,) = answer.json()["errors"]
    assert answer.status_code == 200 and "data" not in answer.json()
    assert error["message"] == "Field 'colour' doesn't exist on type 'Order'"
    assert error["path"] == ["query Q", "orders", "nodes", "colour"]
    assert error["extensions"]["code"] == "undefinedField"
    assert error["locations"] == [{"line": 1, "column": 41}]

    with pytest.raises(ShopifyQueryError, match="colour") as caught:
        await client._query("{ orders(first: 1) { nodes { colour } } }", {})
    assert caught.value.codes == ("undefinedField",)


async def test_every_answer_reports_its_cost(serve, sim, http):
    base = await serve(sim)
    answer = await http.post(
        base + GRAPHQL,
        json={
            "query": "{ orders(first: 2) { nodes { id lineItems(first: 5) { nodes { id } } } } }"
        },
        headers={"X-Shopify-Access-Token": "demo"},
    )
    cost = answer.json()["extensions"]["cost"]
    assert cost["requestedQueryCost"] == 12  # 2 orders x (1 + 5 line items)
    assert cost["throttleStatus"]["maximumAvailable"] == 1000.0


# --- transport failures --------------------------------------------------------


async def test_a_wrong_token_is_auth_failed(serve, sim, make_client):
    client = make_client(await serve(sim), access_token="shpat_wrong")
    with pytest.raises(AuthFailed) as caught:
        await client.latest_orders("maria@example.com")
    assert caught.value.status == 401


async def test_a_slow_shop_times_out(serve, sim, make_client):
    sim.faults.latency = 0.3
    client = make_client(await serve(sim), timeout=0.05)
    with pytest.raises(IntegrationUnavailable, match="timed out"):
        await client.latest_orders("maria@example.com")


async def test_queries_are_retried_after_a_5xx(serve, sim, make_client):
    flaky = Scripted([httpx.Response(503, text="upstream failure")], then=sim)
    client = make_client(await serve(flaky))
    assert (await client.latest_orders("maria@example.com"))[0].name == "#1001"
    assert flaky.calls == 2


async def test_mutations_are_not_retried_after_a_5xx(serve, sim, make_client):
    flaky = Scripted([httpx.Response(502, text="bad gateway")], then=sim)
    client = make_client(await serve(flaky))
    with pytest.raises(IntegrationUnavailable):
        await client.cancel_order("gid://shopify/Order/5501005")
    assert flaky.calls == 1


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (
            httpx.Response(200, headers={"content-type": "text/html"}, text="<html>hi</html>"),
            BadResponse,
        ),
        (httpx.Response(200, text='{"data": {"orders": {"nod'), BadResponse),
        (httpx.Response(200, json={"extensions": {}}), BadResponse),
        (httpx.Response(200, json={"data": {"orders": {"nodes": [{"id": 1}]}}}), BadResponse),
        (httpx.Response(200, json={"data": {"orders": None}}), BadResponse),
        (
            httpx.Response(200, json={"errors": "Internal error. Looks like something went wrong"}),
            ShopifyQueryError,
        ),
        (
            httpx.Response(200, json={"data": None, "errors": [{"message": "Access denied"}]}),
            ShopifyQueryError,
        ),
        (httpx.Response(200, text="[" * 10 + "0" * 6_000_000), BadResponse),
    ],
    ids=[
        "html",
        "truncated",
        "no-data",
        "wrong-shape",
        "null-field",
        "error-string",
        "errors",
        "huge",
    ],
)
async def test_malformed_answers_are_bad_responses(serve, make_client, answer, error):
    client = make_client(await serve(Scripted([answer] * 3)))
    with pytest.raises(error):
        await client.latest_orders("maria@example.com")


@pytest.mark.parametrize(
    ("lookup", "answer"),
    [
        ("order", {"data": {}}),
        ("order", {"data": {"order": "5501005"}}),
        ("open_returns", {"data": {"order": {"id": "gid://shopify/Order/1", "returns": None}}}),
        ("subscription", {"data": {"subscriptionContract": []}}),
    ],
    ids=["missing", "not-an-object", "no-returns", "wrong-type"],
)
async def test_a_lookup_by_id_tells_a_malformed_answer_from_a_missing_record(
    serve, make_client, lookup, answer
):
    client = make_client(await serve(Scripted([httpx.Response(200, json=answer)] * 3)))
    with pytest.raises(BadResponse):
        await getattr(client, lookup)("1")


# --- client credentials --------------------------------------------------------


async def test_client_credentials_token_is_fetched_once_and_refetched_after_a_401(
    serve, sim, make_client
):
    client = make_client(await serve(sim), client_id="app", client_secret="demo")

    await client.latest_orders("maria@example.com")
    await client.latest_orders("maria@example.com")
    assert len(sim.issued) == 1

    sim.issued.clear()  # revoked (or expired on Shopify's side)
    assert (await client.latest_orders("maria@example.com"))[0].name == "#1001"
    assert len(sim.issued) == 1


async def test_a_wrong_client_secret_is_auth_failed(serve, sim, make_client):
    client = make_client(await serve(sim), client_id="app", client_secret="nope")
    with pytest.raises(AuthFailed, match="invalid_client"):
        await client.latest_orders("maria@example.com")
