"""The one place the conversation service is wired, from the shop's settings.

The server (``chatserver.app``), ``chatbot replay`` and the offline tools
(``chatserver.learning.sandboxed``) all call ``build_service``, so they run the same
service: the shop's policy (``policy_path``) and templates (``templates_dir``), its
identity secret, the runner over the outside clients (``chatserver.clients``), the
presence of agents and the Zendesk desk for chat hand-offs, the prediction log and the
metrics. Each part is handed in or built here, once; nothing is reassigned afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from chatserver.channels.handoff import HandOffTickets
from chatserver.clients import Clients
from chatserver.learning.collector import Collector
from chatserver.ops.metrics import Metrics
from chatserver.policy import Policy, load_policy
from chatserver.replies import Renderer
from chatserver.runner import Runner, Staff
from chatserver.service import Classifier, ConversationService, ModelHolder
from chatserver.settings import Settings
from chatserver.storage import SqlStorage
from chatserver.storage.locks import SessionLocks
from chatserver.storage.predictions import PredictionStore

__all__ = ["build_service"]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def build_service(
    settings: Settings,
    *,
    storage: SqlStorage,
    classifier: Classifier | ModelHolder,
    clients: Clients,
    staff: Staff | None = None,
    locks: SessionLocks | None = None,
    clock: Callable[[], datetime] = _utc_now,
    metrics: Metrics | None = None,
    policy: Policy | None = None,
    collect: bool = True,
    effect_timeout: float = 20.0,
) -> ConversationService:
    """The conversation service these settings describe.

    Args:
        storage: the store, already started.
        classifier: the intent model, or the holder hot reload swaps it in.
        clients: the outside APIs (``chatserver.clients.build_clients``).
        staff: who is online (``chatserver.ops.presence``); None: always someone, so
            hand-offs stay in the chat (offline runs).
        locks: the turn locks (``chatserver.ops.scaleout.session_locks``).
        clock: the current time; offline runs pass a fixed one.
        metrics: counts turns, hand-offs and tickets.
        policy: an already loaded policy instead of ``settings.policy_path`` (tests).
        collect: keep the prediction log.
        effect_timeout: seconds one outside call of a turn may take.

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
        clients.shopify, clients.tracker, staff=staff, tickets=tickets, timeout=effect_timeout
    )
    return ConversationService(
        storage,
        classifier,
        runner,
        policy,
        renderer,
        identity_secret=settings.identity_secret,
        clock=clock,
        locks=locks,
        collector=Collector(PredictionStore(storage.engine)) if collect else None,
        metrics=metrics,
    )
