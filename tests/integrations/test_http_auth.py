"""The one OAuth client-credentials auth every OAuth client uses (USPS, FedEx, UPS,
Shopify): token cache, ``expires_in`` read one way, one refresh at a time, one retry
on 401. Time is an injected clock; nothing sleeps."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import httpx
import pytest

from integrations.errors import APIStatusError, AuthFailed, BadResponse, IntegrationUnavailable
from integrations.http import ApiTransport, ClientCredentials, StaticAuth, read_expires_in


def answer(status: int, body: object) -> httpx.Response:
    """A response that ApiTransport can stream (``json=`` builds one already read)."""
    return httpx.Response(
        status,
        headers={"content-type": "application/json"},
        stream=httpx.ByteStream(json.dumps(body).encode()),
    )


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


class Vendor:
    """A token endpoint and one API call, answering as told."""

    def __init__(self, *, expires_in: Any = 3600, token_status: int = 200) -> None:
        self.expires_in = expires_in
        self.token_status = token_status
        self.token_body: dict[str, Any] | None = None
        self.token_requests: list[httpx.Request] = []
        self.api_auth: list[str | None] = []
        self.valid: set[str] = set()
        self.refuse_all = False
        self.hold: asyncio.Event | None = None  # token answers wait for it when set
        self.waiting = 0

    async def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            self.token_requests.append(request)
            if self.hold is not None:
                self.waiting += 1
                await self.hold.wait()
            if self.token_status != 200:
                return answer(self.token_status, self.token_body or {})
            token = f"t{len(self.token_requests)}"
            self.valid.add(token)
            body = {"access_token": token, "token_type": "Bearer"}
            if self.expires_in is not None:
                body["expires_in"] = self.expires_in
            return answer(200, body)
        header = request.headers.get("authorization")
        self.api_auth.append(header)
        token = (header or "").removeprefix("Bearer ")
        if self.refuse_all or token not in self.valid:
            return answer(401, {"error": "invalid_token"})
        return answer(200, {"ok": True})


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def make(clock):
    opened: list[httpx.AsyncClient] = []

    def build(vendor: Vendor, **options: Any) -> tuple[ApiTransport, ClientCredentials]:
        http = httpx.AsyncClient(transport=httpx.MockTransport(vendor.handle))
        opened.append(http)

        async def no_sleep(_: float) -> None:
            return None

        api = ApiTransport(http, vendor="acme", base_url="https://api.acme.test", sleep=no_sleep)
        options.setdefault("clock", clock)
        auth = ClientCredentials(api, "/token", client_id="id", client_secret="s3cret", **options)
        return api, auth

    yield build
    for http in opened:
        await http.aclose()


async def call(api: ApiTransport, auth: Any) -> httpx.Response:
    return await api.request("GET", "/things", auth=auth)


async def test_the_token_is_fetched_once_and_reused_until_shortly_before_it_expires(make, clock):
    vendor = Vendor(expires_in=3600)
    api, auth = make(vendor)

    await call(api, auth)
    clock.now += 3600 - 61  # still a minute and a second left
    await call(api, auth)
    assert len(vendor.token_requests) == 1

    clock.now += 2  # inside the last minute: refreshed before use
    await call(api, auth)
    assert len(vendor.token_requests) == 2
    assert vendor.api_auth == ["Bearer t1", "Bearer t1", "Bearer t2"]


@pytest.mark.parametrize(
    ("expires_in", "lifetime"),
    [(3600, 3600.0), ("14399", 14399.0), (28800.0, 28800.0), (None, 1234.0)],
    ids=["number (FedEx, Shopify)", "string (USPS, UPS)", "float", "left out: the default"],
)
async def test_expires_in_is_read_one_way_whatever_its_type(make, clock, expires_in, lifetime):
    vendor = Vendor(expires_in=expires_in)
    api, auth = make(vendor, default_expires_in=1234.0)
    await call(api, auth)
    clock.now += lifetime - 61
    await call(api, auth)
    clock.now += 2
    await call(api, auth)
    assert len(vendor.token_requests) == 2


@pytest.mark.parametrize("value", ["soon", -5, 0, True, [3600]])
def test_an_unreadable_expires_in_is_a_bad_response(value):
    with pytest.raises(BadResponse, match="expires_in"):
        read_expires_in(value, vendor="acme", default=3600.0)


async def test_a_short_lived_token_is_used_for_half_its_life(make, clock):
    vendor = Vendor(expires_in=60)
    api, auth = make(vendor)
    await call(api, auth)
    clock.now += 29
    await call(api, auth)
    clock.now += 2
    await call(api, auth)
    assert len(vendor.token_requests) == 2


async def test_concurrent_callers_share_one_token_fetch(make):
    vendor = Vendor()
    vendor.hold = asyncio.Event()
    api, auth = make(vendor)

    calls = [asyncio.create_task(call(api, auth)) for _ in range(20)]
    while vendor.waiting == 0:
        await asyncio.sleep(0)  # let the tasks reach the token endpoint
    for _ in range(50):
        await asyncio.sleep(0)  # and every other caller reach the fetch in flight
    vendor.hold.set()
    answers = await asyncio.gather(*calls)

    assert [a.status_code for a in answers] == [200] * 20
    assert len(vendor.token_requests) == 1 and auth.fetches == 1


async def test_a_failed_fetch_fails_every_waiter_and_the_next_call_tries_again(make):
    vendor = Vendor(token_status=503)
    vendor.hold = asyncio.Event()
    api, auth = make(vendor)
    api.retry = api.retry.__class__(attempts=1)

    calls = [asyncio.create_task(call(api, auth)) for _ in range(5)]
    while vendor.waiting == 0:
        await asyncio.sleep(0)
    vendor.hold.set()
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert all(isinstance(r, IntegrationUnavailable) for r in results)
    assert len(vendor.token_requests) == 1

    vendor.hold, vendor.token_status = None, 200
    assert (await call(api, auth)).status_code == 200
    assert len(vendor.token_requests) == 2


async def test_a_401_drops_the_token_and_the_call_is_tried_once_more(make):
    vendor = Vendor()
    api, auth = make(vendor)
    await call(api, auth)
    vendor.valid.clear()  # revoked on the vendor's side before it expired

    assert (await call(api, auth)).status_code == 200
    assert vendor.api_auth == ["Bearer t1", "Bearer t1", "Bearer t2"]


async def test_a_401_to_the_fresh_token_too_is_auth_failed_after_one_retry(make):
    vendor = Vendor()
    api, auth = make(vendor)
    vendor.refuse_all = True

    with pytest.raises(AuthFailed) as caught:
        await call(api, auth)
    assert caught.value.status == 401
    assert len(vendor.api_auth) == 2 and len(vendor.token_requests) == 2


async def test_a_403_is_not_retried_with_a_new_token(make):
    vendor = Vendor()
    api, auth = make(vendor)
    original = vendor.handle

    async def forbidden(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            return await original(request)
        vendor.api_auth.append(request.headers.get("authorization"))
        return answer(403, {"error": "insufficient_scope"})

    vendor.handle = forbidden  # type: ignore[method-assign]
    api, auth = make(vendor)
    with pytest.raises(AuthFailed):
        await call(api, auth)
    assert len(vendor.api_auth) == 1 and len(vendor.token_requests) == 1


def test_a_refusal_of_an_older_token_keeps_the_newer_one():
    auth = ClientCredentials(None, "/token", client_id="i", client_secret="s")  # type: ignore[arg-type]
    auth._token, auth._expires_at = "t2", float("inf")
    assert auth.refused({"Authorization": "Bearer t1"}) is True
    assert auth._token == "t2"
    assert auth.refused({"Authorization": "Bearer t2"}) is True
    assert auth._token is None


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (400, {"error": "invalid_client", "error_description": "bad secret"}, AuthFailed),
        (400, {"error": "unauthorized_client"}, AuthFailed),
        (400, {"error": "unsupported_grant_type"}, APIStatusError),
        (401, {"errors": [{"code": "NOT.AUTHORIZED.ERROR"}]}, AuthFailed),
    ],
)
async def test_refused_credentials(make, status, body, error):
    vendor = Vendor(token_status=status)
    vendor.token_body = body
    api, auth = make(vendor)
    with pytest.raises(error) as caught:
        await call(api, auth)
    assert caught.value.vendor == "acme"
    assert vendor.api_auth == []  # the API itself was never called without a token


async def test_a_token_answer_without_access_token_is_a_bad_response(make):
    vendor = Vendor()

    async def empty(request: httpx.Request) -> httpx.Response:
        return answer(200, {"token_type": "Bearer"})

    vendor.handle = empty  # type: ignore[method-assign]
    _, auth = make(vendor)
    with pytest.raises(BadResponse, match="access_token"):
        await auth.token()


@pytest.mark.parametrize("send", ["form", "json", "basic"])
async def test_how_the_client_authenticates_to_the_token_endpoint(make, send):
    vendor = Vendor()
    _, auth = make(vendor, send=send, scope="tracking")
    await auth.token()
    (request,) = vendor.token_requests
    if send == "json":
        assert request.headers["content-type"] == "application/json"
        assert json.loads(request.content) == {
            "client_id": "id", "client_secret": "s3cret",
            "grant_type": "client_credentials", "scope": "tracking",
        }  # fmt: skip
    else:
        form = dict(httpx.QueryParams(request.content.decode()))
        assert request.headers["content-type"] == "application/x-www-form-urlencoded"
        if send == "form":
            assert form == {
                "client_id": "id", "client_secret": "s3cret",
                "grant_type": "client_credentials", "scope": "tracking",
            }  # fmt: skip
        else:
            assert form == {"grant_type": "client_credentials", "scope": "tracking"}
            expected = base64.b64encode(b"id:s3cret").decode()
            assert request.headers["authorization"] == f"Basic {expected}"


async def test_shopify_style_header_without_a_scheme(make):
    _, auth = make(Vendor(), header="X-Shopify-Access-Token", scheme="")
    assert await auth.headers() == {"X-Shopify-Access-Token": "t1"}


async def test_a_static_credential_is_never_retried(make):
    vendor = Vendor()
    api, _ = make(vendor)
    with pytest.raises(AuthFailed):
        await call(api, StaticAuth({"Authorization": "Bearer wrong"}))
    assert vendor.api_auth == ["Bearer wrong"]
