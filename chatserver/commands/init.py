"""`chatbot init [DIR]`: a new shop's folder — a commented ``config.yml`` with every setting,
a copy of the policy to edit, an empty folder for template overrides, fresh secrets.

The config names every key of :class:`chatserver.settings.Settings` with what it does
(``tests/chatserver/test_init_check.py`` fails when a key has no line here), so a shop
owner edits values rather than looking up names. The outside APIs start empty: the
server stays in demo mode until their ``base_url`` and credentials are filled in
(docs/going-live.md), and ``chatbot check`` says what is still missing.
"""

from __future__ import annotations

import argparse
import dataclasses
import secrets
import shutil
from pathlib import Path
from typing import Any

import yaml

__all__ = ["COMMENTS", "new_secret", "register", "render_config", "write_shop_folder"]

SECRET_BYTES = 32  # 43 URL-safe characters; the server wants 32 or more
ADMIN = "admin"

# What each setting does, in the shop owner's words; nested sections by "section.key".
COMMENTS: dict[str, str] = {
    "host": "Address to listen on. 127.0.0.1 behind a reverse proxy on the same machine.",
    "port": "Port to listen on (the reverse proxy forwards https://your-chat-domain here).",
    "public_url": "How browsers and Zendesk reach this server: https://chat.your-shop.com",
    "allowed_origins": "Sites allowed to embed the chat widget: your shop's address(es).",
    "trusted_proxies": (
        "Addresses of the reverse proxies in front of this server, whose X-Forwarded-For\n"
        "the server believes (rate limits then count customers, not the proxy)."
    ),
    "database_url": (
        "Where conversations are kept. SQLite (a file) for one process; PostgreSQL for\n"
        "backups and several workers: postgresql+asyncpg://chatbot:PASSWORD@127.0.0.1/chatbot"
    ),
    "redis_url": "Only with several server processes (serve --workers N): redis://127.0.0.1:6379/0",
    "data_dir": "Folder for the server's own files (labelled data exports, the SQLite file).",
    "model_dir": "The intent model: `chatbot train --config config.yml` puts one here.",
    "policy_path": "The shop's rules (shipping, returns, hours, wording of facts): edit it.",
    "templates_dir": "Your wording: a file here with a template's path replaces the built-in one.",
    "email_patterns": (
        "Extra mail-client formats for cleaning emails (quoted replies, signatures):\n"
        "YAML files like nlu/cleaning/patterns.yaml (docs/nlu.md, Cleaning); [] for none."
    ),
    "confidence_threshold": "Below this confidence a person takes over; null: the model's own.",
    "model_reload_seconds": "How often to look for a newly promoted model (0: never).",
    "outside_timeout_seconds": "Longest wait for Shopify, Zendesk or a carrier, per request.",
    "identity_secret": (
        "Signs a logged-in customer's identity (the Shopify theme snippet uses the same value).\n"
        "Keep it secret: whoever has it can chat as any customer."
    ),
    "cookie_secret": "Signs agents' console sessions; changing it signs everyone out.",
    "agents": (
        "Who can sign in to the agent console at /agent/.\n"
        "Add people with: chatbot hash-password   (paste the hash as password_hash);\n"
        'display_name is what customers see ("Alex"); they never see the username'
    ),
    "limits": "What one client may do (docs/security.md); 0 turns a limit off. Defaults suit most shops.",
    "limits.connections_per_ip": "Open chat connections from one address",
    "limits.messages_per_minute_per_ip": "Chat messages and session requests from one address",
    "limits.messages_per_minute_per_session": "Chat messages in one conversation",
    "limits.max_message_chars": "Longest chat message",
    "limits.logins_per_minute_per_ip": "Console sign-in attempts from one address",
    "limits.failed_logins_per_minute_per_user": "Failed console sign-ins for one username",
    "limits.proof_failures_per_session": "Failed order proofs (email + number) in one chat",
    "limits.proof_failures_per_ip": "Failed order proofs from one address",
    "limits.proof_failures_per_email": "Failed order proofs claiming one email address",
    "limits.proof_failures_per_order": "Failed order proofs naming one order number",
    "limits.proof_window_minutes": "Failed proofs are forgotten this long after the last",
    "limits.proof_backoff_seconds": "Wait after a failed proof; doubles with each one",
    "limits.session_idle_minutes": "A chat unused this long is not resumed",
    "helpcenter": "Help-center articles the bot answers questions from (docs/helpcenter.md).",
    "helpcenter.source": "zendesk | folder | none; empty: zendesk when Zendesk is used",
    "helpcenter.locale": "The Zendesk Guide locale to read",
    "helpcenter.path": "folder: a folder of Markdown articles",
    "helpcenter.url_base": "folder: links are {url_base}/{file name}",
    "helpcenter.base_url": "zendesk: Guide's own host when host-mapped; empty: zendesk.base_url",
    "helpcenter.threshold": "Answer from an article at this confidence; null: the model's own",
    "helpcenter.refresh_minutes": "How often to read changed articles (0: never)",
    "helpcenter.webhook_secret": "The article webhook's signing secret; empty: zendesk's",
    "shopify": "Shopify Admin API: the custom app's token (docs/going-live.md, step 2).",
    "shopify.base_url": "https://YOUR-SHOP.myshopify.com (empty: demo sandbox)",
    "shopify.access_token": "Admin API access token (shpat_...); demo: the sandbox's",
    "shopify.api_version": "Admin API version this server speaks (2025-04 .. 2026-04)",
    "zendesk": "Zendesk Support: email tickets and chat hand-offs (docs/zendesk.md).",
    "zendesk.base_url": "https://YOUR-SUBDOMAIN.zendesk.com (empty: demo sandbox)",
    "zendesk.email": "The bot's own agent account in Zendesk (demo: the sandbox's)",
    "zendesk.api_token": "Admin Center > Apps and integrations > APIs > Zendesk API > tokens",
    "zendesk.oauth_token": "Instead of email + api_token: an OAuth access token",
    "zendesk.webhook_secret": "The webhook's signing secret (Zendesk shows it on the webhook)",
    "zendesk.webhook_tolerance_seconds": "Refuse webhooks signed longer ago than this",
    "zendesk.bot_user_id": "The bot's Zendesk user id; null: whoever the credentials are",
    "zendesk.escalation_group_id": "Group that receives tickets the bot hands over; null: none",
    "zendesk.workers": "Tickets worked on at once by this process",
    "zendesk.lease_seconds": "A ticket a crashed process held is taken again after this",
    "zendesk.max_replies_per_hour": "Per ticket; beyond it the bot hands the ticket to a person",
    "usps": "USPS APIs (developers.usps.com): an app's Consumer Key and Secret.",
    "fedex": "FedEx Track API (developer.fedex.com): a project's API Key and Secret Key.",
    "ups": "UPS Tracking API (developer.ups.com): an app's Client ID and Client Secret.",
    "dhl": "DHL Shipment Tracking - Unified (developer.dhl.com): the app's API Key.",
    "usps.base_url": "https://apis.usps.com (empty: demo sandbox)",
    "fedex.base_url": "https://apis.fedex.com (empty: demo sandbox)",
    "ups.base_url": "https://onlinetools.ups.com (empty: demo sandbox)",
    "dhl.base_url": "https://api-eu.dhl.com (empty: demo sandbox)",
    "client_id": "OAuth client id (Consumer Key / API Key / Client ID); demo: the sandbox's",
    "client_secret": "OAuth client secret (DHL: the API Key); demo: the sandbox's",
}
# Values a new shop starts from (everything else: the Settings default).
_PRODUCTION_EXAMPLES = {
    "host": "127.0.0.1",
    "public_url": "",
    "allowed_origins": ["https://your-shop.example"],
}


