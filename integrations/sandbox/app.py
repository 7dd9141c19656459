"""All the sandboxes together: built from one demo shop, served under ``/sandbox/<api>``;
the Zendesk Guide help center is also served under the Zendesk sandbox's prefix, as
Guide shares Support's subdomain (``/sandbox/helpcenter`` is the same simulator, for a
Guide on a host of its own, as a host-mapped help center has).

The demo server mounts them in its own application; ``chatbot sandbox`` serves them
alone. Either way they are reached over real HTTP by the production clients.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import httpx
from aiohttp import web

from integrations.sandbox.base import Simulator, mount
from integrations.sandbox.demo import DemoShop, build_demo_shop
from integrations.sandbox.dhl import DhlSimulator
from integrations.sandbox.fedex import FedexSimulator
from integrations.sandbox.helpcenter import HelpCenterSimulator
from integrations.sandbox.shopify import ShopifySimulator
from integrations.sandbox.ups import UpsSimulator
from integrations.sandbox.usps import UspsSimulator
from integrations.sandbox.zendesk import ZendeskSimulator

__all__ = [
    "PREFIX",
    "Sandboxes",
    "build_sandboxes",
    "create_sandbox_app",
    "first_ticket_id",
    "mount_sandboxes",
]

PREFIX = "/sandbox"


@dataclass
class Sandboxes:
    shop: DemoShop
    shopify: ShopifySimulator
    zendesk: ZendeskSimulator
    usps: UspsSimulator
    fedex: FedexSimulator
    ups: UpsSimulator
    dhl: DhlSimulator
    helpcenter: HelpCenterSimulator = field(default_factory=HelpCenterSimulator)

    def by_name(self) -> dict[str, Simulator]:
        return {
            "shopify": self.shopify,
            "zendesk": self.zendesk,
            "usps": self.usps,
            "fedex": self.fedex,
            "ups": self.ups,
            "dhl": self.dhl,
            "helpcenter": self.helpcenter,
        }

    async def aclose(self) -> None:
        await self.zendesk.aclose()
        await self.helpcenter.aclose()


def build_sandboxes(
    *,
    now: datetime | None = None,
    webhook_url: str | None = None,
    webhook_secret: str = "demo",
    public_url: str | None = None,
    http: httpx.AsyncClient | None = None,
    article_webhook_url: str | None = None,
    article_webhook_secret: str | None = None,
) -> Sandboxes:
    """Every sandbox, seeded from one demo shop.

    Args:
        webhook_url: where the Zendesk sandbox delivers its trigger webhooks.
        article_webhook_url: where the help center delivers its article events
            (``zen:event-type:article.published`` / ``unpublished``), signed with
            ``article_webhook_secret`` (default: ``webhook_secret``).
        public_url: this server's address, for links the Zendesk sandbox writes.
        http: client for webhook delivery (the sandbox makes its own if None).
    """
    shop = build_demo_shop(now)
    zendesk_url = f"{public_url.rstrip('/')}{PREFIX}/zendesk" if public_url else None
    return Sandboxes(
        shop=shop,
        shopify=ShopifySimulator(shop),
        zendesk=ZendeskSimulator(
            webhook_url=webhook_url,
            webhook_secret=webhook_secret,
            http=http,
            base_url=zendesk_url,
            # Fresh ticket numbers each run: the server's store outlives the sandbox.
            first_ticket_id=first_ticket_id(shop.now),
        ),
        usps=UspsSimulator(shop),
        fedex=FedexSimulator(shop),
        ups=UpsSimulator(shop),
        dhl=DhlSimulator(shop),
        helpcenter=HelpCenterSimulator(
            base_url=zendesk_url,
            webhook_url=article_webhook_url,
            webhook_secret=article_webhook_secret or webhook_secret,
            http=http,
        ),
    )


def first_ticket_id(now: datetime) -> int:
    """A ticket number no earlier run of the demo has used (grows with the clock)."""
    return 35001 + max(0, int(now.timestamp()) - 1_700_000_000)


def mount_sandboxes(app: web.Application, sandboxes: Sandboxes) -> None:
    guide = ("/api/v2/help_center", "/hc")  # Guide's API and pages, on Zendesk's host
    mount(app, f"{PREFIX}/zendesk", sandboxes.helpcenter, under=guide)
    for name, sim in sandboxes.by_name().items():
        mount(app, f"{PREFIX}/{name}", sim)


def create_sandbox_app(sandboxes: Sandboxes | None = None) -> web.Application:
    """An application serving only the sandboxes (``chatbot sandbox``)."""
    app = web.Application(client_max_size=4 * 1024 * 1024)
    boxes = sandboxes or build_sandboxes()
    mount_sandboxes(app, boxes)

    async def close(_: web.Application) -> None:
        await boxes.aclose()

    app.on_cleanup.append(close)
    return app
