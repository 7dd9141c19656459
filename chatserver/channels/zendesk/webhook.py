"""The Zendesk e-mail channel: ``POST /webhooks/zendesk`` and its background workers.

The endpoint only verifies, stores and acknowledges (well within Zendesk's timeout);
the workers in :mod:`chatserver.channels.zendesk.worker` do the rest from the durable
queue in the server's database. Answers: 202 queued / 200 duplicate, 401 bad or
missing or stale signature (nothing stored), 413 body over 256 KB, 400 not JSON or
no ticket id, 503 when the database cannot take the event (Zendesk retries).
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from chatserver.channels.zendesk.body import MAX_BODY_BYTES, answer, read_body
from chatserver.channels.zendesk.worker import ZendeskWorker
from chatserver.errors import ConfigError
from chatserver.keys import SERVICE, SETTINGS, STORAGE, ZENDESK
from chatserver.storage.errors import DatabaseError
from chatserver.storage.zendesk_queue import ZendeskQueue
from integrations.webhooks import (
    INVOCATION_ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WebhookRejected,
    parse_event,
    verify,
)
from nlu.cleaning import EmailPatterns, PatternError, load_patterns

__all__ = ["MAX_BODY_BYTES", "WEBHOOK_PATH", "ZendeskChannel", "setup_zendesk_channel"]

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/zendesk"


class ZendeskChannel:
    """The endpoint and the workers of one app; built by :func:`setup_zendesk_channel`.

    Args:
        worker_options: passed to :class:`ZendeskWorker` over the settings' values
            (e.g. ``poll_interval``, ``retry_base`` for tests).
    """

    def __init__(self, **worker_options: Any) -> None:
        self.worker_options = worker_options
        self.queue: ZendeskQueue | None = None
        self.worker: ZendeskWorker | None = None
        self.secret = ""
        self.tolerance = 300.0

    async def lifetime(self, app: web.Application) -> AsyncIterator[None]:
        settings = app[SETTINGS]
        zd = settings.zendesk
        self.secret = zd.webhook_secret
        self.tolerance = float(zd.webhook_tolerance_seconds)
        self.queue = app[STORAGE].zendesk
        service = app[SERVICE]
        options: dict[str, Any] = {
            "patterns": _email_patterns(settings.email_patterns),
            "bot_user_id": zd.bot_user_id,
            "escalation_group_id": zd.escalation_group_id,
            "escalation_group": service.policy.escalation_group,
        }
        for name in ("workers", "lease_seconds", "max_replies_per_hour"):
            if hasattr(zd, name):  # the settings may not carry the channel's knobs
                options[name] = getattr(zd, name)
        options.update(self.worker_options)
        self.worker = ZendeskWorker(self.queue, service, app[ZENDESK], **options)
        self.worker.start()
        try:
            yield
        finally:
            await self.worker.stop()

    async def webhook(self, request: web.Request) -> web.Response:
        if self.queue is None or self.worker is None:
            return answer(503, "starting")
        raw = await read_body(request)
        if raw is None:
            return answer(413, "body too large")
        try:
            verify(
                self.secret,
                request.headers.get(TIMESTAMP_HEADER),
                raw,
                request.headers.get(SIGNATURE_HEADER),
                now=datetime.now(UTC),
                tolerance_seconds=self.tolerance,
            )
        except WebhookRejected as exc:
            log.warning("zendesk webhook refused: %s", exc.reason)
            return answer(401, "invalid signature")
        try:
            json.loads(raw)
            well_formed = True
        except (ValueError, UnicodeDecodeError):
            well_formed = False
        try:
            # A comment with quotes can break the trigger's template; the ticket id
            # still leads the body, and the API is the truth about the rest.
            event = parse_event(raw)
        except (WebhookRejected, OverflowError) as exc:
            reason = exc.reason if isinstance(exc, WebhookRejected) else "bad ticket id"
            return answer(400, "not JSON" if not well_formed else reason)
        if not 0 < event.ticket_id < 2**63 or not 0 < (event.comment_id or 1) < 2**63:
            return answer(400, "bad ticket or comment id")
        if not well_formed and not raw.lstrip().startswith(b"{"):
            return answer(400, "not JSON")
        try:
            fresh = await self.queue.record_event(
                event.ticket_id,
                event.comment_id,
                event.event or "unknown",
                request.headers.get(INVOCATION_ID_HEADER),
                raw.decode("utf-8", "replace"),
                now=self.worker.clock(),
            )
        except DatabaseError:
            log.exception("zendesk webhook for ticket %s not stored", event.ticket_id)
            return answer(503, "try again")
        if not fresh:
            return answer(200, "duplicate")
        self.worker.wake()
        return answer(202, "queued")


def _email_patterns(paths: tuple[Path, ...]) -> EmailPatterns | None:
    """The built-in mail-client formats plus the shop's files (None: built-in only)."""
    if not paths:
        return None
    try:
        return load_patterns(extra=paths)
    except PatternError as exc:
        raise ConfigError(f"email_patterns: {exc}") from exc


def setup_zendesk_channel(app: web.Application, **worker_options: Any) -> ZendeskChannel:
    """Add ``POST /webhooks/zendesk`` and the workers' lifetime to ``app``.

    Reads SETTINGS, STORAGE, SERVICE and ZENDESK from the app at startup, so call it
    before the app starts; the cleanup contexts that provide those must come first.
    """
    channel = ZendeskChannel(**worker_options)
    app.router.add_post(WEBHOOK_PATH, channel.webhook)
    app.cleanup_ctx.append(channel.lifetime)
    return channel
