"""Console sessions live on the server; odd cookies are just invalid (issue 12, findings 6, 7).

Before: a console session was a stateless 12-hour cookie, so signing out (or changing the
password) did not end it; and a non-ASCII cookie or CSRF token made every agent page
answer 500 (``hmac.compare_digest`` refuses non-ASCII ``str``).
"""

from __future__ import annotations

import asyncio
import re

import aiohttp
import pytest
import socketio

from chatserver.keys import SOCKETIO
from chatserver.web.auth import CSRF_COOKIE, SESSION_COOKIE, hash_password
from tests.chatserver.live import Agent, start_server

SECRET = "console-cookie-secret-0123456789abcdefgh"


def agents(password: str) -> list[dict[str, str]]:
    return [{"username": "alex", "password_hash": hash_password(password)}]


@pytest.fixture
async def server(aiohttp_server, tmp_path):
    return await start_server(aiohttp_server, tmp_path, agents=agents("pw"), cookie_secret=SECRET)


async def sign_in(server, username: str = "alex", password: str = "pw") -> str:
    """The session cookie a browser gets from the login form."""
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as http:
        async with http.get(server.make_url("/agent/login")) as page:
            token = re.search(r'name="csrf_token" value="([^"]+)"', await page.text()).group(1)
        form = {"csrf_token": token, "username": username, "password": password}
        async with http.post(
            server.make_url("/agent/login"), data=form, allow_redirects=False
        ) as r:
            assert r.headers["Location"] == "/agent/", r.headers["Location"]
        return next(c.value for c in jar if c.key == SESSION_COOKIE)


async def get(server, path: str, cookie: str) -> aiohttp.ClientResponse:
    async with aiohttp.ClientSession() as http:
        headers = {"Cookie": cookie}
        async with http.get(server.make_url(path), headers=headers, allow_redirects=False) as r:
            await r.read()
            return r


async def sign_out(server, cookie: str) -> int:
    page = await get(server, "/agent/", f"{SESSION_COOKIE}={cookie}")
    assert page.status == 200
    async with aiohttp.ClientSession() as http:
        async with http.get(
            server.make_url("/agent/"), headers={"Cookie": f"{SESSION_COOKIE}={cookie}"}
        ) as r:
            token = re.search(r'name="csrf_token" value="([^"]+)"', await r.text()).group(1)
        async with http.post(
            server.make_url("/agent/logout"),
            data={"csrf_token": token},
            headers={"Cookie": f"{SESSION_COOKIE}={cookie}"},
            allow_redirects=False,
        ) as r:
            return r.status


async def test_signing_out_ends_the_session_for_every_copy_of_the_cookie(server):
    cookie = await sign_in(server)
    copy = f"{SESSION_COOKIE}={cookie}"  # what a thief kept
    assert (await get(server, "/agent/", copy)).status == 200
    assert await sign_out(server, cookie) == 303
    page = await get(server, "/agent/", copy)
    assert page.status == 303 and page.headers["Location"] == "/agent/login"
    assert (await get(server, "/agent/api/stats", copy)).status == 401
    agent = Agent(str(server.make_url("/")), {"Cookie": copy})
    with pytest.raises(socketio.exceptions.ConnectionError):
        await agent.connect()


async def test_a_signed_out_sessions_socket_is_cut(server):
    cookie = await sign_in(server)
    agent = Agent(str(server.make_url("/")), {"Cookie": f"{SESSION_COOKIE}={cookie}"})
    await agent.connect()
    try:
        assert (await agent.call("list"))["ok"]
        await sign_out(server, cookie)
        answer = await agent.call("list")
        assert answer == {"ok": False, "error": "your console session has ended: sign in again"}
        await asyncio.wait_for(agent.sio.eio.wait(), 15)  # the server closed the socket
        assert not agent.sio.connected
    finally:
        await agent.aclose()


async def test_idle_sockets_of_ended_sessions_are_cut_by_the_periodic_check(server):
    cookie = await sign_in(server)
    agent = Agent(str(server.make_url("/")), {"Cookie": f"{SESSION_COOKIE}={cookie}"})
    await agent.connect()
    try:
        await sign_out(server, cookie)
        namespace = server.app[SOCKETIO].namespace_handlers["/agent"]
        await namespace.recheck()  # what the server runs every RECHECK_SECONDS
        await asyncio.wait_for(agent.sio.eio.wait(), 15)
        assert not agent.sio.connected
    finally:
        await agent.aclose()


async def test_a_new_password_ends_the_sessions_opened_with_the_old_one(aiohttp_server, tmp_path):
    database = f"sqlite+aiosqlite:///{tmp_path}/shared.db"
    old = agents("old")  # one hash: the salt is random
    before = await start_server(
        aiohttp_server, tmp_path, agents=old, cookie_secret=SECRET, database_url=database
    )
    cookie = f"{SESSION_COOKIE}={await sign_in(before, password='old')}"
    # Another process of the same deployment sees the session ...
    same = await start_server(
        aiohttp_server, tmp_path, agents=old, cookie_secret=SECRET, database_url=database
    )
    assert (await get(same, "/agent/", cookie)).status == 200
    # ... and one restarted with the agent's new password hash does not.
    after = await start_server(
        aiohttp_server, tmp_path, agents=agents("new"), cookie_secret=SECRET, database_url=database
    )
    assert (await get(after, "/agent/", cookie)).status == 303
    assert (await get(before, "/agent/", cookie)).status == 200  # still the old config there


ODD = ["é", "\u00e9t\u00e9.abc", "a.é", "☃", "x" * 5000, '"quoted"', "a=b=c", "%ff%fe"]


@pytest.mark.parametrize("value", ODD)
async def test_odd_session_cookies_are_simply_not_signed_in(server, value):
    for path in ("/agent/", "/agent/login", "/agent/dashboard", "/agent/api/stats"):
        page = await get(server, path, f"{SESSION_COOKIE}={value}")
        assert page.status in (200, 303, 401), (path, page.status)


@pytest.mark.parametrize("value", ["é", "☃.x", "a" * 300])
async def test_odd_csrf_tokens_and_cookies_are_refused_not_failed(server, value):
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        form = {"csrf_token": value, "username": "alex", "password": "pw"}
        headers = {"Cookie": f"{CSRF_COOKIE}={value}"}
        async with http.post(
            server.make_url("/agent/login"), data=form, headers=headers, allow_redirects=False
        ) as r:
            assert r.status == 303 and r.headers["Location"].endswith("error=csrf")
    cookie = await sign_in(server)
    async with aiohttp.ClientSession() as http:
        headers = {"Cookie": f"{SESSION_COOKIE}={cookie}"}
        for path in ("/agent/logout", "/agent/dashboard/label"):
            async with http.post(
                server.make_url(path), data={"csrf_token": value}, headers=headers,
                allow_redirects=False,
            ) as r:  # fmt: skip
                assert r.status == 403, (path, r.status)


async def test_an_odd_cookie_on_the_console_socket_is_refused(server):
    agent = Agent(str(server.make_url("/")), {"Cookie": f"{SESSION_COOKIE}=é.é"})
    with pytest.raises(socketio.exceptions.ConnectionError):
        await agent.connect()
