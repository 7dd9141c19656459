"""A conversation rig for tests: the real service, storage and clients over the sandboxes.

``World`` wires ``ConversationService`` to a store (in-memory SQLite unless the test
passes its ``database_url``), the Shopify and carrier
simulators (through ``transport(sim)``, no sockets), the default policy and templates,
a fixed clock, and a small deterministic classifier, so every test reads as a chat:

    chat = await world.chat()
    assert "USPS" in await chat.say("where is my order")
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from chatserver.outside import CarrierTracker
from chatserver.policy import Policy, load_policy
from chatserver.replies import Renderer
from chatserver.runner import Runner
from chatserver.service import ConversationService, InboundMessage, TurnResult
from chatserver.storage import SqlStorage, StoredMessage
from integrations.carriers import CarrierRegistry
from integrations.carriers.dhl import DhlClient
from integrations.carriers.fedex import FedexClient
from integrations.carriers.ups import UpsClient
from integrations.carriers.usps import UspsClient
from integrations.http import RetryPolicy
from integrations.sandbox.app import Sandboxes, build_sandboxes
from integrations.sandbox.base import transport
from nlu.entities import extract

__all__ = ["NOW", "Chat", "KeywordClassifier", "World"]

# A Wednesday, 10:00 in New York: inside business hours.
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


@dataclass(frozen=True)
class FakeEntity:
    type: str
    value: str


@dataclass(frozen=True)
class FakeParse:
    text: str
    intent: str | None
    confidence: float
    escalate: bool
    ranking: tuple[tuple[str, float], ...]
    entities: tuple[FakeEntity, ...]


# First matching pattern wins; anything else is a low-confidence guess.
RULES: Sequence[tuple[str, str]] = (
    (r"never got|didn't get|not received|missing", "missing_item"),
    (r"broken|damaged|cracked", "damaged_item"),
    (r"refund", "refund_status"),
    (r"return", "return_item"),
    (r"cancel .*subscription|stop .*subscription", "cancel_subscription"),
    (r"cancel (my|the|order)", "cancel_order"),
    (r"address", "change_address"),
    (r"shipped|where is|track|arrive", "track_order"),
    (r"ship to|shipping cost|deliver to", "shipping_info"),
    (r"charged twice|card", "payment_issue"),
    (r"invoice", "invoice"),
    (r"password|log ?in", "account_help"),
    (r"person|human|agent", "human_agent"),
    (r"terrible|unacceptable", "complaint"),
    (r"^(hi|hello|hey)\b", "greeting"),
    (r"^(thanks|thank you)", "thanks"),
    (r"^(bye|goodbye)", "goodbye"),
)


class KeywordClassifier:
    """Deterministic stand-in for ``nlu.engine.NLU``: keyword rules, real entity rules."""

    def __init__(self, rules: Sequence[tuple[str, str]] = RULES) -> None:
        self.rules = [(re.compile(p, re.IGNORECASE), i) for p, i in rules]

    def parse(self, text: str, channel: str = "chat") -> FakeParse:
        entities = tuple(FakeEntity(e.type, e.value) for e in extract(text))
        for pattern, intent in self.rules:
            if pattern.search(text):
                return FakeParse(text, intent, 0.9, False, ((intent, 0.9),), entities)
        return FakeParse(text, None, 0.2, True, (("out_of_scope", 0.2),), entities)


async def _no_sleep(_: float) -> None:
    return None


@dataclass
class Chat:
    world: World
    session_id: str
    channel: str = "chat"
    identity: dict[str, Any] | None = None
    identity_email: str | None = None
    results: list[TurnResult] = field(default_factory=list)

    @property
    def last(self) -> TurnResult:
        return self.results[-1]

    async def send(self, text: str) -> TurnResult:
        result = await self.world.service.handle(
            InboundMessage(
                session_id=self.session_id,
                text=text,
                channel=self.channel,
                identity=self.identity,
                identity_email=self.identity_email,
            )
        )
        self.results.append(result)
        return result

    async def say(self, text: str) -> str:
        """Send one message; the bot's replies joined by blank lines."""
        result = await self.send(text)
        return "\n\n".join(r.text for r in result.replies)

    @property
    def buttons(self) -> list[tuple[str, str]]:
        replies: list[StoredMessage] = self.last.replies
        return [(q.title, q.payload) for r in replies for q in r.quick_replies]


class World:
    """Everything a conversation needs, built fresh per test; ``aclose`` releases it."""

    def __init__(
        self,
        *,
        now: datetime = NOW,
        policy: Policy | None = None,
        classifier: Any = None,
        database_url: str = "sqlite+aiosqlite://",
    ) -> None:
        self.now = now
        self.policy = policy or load_policy()
        self.sandboxes: Sandboxes = build_sandboxes(now=now)
        sims = self.sandboxes.by_name()
        self.http = httpx.AsyncClient(
            mounts={f"http://{name}.test": transport(sim) for name, sim in sims.items()}
        )
        opts: dict[str, Any] = {"sleep": _no_sleep, "retry": RetryPolicy(attempts=2)}
        from integrations.shopify import ShopifyClient

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
        self.service = ConversationService(
            self.storage,
            classifier or KeywordClassifier(),
            Runner(shop, CarrierTracker(carriers), timeout=5.0),
            self.policy,
            Renderer(self.policy),
            identity_secret="shop-secret",
            clock=lambda: self.now,
        )

    async def start(self) -> World:
        await self.storage.start()
        return self

    async def aclose(self) -> None:
        await self.storage.aclose()
        await self.http.aclose()
        await self.sandboxes.aclose()

    async def chat(self, channel: str = "chat", **identity: Any) -> Chat:
        session = await self.service.open_session(channel)
        return Chat(self, session.id, channel, **identity)
