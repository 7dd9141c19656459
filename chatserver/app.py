"""The application factory: everything the server runs is wired here."""

from __future__ import annotations

from aiohttp import web

from chatserver.keys import SETTINGS
from chatserver.settings import Settings

__all__ = ["create_app"]


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def create_app(settings: Settings) -> web.Application:
    app = web.Application(client_max_size=4 * 1024 * 1024)
    app[SETTINGS] = settings
    app.router.add_get("/healthz", healthz)
    return app
