"""`chatbot init` writes a shop's folder; `chatbot check` says what is ready and what is
missing, asking the sandboxes (over HTTP, as the server would) with right and wrong
credentials and with access scopes missing."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import shutil

import pytest
import yaml

from chatserver.commands import check as check_command
from chatserver.commands import init as init_command
from chatserver.commands.check import MISSING, READY, WARNING, check_settings
from chatserver.policy import DEFAULT_POLICY_PATH
from chatserver.settings import Settings, load_settings
from chatserver.web.auth import AgentAuth
from tests.chatserver.processes import APIS, serve_sandboxes


def _lines(items):
    return {i.name: i for i in items}


# --- init ---------------------------------------------------------------------------


def test_init_writes_a_commented_config_with_every_setting_a_policy_and_templates(tmp_path, capsys):
    assert init_command.run(argparse.Namespace(dir=str(tmp_path / "shop"), force=False)) == 0
    folder = tmp_path / "shop"
    text = (folder / "config.yml").read_text()
    raw = yaml.safe_load(text)
    for f in dataclasses.fields(Settings):
        assert f.name in raw, f"config.yml lacks {f.name}"
        assert f.name in init_command.COMMENTS, f"{f.name} has no explanation"
        nested = getattr(Settings(), f.name)
        if dataclasses.is_dataclass(nested):
            assert set(raw[f.name]) == {g.name for g in dataclasses.fields(nested)}
            for g in dataclasses.fields(nested):
                said = init_command.COMMENTS.get(f"{f.name}.{g.name}") or init_command.COMMENTS.get(
                    g.name
                )
                assert said, f"{f.name}.{g.name} has no explanation"
    # every setting line is explained by a comment above it (or beside it, when nested)
    for key in raw:
        before = text.split(f"\n{key}:")[0].rstrip().splitlines()[-1]
        assert before.startswith("# "), key
    settings = load_settings(folder / "config.yml")
    assert settings.demo  # until the outside services are filled in
    assert settings.policy_path == folder / "policy.yml"
    assert (folder / "policy.yml").read_text() == DEFAULT_POLICY_PATH.read_text()
    assert (folder / "templates").is_dir() and not any((folder / "templates").iterdir())
    assert settings.model_dir == folder / "var" / "models"
    assert (folder / "config.yml").stat().st_mode & 0o077 == 0  # secrets: the owner only
    # the console password is printed once and matches the stored hash
    password = capsys.readouterr().out.split("admin / ")[1].split()[0]
    assert AgentAuth(settings.agents, settings.cookie_secret).check("admin", password)


def test_init_makes_fresh_long_secrets_each_time_and_never_overwrites(tmp_path):
    one, _ = init_command.write_shop_folder(tmp_path / "a")
    two, _ = init_command.write_shop_folder(tmp_path / "b")
    a, b = load_settings(one), load_settings(two)
    for get in (
        lambda s: s.identity_secret,
        lambda s: s.cookie_secret,
        lambda s: s.zendesk.webhook_secret,
    ):
        assert len(get(a)) >= 32 and get(a) != get(b)
    assert len({a.identity_secret, a.cookie_secret, a.zendesk.webhook_secret}) == 3
    before = one.read_text()
    with pytest.raises(FileExistsError):
        init_command.write_shop_folder(tmp_path / "a")
    assert one.read_text() == before
    assert init_command.run(argparse.Namespace(dir=str(tmp_path / "a"), force=False)) == 1


# --- check ---------------------------------------------------------------------------


@pytest.fixture
async def sandboxes(aiohttp_server):
    return await serve_sandboxes(aiohttp_server)


@pytest.fixture
def shop(tmp_path, model_dir, sandboxes):
    """A shop folder from `chatbot init`, its services pointed at the sandboxes."""
    config, _ = init_command.write_shop_folder(tmp_path / "shop")
    raw = yaml.safe_load(config.read_text())
    _, base = sandboxes
    for api in APIS:
        raw[api]["base_url"] = f"{base}/{api}"
    raw["public_url"] = "http://127.0.0.1:8080"
    raw["allowed_origins"] = ["http://127.0.0.1:8000"]
    shutil.copytree(model_dir, tmp_path / "shop" / "var" / "models")
    config.write_text(yaml.safe_dump(raw))
    return config


def _settings(config, **change):
    raw = yaml.safe_load(config.read_text())
    for key, value in change.items():
        if "." in key:
            section, sub = key.split(".")
            raw[section][sub] = value
        else:
            raw[key] = value
    return load_settings(**raw)


async def test_a_shop_set_up_from_init_against_the_sandboxes_checks_ready(shop):
    items = _lines(await check_settings(load_settings(shop)))
    assert [i for i in items.values() if i.status == MISSING] == []
    for name in (*APIS, "database", "intent model", "identity_secret", "public_url"):
        assert items[name].status == READY, items[name]
    assert "maison-demo.myshopify.com" in items["shopify"].detail
    assert items["zendesk"].detail.startswith("signed in as")
    assert items["usps"].detail == "OAuth token granted"
    assert items["dhl"].detail == "API key accepted"


async def test_wrong_credentials_are_named_with_how_to_fix_them(shop):
    settings = _settings(
        shop,
        **{
            "shopify.access_token": "shpat_wrong",
            "zendesk.api_token": "wrong",
            "usps.client_secret": "wrong",
            "fedex.client_secret": "wrong",
            "ups.client_secret": "wrong",
            "dhl.client_secret": "wrong",
        },
    )
    items = _lines(await check_settings(settings))
    for name in APIS:
        assert items[name].status == MISSING, items[name]
        assert "credentials refused" in items[name].detail
        assert items[name].fix
    assert "shopify.access_token" in items["shopify"].fix
    assert "developer.ups.com" in items["ups"].fix


async def test_a_token_without_the_scopes_the_bot_needs_is_missing_them(shop, sandboxes):
    boxes, _ = sandboxes
    boxes.shopify.store.access_scopes -= {"write_orders", "write_returns", "read_returns"}
    item = _lines(await check_settings(load_settings(shop)))["shopify"]
    assert item.status == MISSING
    assert "lacks write_orders, read_returns, write_returns" in item.detail
    assert "Admin API access scopes: tick write_orders, read_returns, write_returns" in item.fix


async def test_a_write_scope_grants_its_read_scope_and_optional_scopes_only_warn(shop, sandboxes):
    boxes, _ = sandboxes
    boxes.shopify.store.access_scopes = {"write_orders", "write_returns"}
    item = _lines(await check_settings(load_settings(shop)))["shopify"]
    assert item.status == WARNING
    assert "read_all_orders: orders older than 60 days" in item.detail


async def test_weak_secrets_missing_public_url_and_unreachable_stores_are_missing(shop):
    settings = _settings(
        shop,
        identity_secret="demo",
        cookie_secret="short",
        public_url="http://chat.shop.example",
        database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none",
        redis_url="redis://127.0.0.1:1/0",
        agents=[],
        **{"zendesk.webhook_secret": "demo"},
    )
    items = _lines(await check_settings(settings))
    for name in (
        "identity_secret",
        "cookie_secret",
        "zendesk.webhook_secret",
        "public_url",
        "database",
        "redis",
        "agents",
    ):
        assert items[name].status == MISSING, items[name]
        assert items[name].fix
    assert "not https" in items["public_url"].detail
    assert "cannot connect" in items["database"].detail


async def test_postgres_and_redis_that_answer_are_ready(shop, pg_url, redis_url):
    items = _lines(await check_settings(_settings(shop, database_url=pg_url, redis_url=redis_url)))
    assert items["database"].status == READY and "postgresql" in items["database"].detail
    assert items["redis"].status == READY


def test_the_command_exits_non_zero_when_something_is_missing(tmp_path, capsys):
    bad = tmp_path / "bad.yml"
    bad.write_text("port: [not a number\n")
    assert check_command.run(argparse.Namespace(config=str(bad))) == 1
    assert "[MISS] config" in capsys.readouterr().out
    config, _ = init_command.write_shop_folder(tmp_path / "shop")
    assert check_command.run(argparse.Namespace(config=str(config))) == 1  # demo mode
    out = capsys.readouterr().out
    assert "[MISS] mode" in out and "not ready to go live" in out


async def test_the_command_exits_zero_when_nothing_is_missing(shop, capsys):
    # run() starts its own event loop: a thread, while this loop serves the sandboxes
    assert await asyncio.to_thread(check_command.run, argparse.Namespace(config=str(shop))) == 0
    out = capsys.readouterr().out
    assert "[ok  ] shopify" in out and "Ready to go live" in out
