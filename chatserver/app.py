"""The application factory: everything the server runs is wired here.

Lifetimes live in ``cleanup_ctx``: the shared HTTP client and API clients, the store,
the intent model (in the holder hot reload swaps it in), the turn locks, the agents'
presence, the proof-attempt counters, the conversation service
(``chatserver.build.build_service``) and the help-center answers (loaded and refreshed
by ``chatserver.ops.helpcenter``). Outside demo mode the factory refuses settings
whose secrets are unsafe (``chatserver.settings.unsafe_secrets``). In demo mode
the sandboxes of every outside API are mounted under ``/sandbox/...`` and the Zendesk
sandbox delivers its webhooks (ticket and article events) to this server.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import httpx
from aiohttp import web

from chatserver.build import build_clients, build_service
from chatserver.channels.agent import setup_agent
from chatserver.channels.chat import setup_chat
from chatserver.channels.zendesk.articles import ARTICLE_WEBHOOK_PATH, setup_article_webhook
from chatserver.channels.zendesk.webhook import setup_zendesk_channel
from chatserver.errors import ConfigError
from chatserver.helpcenter import HelpCenter
from chatserver.keys import (
    CLASSIFIER,
    HELPCENTER,
    HTTP,
    LIMITS,
    METRICS,
    MODEL,
    PRESENCE,
    PROXIES,
    SANDBOXES,
    SERVICE,
    SETTINGS,
    STORAGE,
    ZENDESK,
)
from chatserver.ops.attempts import proof_attempts
from chatserver.ops.helpcenter import setup_helpcenter
from chatserver.ops.limits import ChatLimits
from chatserver.ops.metrics import Metrics, setup_metrics
from chatserver.ops.model_reload import setup_model_reload
from chatserver.ops.presence import agent_presence
from chatserver.ops.proxies import TrustedProxies
from chatserver.ops.recovery import recover_on_startup
from chatserver.ops.scaleout import session_locks
from chatserver.service import Classifier, ModelHolder
from chatserver.settings import Settings, unsafe_secrets
from chatserver.storage import SqlStorage
from chatserver.web.dashboard import setup_dashboard
from chatserver.web.pages import setup_pages

__all__ = ["create_app"]

log = logging.getLogger(__name__)


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    app = request.app
    service = app.get(SERVICE)
    if service is None:
        return web.json_response({"status": "starting"}, status=503)
    return web.json_response(
        {
            "status": "ready",
            "model_version": service.classifier.version,
            "demo": app[SETTINGS].demo,
            "articles": len(app[HELPCENTER]),
        }
    )


def _load_classifier(settings: Settings) -> Classifier:
    from nlu.engine import NLU
    from nlu.errors import NLUError

    try:
        return NLU.load(settings.model_dir, threshold=settings.confidence_threshold)
    except NLUError as exc:
        log.error("no usable intent model (%s): every message will go to a human", exc)
        return NLU.unavailable()


async def _outside_world(app: web.Application) -> AsyncIterator[None]:
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=50)
    async with httpx.AsyncClient(limits=limits, timeout=10.0) as http:
        app[HTTP] = http
        yield


async def _core(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    clients = build_clients(settings, app[HTTP], observer=app[METRICS].observe_outside)
    app[ZENDESK] = clients.zendesk
    storage = SqlStorage(settings.database_url)
    await storage.start()
    app[STORAGE] = storage
    classifier = app.get(CLASSIFIER)
    if classifier is None:
        classifier = await asyncio.get_running_loop().run_in_executor(
            None, _load_classifier, settings
        )
    app[MODEL] = model = ModelHolder(classifier)
    try:
        async with (
            session_locks(settings) as locks,  # across processes on PostgreSQL
            agent_presence(settings) as presence,  # agents online on any process
            proof_attempts(settings) as attempts,  # failed proofs, across processes
        ):
            app[PRESENCE] = presence
            app[SERVICE] = build_service(
                settings,
                storage=storage,
                classifier=model,
                clients=clients,
                staff=presence,
                attempts=attempts,
                locks=locks,
                metrics=app[METRICS],
                helpcenter=app[HELPCENTER],
            )
            yield
    finally:
        await storage.aclose()


def create_app(settings: Settings, *, classifier: Classifier | None = None) -> web.Application:
    """The whole server. ``classifier`` replaces the installed model (tests).

    Raises:
        ConfigError: outside demo mode, a secret is missing, short or a demo value.
    """
    problems = unsafe_secrets(settings)
    if problems:
        raise ConfigError("; ".join(problems))
    app = web.Application(client_max_size=4 * 1024 * 1024)
    app[SETTINGS] = settings
    app[METRICS] = Metrics()
    app[LIMITS] = ChatLimits.from_settings(settings.limits)
    app[PROXIES] = TrustedProxies(settings.trusted_proxies)
    app[HELPCENTER] = HelpCenter()  # filled by setup_helpcenter, in the background
    if classifier is not None:
        app[CLASSIFIER] = classifier
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.cleanup_ctx.append(_outside_world)
    if settings.demo:
        _setup_sandboxes(app)
    app.cleanup_ctx.append(_core)
    setup_helpcenter(app)  # after _outside_world: it reads the articles over HTTP
    if classifier is None:  # the installed model: follow its CURRENT
        setup_model_reload(app)
    setup_zendesk_channel(app)  # after _core: its workers need the service and the store
    setup_article_webhook(app)
    setup_metrics(app, app[METRICS])
    setup_chat(app)  # after _core: its turns end before the store closes
    app.cleanup_ctx.append(recover_on_startup)  # after the chat: it publishes what it answers
    setup_agent(app)
    setup_pages(app)
    setup_dashboard(app)
    return app


def _setup_sandboxes(app: web.Application) -> None:
    from integrations.sandbox.app import build_sandboxes, mount_sandboxes

    settings = app[SETTINGS]
    boxes = build_sandboxes(
        webhook_url=f"{settings.base_url}/webhooks/zendesk",
        article_webhook_url=f"{settings.base_url}{ARTICLE_WEBHOOK_PATH}",
        article_webhook_secret=settings.helpcenter.webhook_secret or None,
        webhook_secret=settings.zendesk.webhook_secret,
        public_url=settings.base_url,
    )
    app[SANDBOXES] = boxes
    mount_sandboxes(app, boxes)

    async def close(_: web.Application) -> None:
        await boxes.aclose()

    app.on_cleanup.append(close)