def new_secret() -> str:
    """A fresh random secret, long enough for every secret setting."""
    return secrets.token_urlsafe(SECRET_BYTES)


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


def _scalar(value: Any) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=1000)
    return text.strip().removesuffix("...").strip()


def _comment(text: str, indent: str) -> list[str]:
    return [f"{indent}# {line}" for line in text.splitlines()]


def render_config(values: dict[str, Any]) -> str:
    """The commented YAML of ``values`` (setting name -> value), in the order given."""
    lines = [
        "# chatbot settings: `chatbot serve --config config.yml`, `chatbot check --config config.yml`.",
        "# Every setting is here with what it does. Secrets were made fresh by `chatbot init`:",
        "# keep this file readable by the server's user only (chmod 600).",
    ]
    for key, value in values.items():
        lines.append("")
        lines += _comment(COMMENTS.get(key, key.replace("_", " ")), "")
        if isinstance(value, dict):
            lines.append(f"{key}:")
            for sub, subvalue in value.items():
                note = COMMENTS.get(f"{key}.{sub}") or COMMENTS.get(sub)
                line = f"  {sub}: {_scalar(subvalue)}"
                lines.append(f"{line}  # {note}" if note else line)
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            lines.append(f"{key}:")
            for item in value:
                first = True
                for sub, subvalue in item.items():
                    lines.append(f"  {'- ' if first else '  '}{sub}: {_scalar(subvalue)}")
                    first = False
        else:
            lines.append(f"{key}: {_scalar(value)}")
    return "\n".join(lines) + "\n"


