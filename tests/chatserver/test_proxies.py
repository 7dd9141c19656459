"""Many customers behind the reverse proxy are many clients (issue 12, finding 4).

Before: behind the proxy docs/deployment.md describes, every customer had the proxy's
address: 20 open chats and 60 messages a minute for the whole shop, and 10 failed logins
from anyone locked every agent out. Now ``trusted_proxies`` says whose
``X-Forwarded-For`` counts, and sign-ins are throttled per address and per username.
"""

from __future__ import annotations

import re

import aiohttp
import pytest
import socketio

from chatserver.web.auth import hash_password
from tests.chatserver.live import Customer, start_server


@pytest.mark.parametrize(
    ("peer", "header", "client"),
    [
        ("203.0.113.5", None, "203.0.113.5"),  # direct
        ("203.0.113.5", "1.2.3.4", "203.0.113.5"),  # not our proxy: its header is ignored
        ("127.0.0.1", "198.51.100.7", "198.51.100.7"),  # through our proxy
        ("127.0.0.1", "6.6.6.6, 198.51.100.7", "198.51.100.7"),  # the client's own entry
        ("127.0.0.1", "198.51.100.7, 10.1.2.3", "198.51.100.7"),  # two proxies of ours
        ("127.0.0.1", "10.1.2.3, 10.4.5.6", "10.1.2.3"),  # every hop ours: the leftmost
        ("127.0.0.1", "not-an-ip", "127.0.0.1"),  # garbage: the last trusted hop
        ("127.0.0.1", "198.51.100.7:4711", "198.51.100.7"),  # with a port
        ("127.0.0.1", "[2001:db8::7]:4711", "2001:db8::7"),
        ("::ffff:127.0.0.1", "198.51.100.7", "198.51.100.7"),  # IPv4 mapped on a v6 socket
        ("127.0.0.1", "", "127.0.0.1"),
    ],
)
def test_forwarded_for_counts_only_from_trusted_proxies(peer, header, client):
    from chatserver.ops.proxies import TrustedProxies

    proxies = TrustedProxies(["127.0.0.1", "10.0.0.0/8"])
    assert proxies.client(peer, header) == client


def test_without_trusted_proxies_the_header_is_never_read():
    from chatserver.ops.proxies import TrustedProxies

    assert TrustedProxies().client("127.0.0.1", "198.51.100.7") == "127.0.0.1"


@pytest.fixture
async def behind_proxy(aiohttp_server, tmp_path):
    agents = [
        {"username": "alex", "password_hash": hash_password("alex-pw")},
        {"username": "sam", "password_hash": hash_password("sam-pw")},
    ]
    return await start_server(
        aiohttp_server, tmp_path, trusted_proxies=["127.0.0.1"], agents=agents
    )


async def connect_from(url: str, address: str | None) -> Customer:
    headers = {"X-Forwarded-For": address} if address else {}
    client = Customer(url, headers)
    await client.connect()
    return client


async def test_many_customers_behind_the_proxy_each_get_their_own_limit(behind_proxy):
    url = str(behind_proxy.make_url("/"))
    clients = []
    try:
        for n in range(25):  # more than 20: each is another customer
            clients.append(await connect_from(url, f"198.51.100.{n}"))
        for _ in range(20):
            clients.append(await connect_from(url, "203.0.113.1"))
        with pytest.raises(socketio.exceptions.ConnectionError):
            clients.append(await connect_from(url, "203.0.113.1"))  # one customer's 21st
    finally:
        for client in clients:
            await client.aclose()


async def test_a_customer_cannot_escape_the_limit_by_writing_the_header(aiohttp_server, tmp_path):
    server = await start_server(aiohttp_server, tmp_path)  # no trusted proxies
    url = str(server.make_url("/"))
    clients = []
    try:
        for n in range(20):
            clients.append(await connect_from(url, f"198.51.100.{n}"))
        with pytest.raises(socketio.exceptions.ConnectionError):
            clients.append(await connect_from(url, "198.51.100.99"))
    finally:
        for client in clients:
            await client.aclose()


async def test_messages_per_minute_count_per_customer_behind_the_proxy(behind_proxy):
    url = str(behind_proxy.make_url("/"))
    clients = [await connect_from(url, f"198.51.100.{n}") for n in range(4)]
    try:
        for client in clients:  # 4 x 18 messages: more than 60 through one proxy
            await client.open()
            for n in range(18):
                await client.send(f"hello {n}")
            replies = 0
            while replies < 18:
                event, data = await client.queue.get()
                assert event != "error", data
                replies += event == "bot_typing" and data == {"typing": False}
    finally:
        for client in clients:
            await client.aclose()


async def sign_in(server, username: str, password: str, address: str) -> str:
    """One sign-in attempt from ``address`` (through the proxy); where it redirects."""
    headers = {"X-Forwarded-For": address}
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar, headers=headers) as http:
        async with http.get(server.make_url("/agent/login")) as page:
            token = re.search(r'name="csrf_token" value="([^"]+)"', await page.text()).group(1)
        form = {"csrf_token": token, "username": username, "password": password}
        async with http.post(
            server.make_url("/agent/login"), data=form, allow_redirects=False
        ) as resp:
            return resp.headers["Location"]


async def test_failed_logins_from_one_address_lock_out_only_that_address(behind_proxy):
    for n in range(10):
        assert (await sign_in(behind_proxy, f"guess{n}", "x", "203.0.113.66")).endswith("invalid")
    assert (await sign_in(behind_proxy, "alex", "alex-pw", "203.0.113.66")).endswith("rate_limited")
    assert await sign_in(behind_proxy, "alex", "alex-pw", "198.51.100.20") == "/agent/"


async def test_guessing_one_agents_password_from_many_addresses_is_throttled(behind_proxy):
    for n in range(5):
        assert (await sign_in(behind_proxy, "alex", "wrong", f"192.0.2.{n}")).endswith("invalid")
    assert (await sign_in(behind_proxy, "alex", "alex-pw", "192.0.2.99")).endswith("rate_limited")
    assert await sign_in(behind_proxy, "sam", "sam-pw", "192.0.2.100") == "/agent/"


def test_login_throttle_counts_addresses_and_usernames_apart():
    from chatserver.ops.limits import LoginThrottle

    now = [0.0]
    throttle = LoginThrottle(per_ip=2, failures_per_user=2, clock=lambda: now[0])
    assert throttle.admit("a", "alex") and throttle.admit("a", "sam")
    assert not throttle.admit("a", "other")  # the address used its two
    throttle.failed("alex")
    throttle.failed("ALEX ")
    assert not throttle.admit("b", "alex")  # the username is throttled everywhere
    assert throttle.admit("b", "sam")
    now[0] += 61
    assert throttle.admit("a", "alex")
