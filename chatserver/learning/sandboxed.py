"""The conversation service in this process, over the API sandboxes: no sockets, no network.

``SandboxedService`` builds the service with ``chatserver.build.build_service`` from the
shop's settings (its policy, templates and identity secret), with every outside API
pointed at its simulator in this process (``integrations.sandbox.base.transport``), a
store (in-memory SQLite unless a ``database_url`` is given) and a clock that reads
``world.now``. ``chatbot replay`` runs past conversations through it; the core's test
harness (``tests/chatserver/harness.py``) builds on it::

    world = await SandboxedService(nlu, settings=settings).start()
    try:
        result = await world.service.handle(InboundMessage(session.id, "where is #1001"))
    finally:
        await world.aclose()

Agents are always available here (``chatserver.runner.AlwaysStaffed``): a hand-off stays
in the conversation, as the replayed conversations had a person to go to. The help
center is the Guide sandbox's (``http://helpcenter.test``), read once at ``start``, unless
the shop's settings name a folder or none.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Self

import httpx

from chatserver.build import Clients, build_article_source, build_clients, build_service
from chatserver.helpcenter import HelpCenter
from chatserver.ops.helpcenter import HelpCenterSync
from chatserver.policy import Policy
from chatserver.runner import Attempts, Staff
from chatserver.service import Classifier, ConversationService
from chatserver.settings import CarrierSettings, Settings, ShopifySettings, ZendeskSettings
from chatserver.storage import SqlStorage
from chatserver.storage.locks import SessionLocks
from integrations.http import RetryPolicy
from integrations.sandbox.app import Sandboxes, build_sandboxes
from integrations.sandbox.base import transport

__all__ = ["NOW", "SandboxedService", "sandbox_settings"]

# A Wednesday, 10:00 in New York: inside business hours.
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
TEST_SECRET = "shop-secret"  # signs identities when no settings are given


async def _no_sleep(_: float) -> None:
    return None


def sandbox_settings(settings: Settings, database_url: str) -> Settings:
    """The shop's settings with every outside API at its simulator (``http://<api>.test``)."""
    carrier = {name: CarrierSettings(base_url=f"http://{name}.test") for name in ("usps", "fedex", "ups", "dhl")}  # fmt: skip
    return replace(
        settings,
        database_url=database_url,
        redis_url="",
        shopify=ShopifySettings(base_url="http://shopify.test"),
        zendesk=ZendeskSettings(base_url="http://zendesk.test"),
        helpcenter=replace(settings.helpcenter, base_url="http://helpcenter.test"),
        **carrier,
    )


class SandboxedService:
    """The service and everything it needs, in this process; ``aclose`` releases it.

    Args:
        classifier: the intent model (``nlu.engine.NLU`` or a stand-in).
        settings: the shop's settings (policy, templates, identity secret); default: the
            shipped ones, with identities signed by ``TEST_SECRET``.
        now: the clock's time; change ``world.now`` to move it.
        policy: an already loaded policy instead of the settings' file (tests).
        database_url: the store (default: a fresh in-memory SQLite database).
        collect: keep the prediction log (``chatserver.learning.collector``).
        staff: who is online (default: always someone: hand-offs stay in the chat).
        attempts: the proof-attempt limits across sessions (default: none).
        locks: the turn locks (default: this process's); the caller closes them.
        helpcenter: True: read the help center (the settings' source) at ``start``;
            False: answer nothing from articles; or answers already loaded (tests share
            one: reading and indexing takes a few tenths of a second).
    """

    def __init__(
        self,
        classifier: Classifier,
        *,
        settings: Settings | None = None,
        now: datetime = NOW,
        policy: Policy | None = None,
        database_url: str = "sqlite+aiosqlite://",
        collect: bool = True,
        staff: Staff | None = None,
        attempts: Attempts | None = None,
        locks: SessionLocks | None = None,
        helpcenter: HelpCenter | bool = True,
    ) -> None:
        self.classifier = classifier
        self.now = now
        self.settings = sandbox_settings(
            settings or Settings(identity_secret=TEST_SECRET), database_url
        )
        self.policy = policy
        self.collect = collect
        self.staff = staff
        self.attempts = attempts
        self.locks = locks
        self.sandboxes: Sandboxes = build_sandboxes(now=now)
        sims = self.sandboxes.by_name()
        self.http = httpx.AsyncClient(
            mounts={f"http://{name}.test": transport(sim) for name, sim in sims.items()}
        )
        self.storage = SqlStorage(self.settings.database_url)
        self.helpcenter = helpcenter if isinstance(helpcenter, HelpCenter) else HelpCenter()
        self.articles: HelpCenterSync | None = None  # the sync that read them, if this did
        self._read_articles = helpcenter is True
        self._service: ConversationService | None = None

    def clients(self) -> Clients:
        """The outside clients over the simulators: quick retries, no waiting."""
        return build_clients(
            self.settings, self.http, sleep=_no_sleep, retry=RetryPolicy(attempts=2)
        )

    async def start(self) -> Self:
        await self.storage.start()
        source = build_article_source(
            self.settings, self.http, sleep=_no_sleep, retry=RetryPolicy(attempts=2)
        )
        if self._read_articles and source is not None:
            threshold = self.settings.helpcenter.threshold
            self.articles = HelpCenterSync(source, self.helpcenter, threshold=threshold)
            await self.articles.load()
        self._service = build_service(
            self.settings,
            storage=self.storage,
            classifier=self.classifier,
            clients=self.clients(),
            staff=self.staff,
            attempts=self.attempts,
            locks=self.locks,
            clock=lambda: self.now,
            policy=self.policy,
            collect=self.collect,
            effect_timeout=5.0,
            helpcenter=self.helpcenter,
        )
        return self

    @property
    def service(self) -> ConversationService:
        if self._service is None:
            raise RuntimeError("start() the SandboxedService first")
        return self._service

    async def aclose(self) -> None:
        await self.storage.aclose()
        await self.http.aclose()
        await self.sandboxes.aclose()
