"""`chatbot sandbox`: serve the six outside-API sandboxes on their own."""

from __future__ import annotations

import argparse
import logging

__all__ = ["register"]

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("sandbox", help="serve the Shopify, Zendesk and carrier sandboxes")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8090)
    p.add_argument(
        "--webhook-url",
        default=None,
        help="where the Zendesk sandbox delivers webhooks (e.g. http://127.0.0.1:8080/webhooks/zendesk)",
    )
    p.add_argument("--webhook-secret", default="demo")
    p.add_argument(
        "--shopify-scopes",
        default=None,
        metavar="LIST",
        help="comma-separated access scopes the Shopify sandbox's token has "
        "(default: every scope the bot uses); to try `chatbot check` on a token that lacks some",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from aiohttp import web

    from integrations.sandbox.app import PREFIX, build_sandboxes, create_sandbox_app

    public = f"http://{args.host}:{args.port}"
    boxes = build_sandboxes(
        webhook_url=args.webhook_url, webhook_secret=args.webhook_secret, public_url=public
    )
    if args.shopify_scopes is not None:
        boxes.shopify.store.access_scopes = {
            s.strip() for s in args.shopify_scopes.split(",") if s.strip()
        }
    for name in boxes.by_name():
        log.info("%s sandbox at %s%s/%s", name, public, PREFIX, name)
    web.run_app(create_sandbox_app(boxes), host=args.host, port=args.port, print=None)
    return 0
