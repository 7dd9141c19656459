"""`chatbot check [--config FILE]`: is this shop ready to go live?

It validates the config, then looks at each outside service the config names with a
harmless read (the Shopify shop and the token's access scopes, Zendesk's ``users/me``,
each carrier's OAuth token or API key), and at the secrets, ``public_url``,
``trusted_proxies``, the database, Redis and the intent model. It prints a checklist —
ready, missing (with how to fix it), warning — and exits 1 when something needed is
missing, 0 otherwise. The services are reached the way the server reaches them
(:func:`chatserver.build.build_clients`), so a green check means the server's own
clients got through.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TextIO
from urllib.parse import urlsplit

__all__ = [
    "READY",
    "Item",
    "check_settings",
    "missing_line",
    "ok_line",
    "register",
    "render",
    "warning_line",
]

READY, MISSING, WARNING = "ready", "missing", "warning"
_MARKS = {READY: "ok  ", MISSING: "MISS", WARNING: "warn"}


@dataclass(frozen=True)
class Item:
    """One line of the checklist."""

    name: str
    status: str  # ready | missing | warning
    detail: str
    fix: str = ""


def ok_line(name: str, detail: str) -> Item:
    return Item(name, READY, detail)


def missing_line(name: str, detail: str, fix: str) -> Item:
    return Item(name, MISSING, detail, fix)


def warning_line(name: str, detail: str, fix: str = "") -> Item:
    return Item(name, WARNING, detail, fix)


# --- the config itself ----------------------------------------------------------------


def _secret(name: str, value: str, fix: str) -> Item:
    from chatserver.settings import secret_weakness  # the rule production start-up applies

    why = secret_weakness(value)
    if why:
        return missing_line(name, why, fix)
    return ok_line(name, f"set ({len(value.strip())} characters)")


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _public_url(settings: Any) -> Item:
    url = settings.public_url
    fix = "set public_url to the https:// address customers and Zendesk reach the server at"
    if not url:
        return missing_line("public_url", "not set", fix)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return missing_line("public_url", f"{url!r} is not an http(s) address", fix)
    if parts.scheme == "http" and not _loopback(parts.hostname):
        return missing_line("public_url", f"{url} is not https: browsers and Zendesk need TLS", fix)
    if parts.scheme == "http":
        return ok_line("public_url", f"{url} (this machine only: fine for a trial run)")
    return ok_line("public_url", url)


def _trusted_proxies(settings: Any) -> Item:
    proxies = tuple(settings.trusted_proxies or ())
    bad = []
    for entry in proxies:
        try:
            ipaddress.ip_network(str(entry), strict=False)
        except ValueError:
            bad.append(str(entry))
    if bad:
        return missing_line(
            "trusted_proxies",
            f"not addresses or networks: {', '.join(bad)}",
            "list the reverse proxy's address, e.g. [127.0.0.1]",
        )
    if proxies:
        return ok_line("trusted_proxies", ", ".join(map(str, proxies)))
    if settings.public_url.startswith("https://") and _loopback(settings.host):
        return warning_line(
            "trusted_proxies",
            "none, yet the server listens on loopback behind an https address (a proxy?)",
            "add the proxy's address (trusted_proxies: [127.0.0.1]) so limits count customers",
        )
    return ok_line("trusted_proxies", "none (no reverse proxy in front)")


def _config_items(settings: Any) -> list[Item]:
    items = []
    if settings.demo:
        items.append(
            missing_line(
                "mode",
                "demo: no outside service is configured, the sandboxes stand in for all",
                "fill in shopify, zendesk and your carriers (docs/going-live.md)",
            )
        )
    else:
        items.append(ok_line("mode", "production"))
    items.append(
        _secret(
            "identity_secret",
            settings.identity_secret,
            "identity_secret: a random string of 32+ characters (chatbot init makes one); "
            "the theme snippet signs customers with the same value",
        )
    )
    items.append(
        _secret(
            "cookie_secret",
            settings.cookie_secret,
            "cookie_secret: a random string of 32+ characters, else console sign-ins end "
            "at every restart",
        )
    )
    items.append(
        _secret(
            "zendesk.webhook_secret",
            settings.zendesk.webhook_secret,
            "zendesk.webhook_secret: the signing secret Zendesk shows on the webhook "
            "(Admin Center > Apps and integrations > Webhooks > your webhook > Reveal secret)",
        )
    )
    items.append(_public_url(settings))
    origins = tuple(settings.allowed_origins)
    if "*" in origins:
        items.append(
            warning_line(
                "allowed_origins",
                "any site may embed the chat",
                "list your shop's address: allowed_origins: [https://your-shop.com]",
            )
        )
    elif any("example" in o for o in origins):
        items.append(
            missing_line(
                "allowed_origins",
                f"still the example: {', '.join(origins)}",
                "list your shop's address(es)",
            )
        )
    else:
        items.append(ok_line("allowed_origins", ", ".join(origins)))
    items.append(_trusted_proxies(settings))
    if settings.agents:
        names = ", ".join(a.username for a in settings.agents)
        items.append(ok_line("agents", f"{len(settings.agents)} console account(s): {names}"))
    else:
        items.append(
            missing_line(
                "agents",
                "nobody can sign in to the agent console",
                "add agents with a password_hash from `chatbot hash-password`",
            )
        )
    return items


def _files(settings: Any) -> list[Item]:
    from chatserver.errors import ConfigError
    from chatserver.policy import load_policy

    items = []
    try:
        policy = load_policy(settings.policy_path)
    except ConfigError as exc:
        items.append(missing_line("policy", str(exc), f"fix {settings.policy_path}"))
    else:
        detail = f"{settings.policy_path}: {policy.shop_name}"
        if policy.shop_name == "Maison Demo":
            items.append(
                warning_line("policy", detail + " (the demo shop's)", "edit shop: in the policy")
            )
        else:
            items.append(ok_line("policy", detail))
    if settings.templates_dir is not None and not settings.templates_dir.is_dir():
        items.append(
            missing_line(
                "templates_dir",
                f"{settings.templates_dir} is not a folder",
                "create it (empty is fine) or remove templates_dir",
            )
        )
    from nlu import registry
    from nlu.errors import NLUError

    try:
        meta = registry.read_meta(registry.resolve(settings.model_dir))
    except NLUError as exc:
        items.append(
            missing_line(
                "intent model",
                str(exc),
                "chatbot train --config CONFIG (a few minutes; without a model every "
                "message goes to a person)",
            )
        )
    else:
        items.append(ok_line("intent model", f"{meta.version} in {settings.model_dir}"))
    return items


# --- what the server talks to ---------------------------------------------------------


async def _database(settings: Any) -> Item:
    from chatserver.storage.probe import probe_database

    found = await probe_database(settings.database_url)
    where = f"{found.backend}"
    if found.error:
        return missing_line(
            "database",
            f"{where}: cannot connect ({found.error})",
            "check database_url, that the database server runs and the user may connect",
        )
    if found.version is None:
        return ok_line("database", f"{where}: a new file, created at first start")
    if found.version > found.latest:
        return missing_line(
            "database",
            f"schema version {found.version} is newer than this server's {found.latest}",
            "upgrade the server (docs/going-live.md, upgrades)",
        )
    state = "up to date" if found.version == found.latest else "migrated at next start"
    note = "" if found.backend == "postgresql" else " (one process; PostgreSQL for backups)"
    return ok_line("database", f"{where}, schema {found.version} ({state}){note}")


async def _redis(settings: Any) -> Item:
    if not settings.redis_url:
        return ok_line("redis", "not used (one server process)")
    import redis.asyncio as aioredis

    client = aioredis.from_url(settings.redis_url, socket_connect_timeout=5)
    try:
        await client.ping()
    except Exception as exc:  # redis' own errors: refused, auth, unknown host
        return missing_line(
            "redis", f"cannot reach {settings.redis_url}: {exc}", "check redis_url and Redis"
        )
    finally:
        await client.aclose()
    return ok_line("redis", f"{settings.redis_url} answers")


async def _guard(name: str, read: Callable[[], Awaitable[Item]], fix: str) -> Item:
    """Run one service read; an outside error becomes a "missing" line saying which."""
    from integrations.errors import AuthFailed, IntegrationError, IntegrationUnavailable

    try:
        return await read()
    except AuthFailed as exc:
        return missing_line(name, f"credentials refused ({exc})", fix)
    except IntegrationUnavailable as exc:
        return missing_line(name, f"cannot reach it ({exc})", "check base_url and the network")
    except IntegrationError as exc:
        return missing_line(name, f"unexpected answer ({exc})", fix)


async def check_settings(settings: Any) -> list[Item]:
    """Every line of the checklist for valid ``settings`` (the services are asked at once)."""
    import httpx

    from chatserver.build import build_clients
    from chatserver.commands.check_services import service_checks

    items = _config_items(settings) + _files(settings)
    async with httpx.AsyncClient(timeout=settings.outside_timeout_seconds) as http:
        clients = build_clients(settings, http)
        reads = [_database(settings), _redis(settings)]
        reads += [_guard(*c) for c in service_checks(settings, clients)]
        items += await asyncio.gather(*reads)
    return items


def render(items: list[Item], out: TextIO) -> None:
    width = max(len(i.name) for i in items)
    for i in items:
        print(f"  [{_MARKS[i.status]}] {i.name:<{width}}  {i.detail}", file=out)
        if i.fix and i.status != READY:
            print(f"  {'':6} {'':<{width}}  -> {i.fix}", file=out)
    missing = sum(i.status == MISSING for i in items)
    warned = sum(i.status == WARNING for i in items)
    if missing:
        print(f"\n{missing} missing, {warned} warning(s): not ready to go live.", file=out)
    else:
        print(f"\nReady to go live ({warned} warning(s)).", file=out)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "check", help="is the shop ready to go live? config, secrets, Shopify, Zendesk, carriers"
    )
    p.add_argument("--config", default=None, help="YAML settings file (chatbot init writes one)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import logging

    from chatserver.errors import ConfigError
    from chatserver.settings import load_settings

    logging.getLogger("httpx").setLevel(logging.WARNING)  # the checklist says what happened
    out = sys.stdout
    print(f"chatbot check: {args.config or 'no config file (the demo defaults)'}", file=out)
    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        render(
            [missing_line("config", str(exc), "fix the file (chatbot init writes a new one)")], out
        )
        return 1
    items = [ok_line("config", "read"), *asyncio.run(check_settings(settings))]
    render(items, out)
    return 1 if any(i.status == MISSING for i in items) else 0
