"""``POST /webhooks/zendesk/articles``: Zendesk Guide announces an article change.

Subscribe a Zendesk webhook to the event types ``zen:event-type:article.published`` and
``zen:event-type:article.unpublished`` (docs/helpcenter.md); it is signed like the ticket
webhooks, with its own signing secret (``helpcenter.webhook_secret``; by default the
ticket webhooks' ``zendesk.webhook_secret``). The endpoint
verifies, reads the event and answers at once; the help-center sync
(:class:`chatserver.ops.helpcenter.HelpCenterSync`) fetches a published article, or drops
an unpublished one, in a task of its own.

Answers: 202 applied in the background, 200 an event that changes nothing (votes,
comments, a help center not read from Zendesk), 401 bad, missing or stale signature,
413 body over 256 KB, 400 not an article event, 404 no help center is configured.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from aiohttp import web

from chatserver.channels.zendesk.body import MAX_BODY_BYTES, answer, read_body
from chatserver.keys import HELPCENTER_SYNC, SETTINGS
from integrations.helpcenter import parse_article_event
from integrations.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookRejected, verify

__all__ = ["ARTICLE_WEBHOOK_PATH", "MAX_BODY_BYTES", "article_webhook", "setup_article_webhook"]

log = logging.getLogger(__name__)

ARTICLE_WEBHOOK_PATH = "/webhooks/zendesk/articles"


async def article_webhook(request: web.Request) -> web.Response:
    app = request.app
    sync = app.get(HELPCENTER_SYNC)
    if sync is None:
        return answer(404, "no help center is configured")
    raw = await read_body(request)
    if raw is None:
        return answer(413, "body too large")
    settings = app[SETTINGS]
    zd = settings.zendesk
    try:
        verify(
            settings.helpcenter.webhook_secret or zd.webhook_secret,
            request.headers.get(TIMESTAMP_HEADER),
            raw,
            request.headers.get(SIGNATURE_HEADER),
            now=datetime.now(UTC),
            tolerance_seconds=float(zd.webhook_tolerance_seconds),
        )
    except WebhookRejected as exc:
        log.warning("article webhook refused: %s", exc.reason)
        return answer(401, "invalid signature")
    try:
        event = parse_article_event(raw)
    except WebhookRejected as exc:
        return answer(400, exc.reason)
    if not sync.accepts(event):
        return answer(200, "nothing to change")
    sync.schedule(event)
    return answer(202, "queued")


def setup_article_webhook(app: web.Application) -> None:
    """Add ``POST /webhooks/zendesk/articles`` to ``app``."""
    app.router.add_post(ARTICLE_WEBHOOK_PATH, article_webhook)
