"""The one place the conversation service and its outside clients are wired, from settings.

``build_clients`` makes one client per outside API on one shared httpx client (in demo
mode the base URLs point at this server's own ``/sandbox/<api>`` mounts, so the demo
runs the production code path over real HTTP; offline runs point them at the
simulators in the same process). ``build_service`` wires the service on them: the
shop's policy (``policy_path``) and templates (``templates_dir``), its identity secret
and session expiry, the presence of agents and the Zendesk desk for chat hand-offs, the
proof-attempt limits, the prediction log and the metrics, the help-center answers
(``build_article_source`` is where their articles come from). The server
(``chatserver.app``), ``chatbot replay`` and the offline tools
(``chatserver.learning.sandboxed``) all call them, so they run the same service. Each
part is handed in or built here, once; nothing is reassigned afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from chatserver.channels.handoff import HandOffTickets
from chatserver.channels.status_mail import StatusMail
from chatserver.helpcenter import HelpCenter
from chatserver.learning.collector import Collector
from chatserver.ops.metrics import Metrics
from chatserver.policy import Policy, load_policy
from chatserver.replies import Renderer
from chatserver.runner import Attempts, Runner, Staff
from chatserver.service import Classifier, ConversationService, ModelHolder
from chatserver.settings import Settings
from chatserver.storage import SqlStorage
from chatserver.storage.locks import SessionLocks
from integrations.articles import ArticleSource
from integrations.articles_folder import ArticleFolder
from integrations.carriers import (
    CARRIERS,
    CarrierAccount,
    CarrierRegistry,
    build_carriers,
    resolve,
)
from integrations.helpcenter import HelpCenterClient
from integrations.http import Observer
from integrations.models import Tracking
from integrations.shopify import ShopifyClient
from integrations.zendesk import ZendeskClient

__all__ = ["CarrierTracker", "Clients", "build_article_source", "build_clients", "build_service"]


def _utc_now() -> datetime:
    return datetime.now(UTC)


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
    accounts = {}
    for name in CARRIERS:
        conf = getattr(settings, name)
        accounts[name] = CarrierAccount(url(name), conf.client_id, conf.client_secret)
    carriers = build_carriers(http, accounts, ttl=carrier_cache_seconds, **opts)
    return Clients(shopify, zendesk, carriers, CarrierTracker(carriers))


def build_article_source(
    settings: Settings, http: httpx.AsyncClient, **options: Any
) -> ArticleSource | None:
    """Where the help-center articles come from (``settings.helpcenter``): Zendesk Guide on
    the ``zendesk:`` credentials (the sandbox's in demo mode), a folder, or None.

    ``options`` go to the Guide client (``observer``, ``sleep``, ``retry``...).
    """
    hc = settings.helpcenter
    source = hc.resolved_source(settings.demo or bool(settings.zendesk.base_url))
    if source == "folder" and hc.path is not None:
        return ArticleFolder(hc.path, base_url=hc.url_base or None, locale=hc.locale)
    if source != "zendesk":
        return None
    zd = settings.zendesk
    opts: dict[str, Any] = {"timeout": float(settings.outside_timeout_seconds), **options}
    return HelpCenterClient(
        http,
        base_url=hc.base_url.rstrip("/") or settings.api_base_url("zendesk"),
        email=zd.email,
        api_token=zd.api_token or None,
        oauth_token=zd.oauth_token or None,
        locale=hc.locale,
        **opts,
    )


def build_service(
    settings: Settings,
    *,
    storage: SqlStorage,
    classifier: Classifier | ModelHolder,
    clients: Clients,
    staff: Staff | None = None,
    attempts: Attempts | None = None,
    locks: SessionLocks | None = None,
    clock: Callable[[], datetime] = _utc_now,
    metrics: Metrics | None = None,
    policy: Policy | None = None,
    collect: bool = True,
    effect_timeout: float = 20.0,
    helpcenter: HelpCenter | None = None,
) -> ConversationService:
    """The conversation service these settings describe.

    Args:
        storage: the store, already started.
        classifier: the intent model, or the holder hot reload swaps it in.
        clients: the outside APIs (``build_clients``).
        staff: who is online (``chatserver.ops.presence``); None: always someone, so
            hand-offs stay in the chat (offline runs).
        attempts: counts failed order proofs across sessions (``chatserver.ops.attempts``);
            None: no limit beyond the policy's per session (offline runs).
        locks: the turn locks (``chatserver.ops.scaleout.session_locks``).
        clock: the current time; offline runs pass a fixed one.
        metrics: counts turns, hand-offs and tickets.
        policy: an already loaded policy instead of ``settings.policy_path`` (tests).
        collect: keep the prediction log.
        effect_timeout: seconds one outside call of a turn may take.
        helpcenter: the help-center answers (``chatserver.ops.helpcenter`` fills them);
            None: no answers from articles.

    Raises:
        PolicyError: the policy file is invalid.
    """
    policy = policy or load_policy(settings.policy_path)
    renderer = Renderer(policy, settings.templates_dir)
    tickets = HandOffTickets(
        clients.zendesk,
        storage,
        renderer,
        group_id=settings.zendesk.escalation_group_id,
        clock=clock,
        on_open=metrics.tickets.inc if metrics is not None else None,
    )
    runner = Runner(
        clients.shopify,
        clients.tracker,
        staff=staff,
        tickets=tickets,
        attempts=attempts,
        mail=StatusMail(clients.zendesk, renderer),
        timeout=effect_timeout,
    )
    return ConversationService(
        storage,
        classifier,
        runner,
        policy,
        renderer,
        identity_secret=settings.identity_secret,
        clock=clock,
        session_idle=settings.limits.session_idle_minutes * 60.0,
        locks=locks,
        collector=Collector(storage.predictions) if collect else None,
        metrics=metrics,
        helpcenter=helpcenter,
        agent_names=settings.agent_names(),
    )
