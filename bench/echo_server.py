"""The baseline: a bare python-socketio echo on the same stack as the chat server.

aiohttp + ``socketio.AsyncServer``, nothing else. ``session_request`` gets a
``session_confirm``; ``user_uttered`` gets one ``bot_uttered`` echoing the text and a
``bot_typing`` false, which the load generator takes as the end of the turn, exactly as
with the real server.

    python -m bench.echo_server --port 8099
"""

from __future__ import annotations

import argparse
import itertools
import resource

import socketio
from aiohttp import web

__all__ = ["create_echo_app", "main"]


def create_echo_app() -> web.Application:
    sio = socketio.AsyncServer(async_mode="aiohttp", cors_allowed_origins="*")
    app = web.Application()
    sio.attach(app)
    ids = itertools.count(1)

    @sio.on("session_request")
    async def session_request(sid: str, data: object) -> None:
        await sio.emit("session_confirm", f"echo-{sid}", to=sid)

    @sio.on("user_uttered")
    async def user_uttered(sid: str, data: object) -> None:
        text = data.get("message", "") if isinstance(data, dict) else ""
        await sio.emit("bot_uttered", {"text": text, "id": next(ids), "sender": "bot"}, to=sid)
        await sio.emit("bot_typing", {"typing": False}, to=sid)

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ready"})

    app.router.add_get("/readyz", healthz)
    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8099)
    args = parser.parse_args(argv)
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    web.run_app(create_echo_app(), host=args.host, port=args.port, print=None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
