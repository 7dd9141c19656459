"""`chatbot theme-preview`: the Shopify theme snippet rendered as Shopify renders it, on a
local page, to try the widget and a logged-in customer's signed identity without a store.

The snippet is ``integrations/shopify_theme/chat-widget.liquid``; the theme settings come
from the config (the chat server's ``public_url`` and ``identity_secret``). Liquid is
python-liquid (``pip install python-liquid``: only this command needs it), with Shopify's
``hmac_sha256`` filter added as Shopify documents it: the hex HMAC-SHA256 of the input,
keyed by the argument. The page is rendered again on each request, so the identity's
expiry is always two hours from now.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import html
from pathlib import Path
from typing import Any

__all__ = ["SNIPPET", "create_preview_app", "register", "render_snippet"]

SNIPPET = (
    Path(__file__).resolve().parents[2] / "integrations" / "shopify_theme" / "chat-widget.liquid"
)
_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Theme preview: {shop}</title>
  <style>
    body {{ font: 16px/1.5 system-ui, sans-serif; margin: 0; color: #1f2329; }}
    header, main {{ padding: 16px 24px; }}
    header {{ border-bottom: 1px solid #e4e7ec; }}
  </style>
</head>
<body>
  <header><strong>{shop}</strong> &middot; theme preview</header>
  <main>
    <h1>{who}</h1>
    <p>This page carries the chat widget the way your Shopify theme will, through the
      snippet <code>chat-widget.liquid</code>.</p>
  </main>
{snippet}
</body>
</html>
"""


def _hmac_sha256(value: object, key: object) -> str:
    return hmac.new(str(key).encode(), str(value).encode(), hashlib.sha256).hexdigest()


def render_snippet(
    server: str,
    identity_secret: str,
    email: str | None = None,
    *,
    title: str = "Chat with us",
) -> str:
    """The snippet's HTML for a visitor, or for the logged-in customer ``email``.

    Raises:
        ModuleNotFoundError: python-liquid is not installed.
    """
    from liquid import Environment

    env = Environment()
    env.filters["hmac_sha256"] = _hmac_sha256
    template = env.from_string(SNIPPET.read_text(encoding="utf-8"))
    settings = {
        "chatbot_server": server,
        "chatbot_title": title,
        "chatbot_identity_secret": identity_secret,
    }
    customer = {"email": email} if email else None
    return str(template.render(settings=settings, customer=customer, shop={}))


def create_preview_app(server: str, identity_secret: str, email: str | None, shop: str) -> Any:
    """An aiohttp application serving the preview page at ``/``."""
    from aiohttp import web

    async def page(request: web.Request) -> web.Response:
        who = f"Signed in as {email}" if email else "A visitor (not signed in)"
        snippet = render_snippet(server, identity_secret, email, title=f"{shop} support")
        text = _PAGE.format(shop=html.escape(shop), who=html.escape(who), snippet=snippet)
        return web.Response(text=text, content_type="text/html")

    app = web.Application()
    app.router.add_get("/", page)
    return app


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "theme-preview",
        help="a local page with the Shopify theme snippet, as a logged-in customer or a visitor",
    )
    p.add_argument("--config", default=None, help="YAML settings file")
    p.add_argument("--email", default=None, help="the logged-in customer (default: a visitor)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from aiohttp import web

    from chatserver.errors import ConfigError
    from chatserver.policy import load_policy
    from chatserver.settings import load_settings

    try:
        settings = load_settings(args.config)
        shop = load_policy(settings.policy_path).shop_name
    except ConfigError as exc:
        print(f"chatbot theme-preview: {exc}")
        return 2
    try:
        import liquid  # noqa: F401
    except ModuleNotFoundError:
        print("chatbot theme-preview renders Liquid with python-liquid: pip install python-liquid")
        return 2
    app = create_preview_app(settings.base_url, settings.identity_secret, args.email, shop)
    page = f"http://{args.host}:{args.port}/"
    print(f"theme preview at {page} for the chat server at {settings.base_url}")
    print(f"  add {page.rstrip('/')} to allowed_origins in the config if the chat refuses it")
    web.run_app(app, host=args.host, port=args.port, print=None)
    return 0
