"""Password hashes, signed cookies, limits and the metrics text, without a server."""

from __future__ import annotations

import pytest

from chatserver.ops.limits import ConnectionCounter, SlidingWindow
from chatserver.ops.metrics import Metrics
from chatserver.settings import AgentUser
from chatserver.web.auth import (
    AgentAuth,
    CookieSigner,
    MemorySessions,
    hash_password,
    read_cookie,
    same_token,
    verify_password,
)


def test_password_hashes_verify_and_are_salted():
    stored = hash_password("correct horse")
    assert stored.startswith("scrypt$")
    assert verify_password("correct horse", stored)
    assert not verify_password("correct horse!", stored)
    assert hash_password("correct horse") != stored


@pytest.mark.parametrize("stored", ["", "plain", "scrypt$zz$00", "md5$00$00", "scrypt$$"])
def test_malformed_hashes_never_verify(stored):
    assert not verify_password("anything", stored)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_signed_cookies_reject_tampering_other_keys_and_age():
    clock = Clock()
    signer = CookieSigner("secret", clock=clock)
    value = signer.sign({"u": "alex"}, max_age=60)
    assert signer.unsign(value)["u"] == "alex"
    body, mac = value.rsplit(".", 1)
    assert signer.unsign(body[:-2] + "xx." + mac) is None
    assert CookieSigner("other", clock=clock).unsign(value) is None
    assert signer.unsign("garbage") is None and signer.unsign(None) is None
    clock.now += 61
    assert signer.unsign(value) is None


async def test_agent_auth_sessions_end_when_the_account_goes():
    user = AgentUser("alex", hash_password("pw"))
    sessions = MemorySessions()
    auth = AgentAuth([user], "secret", store=lambda: sessions)
    assert auth.check("alex", "pw") and not auth.check("alex", "nope")
    assert not auth.check("nobody", "pw")
    cookie = await auth.sign_in("alex")
    assert (await auth.session(cookie))["u"] == "alex"
    assert await AgentAuth([], "secret", store=lambda: sessions).session(cookie) is None


def test_csrf_tokens_round_trip_through_their_cookie():
    auth = AgentAuth([], "secret")
    token, cookie = auth.csrf_cookie()
    assert same_token(token, auth.csrf_token(cookie))
    assert not same_token("other", auth.csrf_token(cookie))
    assert not same_token(None, token) and not same_token(token, None)


def test_read_cookie():
    assert read_cookie("a=1; agent_session=xyz.abc", "agent_session") == "xyz.abc"
    assert read_cookie("a=1", "agent_session") is None
    assert read_cookie(None, "agent_session") is None


def test_sliding_window_counts_per_key_and_forgets_old_events():
    clock = Clock()
    window = SlidingWindow(2, 60, clock=clock)
    assert window.hit("a") and window.hit("a") and not window.hit("a")
    assert window.hit("b")
    clock.now += 60
    assert window.hit("a")


def test_connection_counter():
    counter = ConnectionCounter(1)
    assert counter.acquire("ip") and not counter.acquire("ip")
    counter.release("ip")
    assert counter.acquire("ip")


def test_metrics_render_in_the_prometheus_text_format():
    metrics = Metrics()
    metrics.escalations.inc(reason='say "hi"')
    metrics.observe_outside("usps", 0.2, None)
    metrics.observe_outside("usps", 3.0, "IntegrationUnavailable")
    text = metrics.render()
    assert 'chatbot_escalations_total{reason="say \\"hi\\""} 1' in text
    assert 'chatbot_outside_api_seconds_bucket{vendor="usps",le="0.25"} 1' in text
    assert 'chatbot_outside_api_seconds_bucket{vendor="usps",le="+Inf"} 2' in text
    assert 'chatbot_outside_api_seconds_count{vendor="usps"} 2' in text
    assert (
        'chatbot_outside_api_errors_total{error="IntegrationUnavailable",vendor="usps"} 1' in text
    )
    assert "# TYPE chatbot_connections gauge" in text


def test_hash_password_command(monkeypatch, capsys):
    import io

    from chatserver.cli import main

    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret!\n"))
    assert main(["hash-password", "--stdin"]) == 0
    assert verify_password("s3cret!", capsys.readouterr().out.strip())
