"""What both Zendesk webhooks (ticket triggers and article events) do with a request
before verifying it: read the body up to Zendesk's own cap, and answer in one shape."""

from __future__ import annotations

from aiohttp import web

__all__ = ["MAX_BODY_BYTES", "answer", "read_body"]

MAX_BODY_BYTES = 256 * 1024  # Zendesk's own cap on a webhook body


async def read_body(request: web.Request) -> bytes | None:
    """The whole body, or None when it is larger than Zendesk ever sends (read no further)."""
    if (request.content_length or 0) > MAX_BODY_BYTES:
        return None
    body = bytearray()
    async for chunk in request.content.iter_chunked(64 * 1024):
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return None
    return bytes(body)


def answer(status: int, text: str) -> web.Response:
    return web.json_response({"status": text}, status=status)
