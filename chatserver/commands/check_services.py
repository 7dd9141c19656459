"""The outside services of ``chatbot check``: one harmless read each, through the server's
own clients (:class:`chatserver.build.Clients`).

- Shopify: the shop the token opens and the access scopes granted to it, against those
  the bot needs (:data:`integrations.shopify_queries.REQUIRED_SCOPES`);
- Zendesk: ``users/me`` (the bot's agent) and, when set, the escalation group;
- USPS, FedEx, UPS: an OAuth token from the client-credentials grant;
- DHL: one tracking request with the API key (an unknown number is a fine answer).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from chatserver.commands.check import Item, missing_line, ok_line, warning_line
from integrations.carriers import CARRIERS
from integrations.shopify_queries import OPTIONAL_SCOPES, REQUIRED_SCOPES, granted

__all__ = ["CARRIER_PORTALS", "SHOPIFY_SCOPES_FIX", "service_checks"]

Check = tuple[str, Callable[[], Awaitable[Item]], str]

SHOPIFY_SCOPES_FIX = (
    "Shopify admin > Settings > Apps and sales channels > Develop apps > your app > "
    "Configuration > Admin API access scopes: tick {scopes}; save, reinstall the app and "
    "put the new Admin API access token in shopify.access_token"
)
CARRIER_PORTALS = {
    "usps": "developers.usps.com: an app's Consumer Key and Consumer Secret",
    "fedex": "developer.fedex.com: the project's API Key and Secret Key (Track API)",
    "ups": "developer.ups.com: the app's Client ID and Client Secret (Tracking product)",
    "dhl": "developer.dhl.com: the app's API Key for Shipment Tracking - Unified",
}
DHL_PROBE_NUMBER = "00340434161094042557"  # any number: a key that works gets an answer


def _not_configured(name: str, fix: str, *, needed: bool) -> Check:
    async def read() -> Item:
        detail = "not configured (no base_url)"
        if needed:
            return missing_line(name, detail, fix)
        return warning_line(
            name, detail + f": parcels shipped with {name.upper()} go to a person", fix
        )

    return name, read, fix


def _shopify(clients: Any) -> Check:
    async def read() -> Item:
        access = await clients.shopify.access()
        shop = f"{access.name} ({access.domain})"
        lacking = [s for s in REQUIRED_SCOPES if not granted(s, access.scopes)]
        if lacking:
            return missing_line(
                "shopify",
                f"{shop}: the token lacks {', '.join(lacking)}",
                SHOPIFY_SCOPES_FIX.format(scopes=", ".join(lacking)),
            )
        optional = [s for s in OPTIONAL_SCOPES if not granted(s, access.scopes)]
        if optional:
            why = "; ".join(f"{s}: {OPTIONAL_SCOPES[s]}" for s in optional)
            return warning_line(
                "shopify",
                f"{shop}: needed scopes granted; without {why}",
                SHOPIFY_SCOPES_FIX.format(scopes=", ".join(optional)),
            )
        return ok_line("shopify", f"{shop}: every scope the bot uses is granted")

    fix = "shopify.access_token: the custom app's Admin API access token (shpat_...)"
    return "shopify", read, fix


def _zendesk(settings: Any, clients: Any) -> Check:
    async def read() -> Item:
        me = await clients.zendesk.me()
        if me.role not in ("agent", "admin"):
            return missing_line(
                "zendesk",
                f"the credentials belong to {me.name}, a {me.role}: the bot needs an agent",
                "use an agent's email with an API token (docs/zendesk.md)",
            )
        detail = f"signed in as {me.name} ({me.role})"
        group = settings.zendesk.escalation_group_id
        if group is not None and group not in (await clients.zendesk.group_ids()).values():
            return missing_line(
                "zendesk",
                f"{detail}; no group has id {group}",
                "zendesk.escalation_group_id: a group id from Admin Center > People > Groups",
            )
        return ok_line("zendesk", detail + (f"; escalation group {group}" if group else ""))

    fix = "zendesk.email and zendesk.api_token (Admin Center > Apps and integrations > APIs)"
    return "zendesk", read, fix


def _carrier(name: str, clients: Any) -> Check:
    client = clients.carriers.get(name)

    async def read() -> Item:
        auth = getattr(client, "auth", None)
        if auth is not None and hasattr(auth, "token"):
            await auth.token()
            return ok_line(name, "OAuth token granted")
        await client.track(DHL_PROBE_NUMBER)
        return ok_line(name, "API key accepted")

    return name, read, f"{name}.client_id / client_secret from {CARRIER_PORTALS[name]}"


def service_checks(settings: Any, clients: Any) -> list[Check]:
    """One read per outside service the config names (a line saying so for the others)."""
    checks: list[Check] = []
    if settings.shopify.base_url:
        checks.append(_shopify(clients))
    else:
        fix = "shopify.base_url (https://YOUR-SHOP.myshopify.com) and access_token"
        checks.append(_not_configured("shopify", fix, needed=True))
    if settings.zendesk.base_url:
        checks.append(_zendesk(settings, clients))
    else:
        fix = "zendesk.base_url, email and api_token (docs/zendesk.md)"
        checks.append(_not_configured("zendesk", fix, needed=True))
    for name in CARRIERS:
        if getattr(settings, name).base_url:
            checks.append(_carrier(name, clients))
        else:
            fix = f"{name}.base_url and credentials from {CARRIER_PORTALS[name]}"
            checks.append(_not_configured(name, fix, needed=False))
    return checks
