"""The conversation service in-process, over the sandboxes: no sockets, no outside world.

``OfflineWorld`` wires ``ConversationService`` to a store (in-memory SQLite unless a
``database_url`` is given), the Shopify and carrier simulators (through
``integrations.sandbox.base.transport``), a policy, the templates and a clock that reads
``world.now``. ``chatbot replay`` runs past conversations through it; the core's test
harness (``tests/chatserver/harness.py``) builds on it::

    world = await OfflineWorld(classifier=nlu).start()
    try:
        result = await world.service.handle(InboundMessage(session.id, "where is #1001"))
    finally:
        await world.aclose()
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from chatserver.clients import CarrierTracker
from chatserver.learning.collector import Collector
from chatserver.policy import Policy, load_policy
from chatserver.replies import Renderer
from chatserver.runner import Runner
from chatserver.service import Classifier, ConversationService
from chatserver.storage import SqlStorage
from integrations.carriers import CarrierRegistry
from integrations.carriers.dhl import DhlClient
from integrations.carriers.fedex import FedexClient
from integrations.carriers.ups import UpsClient
from integrations.carriers.usps import UspsClient
from integrations.http import RetryPolicy
from integrations.sandbox.app import Sandboxes, build_sandboxes
from integrations.sandbox.base import transport
from integrations.shopify import ShopifyClient

__all__ = ["NOW", "OfflineWorld"]

# A Wednesday, 10:00 in New York: inside business hours.
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


async def _no_sleep(_: float) -> None:
    return None


class OfflineWorld:
    """Everything a conversation needs, in this process; ``aclose`` releases it.

    Args:
        classifier: the intent model (``nlu.engine.NLU`` or a stand-in).
        now: the clock's time; change ``world.now`` to move it.
        policy: the shop's policy (default: the shipped ``policy.yml``).
        database_url: the store (default: a fresh in-memory SQLite database).
        collect: log every prediction and mark sessions resolved when they close
            (``chatserver.learning.collector``); every turn's prediction row is stored
            either way.
    """

    def __init__(
        self,
        classifier: Classifier,
        *,
        now: datetime = NOW,
        policy: Policy | None = None,
        database_url: str = "sqlite+aiosqlite://",
        identity_secret: str = "shop-secret",
        collect: bool = True,
    ) -> None:
        self.now = now
        self.policy = policy or load_policy()
        self.sandboxes: Sandboxes = build_sandboxes(now=now)
        sims = self.sandboxes.by_name()
        self.http = httpx.AsyncClient(
            mounts={f"http://{name}.test": transport(sim) for name, sim in sims.items()}
        )
        opts: dict[str, Any] = {"sleep": _no_sleep, "retry": RetryPolicy(attempts=2)}
        shop = ShopifyClient(self.http, base_url="http://shopify.test", access_token="demo", **opts)
        carriers = CarrierRegistry(
            {
                "usps": UspsClient(self.http, base_url="http://usps.test", client_id="demo", client_secret="demo", **opts),
                "fedex": FedexClient(self.http, base_url="http://fedex.test", client_id="demo", client_secret="demo", **opts),
                "ups": UpsClient(self.http, base_url="http://ups.test", client_id="demo", client_secret="demo", **opts),
                "dhl": DhlClient(self.http, base_url="http://dhl.test", api_key="demo", **opts),
            }
        )  # fmt: skip
        self.storage = SqlStorage(database_url)
        self.collect = collect
        self.service = ConversationService(
            self.storage,
            classifier,
            Runner(shop, CarrierTracker(carriers), timeout=5.0),
            self.policy,
            Renderer(self.policy),
            identity_secret=identity_secret,
            clock=lambda: self.now,
        )

    async def start(self) -> OfflineWorld:
        await self.storage.start()
        if self.collect:
            self.service.collector = Collector(self.storage.predictions)
        return self

    async def aclose(self) -> None:
        await self.storage.aclose()
        await self.http.aclose()
        await self.sandboxes.aclose()
