"""`chatbot serve`: run the server (demo mode when no real credentials are configured)."""

from __future__ import annotations

import argparse
import logging

__all__ = ["register"]

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("serve", help="run the chat server")
    p.add_argument("--host", default=None, help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=None, help="port (default 8080)")
    p.add_argument("--config", default=None, help="YAML settings file")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from aiohttp import web

    from chatserver.app import create_app
    from chatserver.errors import ConfigError
    from chatserver.settings import load_settings

    try:
        settings = load_settings(args.config, host=args.host, port=args.port)
    except ConfigError as exc:
        log.error("%s", exc)
        return 2
    mode = "demo (sandboxes of every outside API)" if settings.demo else "production"
    log.info("serving on %s in %s mode", settings.base_url, mode)
    web.run_app(create_app(settings), host=settings.host, port=settings.port, print=None)
    return 0
