"""The agent console against the real server: login, the /agent namespace, takeover."""

from __future__ import annotations

import re

import aiohttp
import pytest
import socketio

from chatserver.web.auth import SESSION_COOKIE, hash_password
from chatserver.web.pages import NO_AGENTS
from tests.chatserver.live import Agent, Customer, start_server, text_of
from tests.chatserver.processes import SECRETS


@pytest.fixture
async def server(aiohttp_server, tmp_path):
    return await start_server(aiohttp_server, tmp_path)


@pytest.fixture
async def http():
    # unsafe: keep cookies for 127.0.0.1 (an IP address) like a browser would.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


async def login(
    http, server, username="agent", password="demo", csrf=None
) -> aiohttp.ClientResponse:
    async with http.get(server.make_url("/agent/login")) as page:
        token = csrf_of(await page.text())
    form = {"csrf_token": csrf or token, "username": username, "password": password}
    async with http.post(server.make_url("/agent/login"), data=form, allow_redirects=False) as resp:
        return resp


def session_cookie(http) -> str:
    return next(c.value for c in http.cookie_jar if c.key == SESSION_COOKIE)


@pytest.fixture
async def people(server, http):
    """``customer()`` and ``agent()`` make connected clients; all are closed afterwards."""
    opened: list = []
    resp = await login(http, server)
    assert resp.status == 303
    cookie = session_cookie(http)

    def customer() -> Customer:
        client = Customer(str(server.make_url("/")))
        opened.append(client)
        return client

    async def agent() -> Agent:
        client = Agent(str(server.make_url("/")), {"Cookie": f"{SESSION_COOKIE}={cookie}"})
        opened.append(client)
        await client.connect()
        return client

    yield customer, agent
    for client in opened:
        await client.aclose()


# --- login --------------------------------------------------------------------------


async def test_console_pages_redirect_to_the_login(server, http):
    for path in ("/agent", "/agent/"):
        async with http.get(server.make_url(path), allow_redirects=False) as resp:
            assert resp.status == 303
            assert resp.headers["Location"] == "/agent/login"


async def test_login_sets_a_strict_http_only_session_cookie(server, http):
    resp = await login(http, server)
    assert resp.status == 303 and resp.headers["Location"] == "/agent/"
    header = next(h for h in resp.headers.getall("Set-Cookie") if h.startswith(SESSION_COOKIE))
    assert "HttpOnly" in header and "SameSite=Strict" in header and "Path=/" in header
    async with http.get(server.make_url("/agent/")) as page:
        assert page.status == 200
        html = await page.text()
    assert "{{csrf_token}}" not in html and csrf_of(html)
    assert page.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("username", "password", "csrf", "error"),
    [
        ("agent", "wrong", None, "invalid"),
        ("nobody", "demo", None, "invalid"),
        ("agent", "demo", "forged-token", "csrf"),
    ],
)
async def test_bad_logins_are_refused(server, http, username, password, csrf, error):
    resp = await login(http, server, username, password, csrf)
    assert resp.headers["Location"] == f"/agent/login?error={error}"
    assert SESSION_COOKIE not in {c.key for c in http.cookie_jar}


async def test_logins_are_rate_limited(aiohttp_server, tmp_path, http):
    from chatserver.ops.limits import ChatLimits

    server = await start_server(
        aiohttp_server, tmp_path, limits=ChatLimits(logins_per_minute_per_ip=2)
    )
    for _ in range(2):
        assert (await login(http, server, password="wrong")).headers["Location"].endswith("invalid")
    resp = await login(http, server)
    assert resp.headers["Location"] == "/agent/login?error=rate_limited"


async def test_logout_needs_the_sessions_csrf_token(server, http):
    await login(http, server)
    async with http.get(server.make_url("/agent/")) as page:
        token = csrf_of(await page.text())
    url = server.make_url("/agent/logout")
    async with http.post(url, data={"csrf_token": "nope"}, allow_redirects=False) as resp:
        assert resp.status == 403
    async with http.post(url, data={"csrf_token": token}, allow_redirects=False) as resp:
        assert resp.status == 303 and resp.headers["Location"] == "/agent/login"
    async with http.get(server.make_url("/agent/"), allow_redirects=False) as resp:
        assert resp.status == 303


async def test_configured_agents_replace_the_demo_account(aiohttp_server, tmp_path, http):
    agents = [{"username": "alex", "password_hash": hash_password("s3cret!")}]
    server = await start_server(aiohttp_server, tmp_path, agents=agents)
    assert (await login(http, server)).headers["Location"].endswith("error=invalid")
    assert (await login(http, server, "alex", "s3cret!")).headers["Location"] == "/agent/"


async def test_production_without_agents_refuses_every_login(aiohttp_server, tmp_path, http):
    server = await start_server(
        aiohttp_server, tmp_path, shopify={"base_url": "https://shop.invalid"}, **SECRETS
    )
    async with http.get(server.make_url("/agent/login")) as page:
        assert NO_AGENTS in await page.text()
    resp = await login(http, server, "agent", "demo")
    assert resp.headers["Location"] == "/agent/login?error=no_agents"