def _config_values(folder: Path, admin_hash: str) -> dict[str, Any]:
    from chatserver.settings import AgentUser, Settings

    data = folder / "var"
    defaults = Settings()
    values: dict[str, Any] = {}
    for f in dataclasses.fields(Settings):
        values[f.name] = _plain(getattr(defaults, f.name))
    values.update(_PRODUCTION_EXAMPLES)
    values.update(
        database_url=f"sqlite+aiosqlite:///{data / 'chatbot.sqlite3'}",
        data_dir=str(data),
        model_dir=str(data / "models"),
        policy_path=str(folder / "policy.yml"),
        templates_dir=str(folder / "templates"),
        identity_secret=new_secret(),
        cookie_secret=new_secret(),
        agents=[_plain(AgentUser(ADMIN, admin_hash))],
    )
    # The credentials stay the sandboxes' ("demo") until a base_url is set: the server
    # runs in demo mode meanwhile, and `chatbot check` names each one still to fill in.
    values["zendesk"]["webhook_secret"] = new_secret()
    return values


def write_shop_folder(folder: Path, *, force: bool = False) -> tuple[Path, str]:
    """Write ``config.yml``, ``policy.yml`` and ``templates/`` into ``folder``.

    Returns the config's path and the console password of the first agent (``admin``).

    Raises:
        FileExistsError: ``config.yml`` exists and ``force`` is not set.
    """
    from chatserver.policy import DEFAULT_POLICY_PATH
    from chatserver.web.auth import hash_password

    folder = folder.resolve()
    config = folder / "config.yml"
    if config.exists() and not force:
        raise FileExistsError(config)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "templates").mkdir(exist_ok=True)
    (folder / "var").mkdir(exist_ok=True)
    policy = folder / "policy.yml"
    if not policy.exists() or force:
        shutil.copyfile(DEFAULT_POLICY_PATH, policy)
    password = secrets.token_urlsafe(12)
    config.write_text(render_config(_config_values(folder, hash_password(password))))
    config.chmod(0o600)
    return config, password


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "init", help="start a shop's folder: config with fresh secrets, policy, templates"
    )
    p.add_argument("dir", nargs="?", default=".", help="the folder (default: this one)")
    p.add_argument("--force", action="store_true", help="overwrite an existing config.yml")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    folder = Path(args.dir)
    try:
        config, password = write_shop_folder(folder, force=args.force)
    except FileExistsError as exc:
        print(f"{exc} exists: nothing written (--force overwrites it)")
        return 1
    print(f"Wrote {config}, {config.parent / 'policy.yml'} and {config.parent / 'templates'}/")
    print(f"Console sign-in: {ADMIN} / {password}   (shown once; it is stored only as a hash)")
    print("Next:")
    print(f"  chatbot train --config {config}      # the intent model, a few minutes")
    print(f"  chatbot check --config {config}      # what is still missing before going live")
    print(f"  chatbot serve --config {config}")
    print("Step by step: docs/going-live.md")
    return 0
