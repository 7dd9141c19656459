"""The outside APIs' clients, built from settings: one per API on one shared httpx client.

In demo mode the base URLs point at this server's own ``/sandbox/<api>`` mounts, so the
demo runs the production code path over real HTTP; offline runs point them at the
simulators in the same process (``chatserver.learning.sandboxed``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import httpx

from chatserver.settings import Settings
from integrations.carriers import CarrierRegistry, build_carriers, resolve
from integrations.http import Observer
from integrations.models import Tracking
from integrations.shopify import ShopifyClient
from integrations.zendesk import ZendeskClient

__all__ = ["CarrierTracker", "Clients", "build_clients"]

log = logging.getLogger(__name__)


class CarrierTracker:
    """Picks the carrier for a number (the Shopify company wins when consistent) and
    asks it through the cached registry; None when no carrier can be told."""

    def __init__(self, registry: CarrierRegistry) -> None:
        self.registry = registry

    async def track(self, number: str, company: str | None) -> Tracking | None:
        carrier = resolve(number, company)
        if carrier is None or carrier not in self.registry:
            return None
        return await self.registry.track(carrier, number)


@dataclass(frozen=True)
class Clients:
    """One client per outside API; ``tracker`` asks whichever carrier fits a number."""

    shopify: ShopifyClient
    zendesk: ZendeskClient
    carriers: CarrierRegistry
    tracker: CarrierTracker


def build_clients(
    settings: Settings,
    http: httpx.AsyncClient,
    *,
    observer: Observer | None = None,
    carrier_cache_seconds: float = 60.0,
    **options: Any,
) -> Clients:
    """Every client, configured from ``settings`` and sharing ``http``.

    ``options`` go to every client (``sleep`` and ``retry`` for offline runs, say).
    """
    opts: dict[str, Any] = {"timeout": float(settings.outside_timeout_seconds), **options}
    if observer is not None:
        opts["observer"] = observer
    url = settings.api_base_url
    shop = settings.shopify
    shopify = ShopifyClient(
        http,
        base_url=url("shopify"),
        access_token=shop.access_token,
        api_version=shop.api_version,
        **opts,
    )
    zd = settings.zendesk
    zendesk = ZendeskClient(
        http,
        base_url=url("zendesk"),
        email=zd.email,
        api_token=zd.api_token or None,
        oauth_token=zd.oauth_token or None,
        # a ticket's comments page repeats each comment three times (body, html, plain):
        # a long email thread legitimately runs past the default cap
        max_body_bytes=32 * 1024 * 1024,
        **opts,
    )
    carriers = build_carriers(http, settings, ttl=carrier_cache_seconds, **opts)
    return Clients(shopify, zendesk, carriers, CarrierTracker(carriers))
