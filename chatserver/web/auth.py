"""Agent authentication: scrypt password hashes, signed cookies and CSRF tokens.

Passwords are stored as ``scrypt$<salt hex>$<hash hex>`` (``chatbot hash-password``
prints one). The console session is a cookie holding ``{"u": username, "exp": unix
seconds, "csrf": token}`` as base64 JSON plus an HMAC-SHA256 signature made with
``cookie_secret``; it is HttpOnly, SameSite=Strict and Secure over https. Forms carry the
session's CSRF token (the login form a pre-session token in its own signed cookie).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable, Iterable
from http.cookies import CookieError, SimpleCookie
from typing import Any

from chatserver.settings import AgentUser

__all__ = [
    "CSRF_COOKIE",
    "SESSION_COOKIE",
    "AgentAuth",
    "CookieSigner",
    "hash_password",
    "read_cookie",
    "same_token",
    "verify_password",
]

SESSION_COOKIE = "agent_session"
CSRF_COOKIE = "agent_csrf"
SESSION_SECONDS = 12 * 3600
CSRF_SECONDS = 3600
# scrypt cost: n=2**14, r=8 (16 MiB, tens of milliseconds), as OWASP suggests at minimum.
SCRYPT = {"n": 2**14, "r": 8, "p": 1, "maxmem": 64 * 1024 * 1024, "dklen": 32}


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """A storable scrypt hash of ``password``: ``scrypt$<salt hex>$<hash hex>``."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **SCRYPT)  # type: ignore[arg-type]
    return f"scrypt${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches ``stored``; False for any malformed hash."""
    try:
        scheme, salt_hex, digest_hex = stored.split("$")
        salt, expected = bytes.fromhex(salt_hex), bytes.fromhex(digest_hex)
    except ValueError:
        return False
    if scheme != "scrypt" or not salt or not expected:
        return False
    digest = hashlib.scrypt(password.encode(), salt=salt, **SCRYPT)  # type: ignore[arg-type]
    return hmac.compare_digest(digest, expected)


class CookieSigner:
    """Signs and checks small JSON values for cookies (HMAC-SHA256 over the payload)."""

    def __init__(self, secret: str | bytes, *, clock: Callable[[], float] = time.time) -> None:
        self.key = secret.encode() if isinstance(secret, str) else secret
        self.clock = clock

    def sign(self, data: dict[str, Any], *, max_age: int) -> str:
        data = {**data, "exp": int(self.clock()) + max_age}
        raw = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
        body = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        return f"{body}.{self._mac(body)}"

    def unsign(self, value: str | None) -> dict[str, Any] | None:
        """The signed data, or None when missing, tampered with or expired."""
        if not value or "." not in value:
            return None
        body, mac = value.rsplit(".", 1)
        if not hmac.compare_digest(mac, self._mac(body)):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except ValueError:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("exp"), int):
            return None
        return data if data["exp"] > self.clock() else None

    def _mac(self, body: str) -> str:
        digest = hmac.new(self.key, body.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def read_cookie(header: str | None, name: str) -> str | None:
    """One cookie's value from a ``Cookie`` header (the Socket.IO environ has no parser)."""
    if not header:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except CookieError:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel is not None else None


class AgentAuth:
    """Who may use the console, and the signed cookies that say who is signed in.

    Args:
        agents: the configured accounts (username + scrypt hash).
        secret: the cookie secret; a random one per process when empty (sessions then
            end when the server restarts).
    """

    def __init__(self, agents: Iterable[AgentUser], secret: str = "") -> None:
        self.agents = {a.username: a.password_hash for a in agents}
        self.signer = CookieSigner(secret or secrets.token_bytes(32))
        # Unknown usernames are checked against this, so timing does not reveal them.
        self._decoy = hash_password(secrets.token_hex(8))

    def check(self, username: str, password: str) -> bool:
        stored = self.agents.get(username)
        ok = verify_password(password, stored or self._decoy)
        return ok and stored is not None

    def session_cookie(self, username: str) -> str:
        return self.signer.sign(
            {"u": username, "csrf": secrets.token_urlsafe(24)}, max_age=SESSION_SECONDS
        )

    def session(self, cookie: str | None) -> dict[str, Any] | None:
        """``{"u", "csrf", "exp"}`` of a valid session of a still-configured agent."""
        data = self.signer.unsign(cookie)
        if data is None or data.get("u") not in self.agents:
            return None
        return data

    def csrf_cookie(self) -> tuple[str, str]:
        """A pre-login CSRF token and its signed cookie value."""
        token = secrets.token_urlsafe(24)
        return token, self.signer.sign({"csrf": token}, max_age=CSRF_SECONDS)

    def csrf_token(self, cookie: str | None) -> str | None:
        data = self.signer.unsign(cookie)
        token = data.get("csrf") if data else None
        return token if isinstance(token, str) else None


def same_token(given: object, expected: str | None) -> bool:
    return isinstance(given, str) and expected is not None and hmac.compare_digest(given, expected)