# --- the /agent namespace -------------------------------------------------------------


async def test_the_agent_socket_needs_the_login_cookie(server):
    for headers in ({}, {"Cookie": f"{SESSION_COOKIE}=forged.value"}):
        agent = Agent(str(server.make_url("/")), headers)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await agent.connect()
        await agent.aclose()


async def test_the_agent_socket_refuses_other_origins(server, http):
    await login(http, server)
    headers = {
        "Cookie": f"{SESSION_COOKIE}={session_cookie(http)}",
        "Origin": "https://evil.example",
    }
    agent = Agent(str(server.make_url("/")), headers)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await agent.connect()
    await agent.aclose()


async def test_takeover_chat_note_and_hand_back(people):
    customer, agent = people
    maria, alex = customer(), await agent()
    session_id = await maria.open()
    await maria.turn("hello")
    await maria.turn("/human_agent")  # an agent is online and the shop is open: no ticket
    waiting = await alex.call("list")
    row = next(c for c in waiting["conversations"] if c["session_id"] == session_id)
    assert row["status"] == "waiting" and row["escalation_reason"]

    joined = await alex.call("join", {"session_id": session_id})
    assert joined["ok"] and joined["conversation"]["status"] == "human"
    assert [m["sender"] for m in joined["messages"]][:2] == ["customer", "bot"]
    assert await maria.expect("session_status") == {"owner": "human", "agent_name": "Alex"}
    line = await maria.expect("bot_uttered")
    assert line["sender"] == "system" and "joined" in line["text"]

    sent = await alex.call("send", {"session_id": session_id, "text": "Hi Maria, Alex here."})
    assert sent["ok"]
    said = await maria.expect("bot_uttered")
    assert said == {**sent["message"], "agent_name": "Alex"} | {"sender": "agent"}
    assert said["text"] == "Hi Maria, Alex here."

    assert await maria.turn("thanks! where is my dress?") == []  # the bot stays silent
    forwarded = await alex.expect("message")
    while forwarded["message"]["text"] != "thanks! where is my dress?":  # earlier pushes
        forwarded = await alex.expect("message")
    assert forwarded["message"]["sender"] == "customer"

    note = await alex.call("note", {"session_id": session_id, "text": "checked Shopify"})
    assert note["ok"] and note["message"]["sender"] == "note"

    assert (await alex.call("hand_back", {"session_id": session_id}))["ok"]
    assert await maria.expect("session_status") == {"owner": "bot", "agent_name": None}
    assert await maria.turn("hello")  # the bot answers again

    history = Customer(maria.url)
    try:
        await history.open(session_id)
        messages = (await history.expect("session_history"))["messages"]
    finally:
        await history.aclose()
    assert "note" not in {m["sender"] for m in messages}
    assert len({m["id"] for m in messages}) == len(messages)


async def test_messages_sent_while_the_customer_is_away_arrive_once(people):
    customer, agent = people
    maria, alex = customer(), await agent()
    session_id = await maria.open()
    await maria.turn("/human_agent")
    await alex.call("join", {"session_id": session_id})
    await maria.expect("session_status")
    seen = await maria.expect("bot_uttered")  # the system line
    await maria.aclose()

    sent = await alex.call("send", {"session_id": session_id, "text": "Are you still there?"})
    back = customer()
    assert await back.open(session_id, last_message_id=seen["id"]) == session_id
    missed = (await back.expect("session_history"))["messages"]
    assert [m["id"] for m in missed] == [sent["message"]["id"]]
    assert missed[0]["sender"] == "agent" and missed[0]["agent_name"] == "Alex"
    assert await back.expect("session_status") == {"owner": "human", "agent_name": "Alex"}


async def test_replies_need_the_conversation_joined(people):
    customer, agent = people
    maria, alex = customer(), await agent()
    session_id = await maria.open()
    answer = await alex.call("send", {"session_id": session_id, "text": "hi"})
    assert answer == {"ok": False, "error": "join the conversation before replying"}
    assert (await alex.call("join", {"session_id": "nope"}))["ok"] is False


async def test_agents_see_conversations_and_messages_live(people):
    customer, agent = people
    alex = await agent()
    maria = customer()
    session_id = await maria.open()
    await maria.turn("hello")
    message = await alex.expect("message")
    assert message["session_id"] == session_id and message["message"]["sender"] == "customer"
    assert message["message"]["intent"] == "greeting"
    summary = await alex.expect("conversation")
    assert summary["session_id"] == session_id


async def test_close_and_label(people):
    customer, agent = people
    maria, alex = customer(), await agent()
    session_id = await maria.open()
    await maria.turn("hello")
    view = await alex.call("view", {"session_id": session_id})
    first = view["messages"][0]
    labelled = await alex.call("label", {"message_id": first["id"], "intent": "track_order"})
    assert labelled["ok"] and labelled["message"]["intent"] == "track_order"
    closed = await alex.call("close", {"session_id": session_id})
    assert closed["ok"] and closed["conversation"]["status"] == "closed"
    assert "closed" in (await maria.expect("bot_uttered"))["text"]
    assert text_of(await maria.turn("hello again"))  # a closed chat starts over
