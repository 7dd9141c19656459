"""Web pages: the widget's files under ``/static/``, the demo shop at ``/`` and the agent
console at ``/agent/`` behind a login (``/agent/login``, ``/agent/logout``).

The login and logout forms are CSRF-safe twice over: the cookies are SameSite=Strict,
and each form carries a token that must match the signed cookie (the session's own
token after login, a pre-session token before). Sign-in attempts are throttled per
client address and failures per username (``ChatLimits.logins``); signing out ends the
session on the server, for every copy of the cookie.
"""

from __future__ import annotations

import html
import logging
from pathlib import Path

from aiohttp import web

from chatserver.keys import AGENT_AUTH, LIMITS, PROXIES, SETTINGS
from chatserver.web.auth import (
    CSRF_COOKIE,
    CSRF_SECONDS,
    SESSION_COOKIE,
    SESSION_SECONDS,
    same_token,
)

__all__ = ["STATIC_DIR", "setup_pages"]

log = logging.getLogger(__name__)

# The top-level static/ of the repository, linked into the package as chatserver/static
# (package data: the wheel carries the files themselves).
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
NO_AGENTS = (
    "No agent accounts are configured on this server, so nobody can sign in. "
    "Add `agents` (username and password_hash) to the configuration."
)
PRIVATE = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "Referrer-Policy": "same-origin",
}


def _secure(request: web.Request) -> bool:
    return request.secure or request.app[SETTINGS].base_url.startswith("https://")


def _set_cookie(
    response: web.StreamResponse, request: web.Request, name: str, value: str, max_age: int
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",  # the Socket.IO connection at /socket.io/ must carry it too
        httponly=True,
        samesite="Strict",
        secure=_secure(request),
    )


def _page(name: str, csrf: str, **replace: str) -> str:
    text = (STATIC_DIR / "agent" / name).read_text(encoding="utf-8")
    text = text.replace("{{csrf_token}}", html.escape(csrf, quote=True))
    for old, new in replace.items():
        text = text.replace(old, new)
    return text


def _redirect(location: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(location, headers=PRIVATE)


def _see_other(location: str) -> web.Response:
    """A redirect to return (not raise) when it sets cookies."""
    return web.Response(status=303, headers={**PRIVATE, "Location": location})


async def shop(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "index.html")


async def console(request: web.Request) -> web.Response:
    session = await request.app[AGENT_AUTH].session(request.cookies.get(SESSION_COOKIE))
    if session is None:
        raise _redirect("/agent/login")
    text = _page("index.html", str(session["csrf"]))
    return web.Response(text=text, content_type="text/html", headers=PRIVATE)


async def login_page(request: web.Request) -> web.Response:
    auth = request.app[AGENT_AUTH]
    if await auth.session(request.cookies.get(SESSION_COOKIE)) is not None:
        raise _redirect("/agent/")
    token = auth.csrf_token(request.cookies.get(CSRF_COOKIE))
    cookie = None
    if token is None:
        token, cookie = auth.csrf_cookie()
    extra = {}
    if not auth.agents:
        hidden = '<p id="login-error" class="login-error" role="alert" hidden></p>'
        shown = f'<p id="login-error" class="login-error" role="alert">{html.escape(NO_AGENTS)}</p>'
        extra[hidden] = shown
    response = web.Response(
        text=_page("login.html", token, **extra), content_type="text/html", headers=PRIVATE
    )
    if cookie is not None:
        _set_cookie(response, request, CSRF_COOKIE, cookie, CSRF_SECONDS)
    return response


async def login(request: web.Request) -> web.Response:
    auth = request.app[AGENT_AUTH]
    form = await request.post()
    if not same_token(form.get("csrf_token"), auth.csrf_token(request.cookies.get(CSRF_COOKIE))):
        raise _redirect("/agent/login?error=csrf")
    if not auth.agents:
        raise _redirect("/agent/login?error=no_agents")
    username, password = form.get("username"), form.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        raise _redirect("/agent/login?error=invalid")
    address = request.app[PROXIES].of_request(request)
    throttle = request.app[LIMITS].logins
    if not throttle.admit(address, username):
        raise _redirect("/agent/login?error=rate_limited")
    if not auth.check(username, password):
        throttle.failed(username)
        log.info("failed console sign-in for %r from %s", username[:64], address)
        raise _redirect("/agent/login?error=invalid")
    log.info("%s signed in to the console", username)
    response = _see_other("/agent/")
    cookie = await auth.sign_in(username)
    _set_cookie(response, request, SESSION_COOKIE, cookie, SESSION_SECONDS)
    response.del_cookie(CSRF_COOKIE, path="/")
    return response


async def logout(request: web.Request) -> web.Response:
    auth = request.app[AGENT_AUTH]
    cookie = request.cookies.get(SESSION_COOKIE)
    session = await auth.session(cookie)
    form = await request.post()
    if session is None:
        raise _redirect("/agent/login")
    if not same_token(form.get("csrf_token"), session.get("csrf")):
        raise web.HTTPForbidden(text="The form expired; reload the console and try again.")
    await auth.sign_out(cookie)  # the session ends here, for every copy of the cookie
    log.info("%s signed out of the console", session["u"])
    response = _see_other("/agent/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


def setup_pages(app: web.Application) -> None:
    """Routes of the shop page, the widget's files and the agent console."""
    app.router.add_get("/", shop)
    app.router.add_static("/static/", STATIC_DIR)
    app.router.add_get("/agent", console)
    app.router.add_get("/agent/", console)
    app.router.add_get("/agent/login", login_page)
    app.router.add_post("/agent/login", login)
    app.router.add_post("/agent/logout", logout)
