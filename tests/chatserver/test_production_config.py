"""Production mode refuses forgeable secrets; ``limits:`` and ``trusted_proxies`` settings.

Finding 1 of issue 12: a config with real API URLs but no secrets started in production
mode with ``identity_secret`` and ``zendesk.webhook_secret`` still "demo", so anyone could
sign an identity or a webhook. (What is new in ``chatserver.settings`` is imported inside
the tests, so on the code before the fix these fail on what it did, not on an import.)
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys

import pytest
import yaml

from chatserver.app import create_app
from chatserver.errors import ConfigError
from chatserver.ops.limits import ChatLimits
from chatserver.settings import PROJECT_ROOT, load_settings

APIS = ("shopify", "zendesk", "usps", "fedex", "ups", "dhl")
MIN_SECRET_CHARS = 32
GOOD = "k3J9-" + "x" * (MIN_SECRET_CHARS - 5)  # exactly long enough
SECRETS = {"identity_secret": GOOD, "cookie_secret": GOOD + "c"}


def production(**values):
    config = {api: {"base_url": f"https://{api}.example"} for api in APIS}
    for key, value in values.items():
        if isinstance(value, dict) and key in config:
            config[key] = {**config[key], **value}
        else:
            config[key] = value
    return load_settings(**config)


def unsafe_secrets(settings):
    from chatserver.settings import unsafe_secrets

    return unsafe_secrets(settings)


def test_production_without_secrets_names_every_missing_one_and_how_to_make_it():
    from chatserver.settings import SECRET_RECIPE

    problems = unsafe_secrets(production())
    assert [p.split(" ", 1)[0] for p in problems] == [
        "identity_secret",
        "cookie_secret",
        "zendesk.webhook_secret",
    ]
    assert "'demo'" in problems[0] and "is missing" in problems[1]
    assert all(SECRET_RECIPE in p and str(MIN_SECRET_CHARS) in p for p in problems)


def test_the_app_factory_refuses_to_build_a_forgeable_production_server():
    with pytest.raises(ConfigError, match="identity_secret"):
        create_app(production())


@pytest.mark.parametrize(
    "weak",
    ["demo", "DEMO", "changeme", "x" * (MIN_SECRET_CHARS - 1), "  ", "<long random string>"],
)
def test_short_demo_and_example_values_are_refused(weak):
    settings = production(
        identity_secret=weak, cookie_secret=GOOD, zendesk={"webhook_secret": GOOD}
    )
    assert [p.split(" ", 1)[0] for p in unsafe_secrets(settings)] == ["identity_secret"]


def test_real_secrets_pass_and_the_webhook_secret_is_needed_only_with_zendesk():
    assert unsafe_secrets(production(**SECRETS, zendesk={"webhook_secret": GOOD})) == []
    shop_only = load_settings(shopify={"base_url": "https://shop.example"}, **SECRETS)
    assert unsafe_secrets(shop_only) == []


def test_demo_mode_keeps_working_without_any_config(tmp_path):
    settings = load_settings(data_dir=tmp_path)
    assert settings.demo and unsafe_secrets(settings) == []
    create_app(settings)


def test_chatbot_serve_exits_with_the_reasons_before_serving(tmp_path):
    config = tmp_path / "prod.yml"
    config.write_text(yaml.safe_dump({api: {"base_url": f"https://{api}.example"} for api in APIS}))
    done = subprocess.run(
        [sys.executable, "-m", "chatserver", "serve", "--config", str(config), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    for key in ("identity_secret", "cookie_secret", "zendesk.webhook_secret"):
        assert f"refusing to start: {key}" in done.stderr
    assert "serving on" not in done.stderr


# --- limits: and trusted_proxies ----------------------------------------------------------


def test_limits_default_to_the_numbers_the_server_always_had():
    limits = ChatLimits.from_settings(load_settings().limits)
    assert (limits.connections_per_ip, limits.messages_per_minute_per_ip) == (20, 60)
    assert (limits.messages_per_minute_per_session, limits.max_message_chars) == (20, 4000)
    assert limits.logins_per_minute_per_ip == 10


def test_each_limit_is_settable_and_null_or_zero_turns_it_off():
    settings = load_settings(
        limits={
            "connections_per_ip": None,
            "messages_per_minute_per_ip": 0,
            "proof_failures_per_ip": 3,
        }
    )
    assert settings.limits.connections_per_ip == 0
    assert settings.limits.messages_per_minute_per_ip == 0
    assert settings.limits.proof_failures_per_ip == 3
    limits = ChatLimits.from_settings(settings.limits)
    assert all(limits.connections.acquire("ip") for _ in range(1000))
    assert all(limits.per_ip.hit("ip") for _ in range(1000))


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        ({"connections_per_ip": -1}, "limits.connections_per_ip"),
        ({"connections_per_ip": 2.5}, "whole number"),
        ({"proof_window_minutes": "an hour"}, "limits.proof_window_minutes"),
        ({"per_ip": 3}, "unknown setting"),
    ],
)
def test_bad_limits_are_refused_with_the_key(limits, message):
    with pytest.raises(ConfigError, match=message):
        load_settings(limits=limits)


def test_trusted_proxies_take_addresses_and_networks_and_refuse_typos():
    settings = load_settings(trusted_proxies=["127.0.0.1", "10.0.0.0/8", "::1"])
    assert settings.trusted_proxies == ("127.0.0.1", "10.0.0.0/8", "::1")
    assert load_settings(trusted_proxies="192.168.1.0/24").trusted_proxies == ("192.168.1.0/24",)
    with pytest.raises(ConfigError, match="trusted_proxies: 'localhost'"):
        load_settings(trusted_proxies=["localhost"])


def test_every_limit_is_documented_with_its_default():
    from chatserver.settings import LimitSettings

    text = (PROJECT_ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    for f in dataclasses.fields(LimitSettings):
        assert re.search(rf"^  {f.name}: {f.default:g}\b", text, re.MULTILINE), f.name
