"""A conversation rig for tests: the real service, storage and clients over the sandboxes.

``World`` is ``chatserver.learning.sandboxed.SandboxedService`` (the service built by
``build_service``, on a store, in-memory SQLite unless the test passes its
``database_url``, the outside APIs' simulators through ``transport(sim)``, no sockets,
the default policy and templates, a fixed clock, the demo help center read from the
Guide sandbox once per test process and shared) with a small deterministic classifier,
so every test reads as a chat:

    chat = await world.chat()
    assert "USPS" in await chat.say("where is my order")
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chatserver.helpcenter import Answerer, HelpCenter
from chatserver.learning.sandboxed import NOW, SandboxedService
from chatserver.policy import Policy
from chatserver.service import InboundMessage, TurnResult
from chatserver.storage import StoredMessage
from nlu.engine import Parse
from nlu.entities import extract

__all__ = ["NOW", "Chat", "KeywordClassifier", "World"]


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
    """Deterministic stand-in for ``nlu.engine.NLU``: keyword rules, real entity rules.

    A message no rule matches escalates with no intent at all (the real model would name
    a low-confidence guess), so the tests never depend on what that guess is."""

    version = "keywords"

    def __init__(self, rules: Sequence[tuple[str, str]] = RULES) -> None:
        self.rules = [(re.compile(p, re.IGNORECASE), i) for p, i in rules]
        self.intents = tuple(sorted({i for _, i in rules} | {"out_of_scope"}))

    def parse(self, text: str, channel: str = "chat", expecting: str | None = None) -> Parse:
        entities = tuple(extract(text))
        for pattern, intent in self.rules:
            if pattern.search(text):
                return self._parse(text, intent, 0.9, entities)
        return self._parse(text, None, 0.2, entities)

    def _parse(self, text: str, intent: str | None, confidence: float, entities: Any) -> Parse:
        return Parse(
            text=text,
            cleaned=text,
            intent=intent,  # type: ignore[arg-type]
            confidence=confidence,
            escalate=intent is None,
            ranking=((intent or "out_of_scope", confidence),),
            entities=entities,
            model_version=self.version,
            reason=None,
        )


@dataclass
class Chat:
    world: World
    session_id: str
    channel: str = "chat"
    identity: dict[str, Any] | None = None
    identity_email: str | None = None
    customer_name: str | None = None
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
                customer_name=self.customer_name,
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


# The demo help center as the first World read it: read-only afterwards, so shared.
_DEMO_ARTICLES: list[Answerer] = []


class World(SandboxedService):
    """Everything a conversation needs, built fresh per test; ``aclose`` releases it.

    ``helpcenter``: None shares the demo help center; True reads it afresh (a test that
    changes articles); False answers nothing from articles."""

    def __init__(
        self,
        *,
        now: datetime = NOW,
        policy: Policy | None = None,
        classifier: Any = None,
        database_url: str = "sqlite+aiosqlite://",
        helpcenter: HelpCenter | bool | None = None,
        **options: Any,
    ) -> None:
        if helpcenter is None:
            helpcenter = HelpCenter(_DEMO_ARTICLES[0]) if _DEMO_ARTICLES else True
            self._share = True
        else:
            self._share = False
        super().__init__(
            classifier or KeywordClassifier(),
            now=now,
            policy=policy,
            database_url=database_url,
            helpcenter=helpcenter,
            **options,
        )

    async def start(self) -> World:
        await super().start()
        if self._share and not _DEMO_ARTICLES and self.helpcenter.current is not None:
            _DEMO_ARTICLES.append(self.helpcenter.current)
        return self

    async def chat(self, channel: str = "chat", **identity: Any) -> Chat:
        session = await self.service.open_session(channel)
        return Chat(self, session.id, channel, **identity)
