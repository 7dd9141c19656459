"""Agent authentication: scrypt password hashes, server-side sessions and CSRF tokens.

Passwords are stored as ``scrypt$<salt hex>$<hash hex>`` (``chatbot hash-password``
prints one). Signing in opens a session kept server-side (``storage.agent_sessions``:
any process of the deployment sees it); the cookie holds its random token, signed with
``cookie_secret`` (HMAC-SHA256, so garbage never reaches the store). The session ends
when the agent signs out (its row is deleted), after ``SESSION_SECONDS``, when the
account is removed, or when its configured password hash changes. Cookies are HttpOnly,
SameSite=Strict and Secure over https. Forms carry the session's CSRF token (the login
form a pre-session token in its own signed cookie). Every token is compared as bytes in
constant time; a value with anything but ASCII in it is simply invalid.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from http.cookies import CookieError, SimpleCookie
from typing import Any, Protocol

from chatserver.settings import AgentUser
from chatserver.storage.agent_sessions import AgentSession

__all__ = [
    "CSRF_COOKIE",
    "SESSION_COOKIE",
    "AgentAuth",
    "CookieSigner",
    "MemorySessions",
    "SessionStore",
    "hash_password",
    "read_cookie",
    "same_token",
    "verify_password",
]

SESSION_COOKIE = "agent_session"
CSRF_COOKIE = "agent_csrf"
SESSION_SECONDS = 12 * 3600
CSRF_SECONDS = 3600
MAX_COOKIE = 4096
# scrypt cost: n=2**14, r=8 (16 MiB, tens of milliseconds), as OWASP suggests at minimum.
SCRYPT = {"n": 2**14, "r": 8, "p": 1, "maxmem": 64 * 1024 * 1024, "dklen": 32}


def _same(given: str, expected: str) -> bool:
    """Constant-time equality of two tokens; anything non-ASCII is simply unequal."""
    if not given.isascii() or not expected.isascii():
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


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
    try:
        secret = password.encode()
    except UnicodeEncodeError:  # a lone surrogate: no password we could have stored
        return False
    digest = hashlib.scrypt(secret, salt=salt, **SCRYPT)  # type: ignore[arg-type]
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
        """The signed data, or None when missing, malformed, tampered with or expired."""
        if not value or "." not in value or len(value) > MAX_COOKIE or not value.isascii():
            return None
        body, mac = value.rsplit(".", 1)
        if not _same(mac, self._mac(body)):
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


class SessionStore(Protocol):
    """Where sessions live (``chatserver.storage.agent_sessions.AgentSessions``)."""

    async def add(self, session: AgentSession) -> None: ...

    async def get(self, token_hash: str) -> AgentSession | None: ...

    async def remove(self, token_hash: str) -> None: ...

    async def purge(self, before: datetime) -> int: ...


class MemorySessions:
    """Sessions in this process only (tests, tools without a store)."""

    def __init__(self) -> None:
        self.rows: dict[str, AgentSession] = {}

    async def add(self, session: AgentSession) -> None:
        self.rows[session.token_hash] = session

    async def get(self, token_hash: str) -> AgentSession | None:
        return self.rows.get(token_hash)

    async def remove(self, token_hash: str) -> None:
        self.rows.pop(token_hash, None)

    async def purge(self, before: datetime) -> int:
        old = [k for k, v in self.rows.items() if v.expires_at < before]
        for key in old:
            del self.rows[key]
        return len(old)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class AgentAuth:
    """Who may use the console, and the sessions of those signed in.

    Args:
        agents: the configured accounts (username + scrypt hash).
        secret: the cookie secret; a random one per process when empty (demo mode only:
            cookies then stop verifying when the server restarts).
        store: returns where sessions are kept (the store is built after the app is).
        clock: unix seconds (tests move it).
    """

    def __init__(
        self,
        agents: Iterable[AgentUser],
        secret: str = "",
        *,
        store: Callable[[], SessionStore] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.agents = {a.username: a.password_hash for a in agents}
        self.signer = CookieSigner(secret or secrets.token_bytes(32), clock=clock)
        self.clock = clock
        memory = MemorySessions()
        self.store: Callable[[], SessionStore] = store or (lambda: memory)
        # Unknown usernames are checked against this, so timing does not reveal them.
        self._decoy = hash_password(secrets.token_hex(8))

    def check(self, username: str, password: str) -> bool:
        stored = self.agents.get(username)
        ok = verify_password(password, stored or self._decoy)
        return ok and stored is not None

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    async def sign_in(self, username: str) -> str:
        """Open a session for ``username`` (already checked); the cookie's value."""
        token = secrets.token_urlsafe(32)
        now = self._now()
        store = self.store()
        await store.purge(now)
        await store.add(
            AgentSession(
                token_hash=_digest(token),
                username=username,
                password_tag=_digest(self.agents[username]),
                csrf=secrets.token_urlsafe(24),
                created_at=now,
                expires_at=now + timedelta(seconds=SESSION_SECONDS),
            )
        )
        return self.signer.sign({"t": token}, max_age=SESSION_SECONDS)

    async def session(self, cookie: str | None) -> dict[str, Any] | None:
        """``{"u", "csrf", "exp", "id"}`` of a live session of a still-configured agent
        whose password has not changed since; None otherwise."""
        data = self.signer.unsign(cookie)
        token = data.get("t") if data else None
        if not isinstance(token, str):
            return None
        row = await self.store().get(_digest(token))
        if row is None or row.expires_at <= self._now():
            return None
        stored = self.agents.get(row.username)
        if stored is None or not _same(row.password_tag, _digest(stored)):
            return None
        return {
            "u": row.username,
            "csrf": row.csrf,
            "exp": int(row.expires_at.timestamp()),
            "id": row.token_hash,
        }

    async def alive(self, session_id: str) -> bool:
        """Is the session with this id (``session(...)["id"]``) still valid?"""
        row = await self.store().get(session_id)
        if row is None or row.expires_at <= self._now():
            return False
        stored = self.agents.get(row.username)
        return stored is not None and _same(row.password_tag, _digest(stored))

    async def sign_out(self, cookie: str | None) -> None:
        """End the cookie's session, wherever it is used."""
        data = self.signer.unsign(cookie)
        token = data.get("t") if data else None
        if isinstance(token, str):
            await self.store().remove(_digest(token))

    def csrf_cookie(self) -> tuple[str, str]:
        """A pre-login CSRF token and its signed cookie value."""
        token = secrets.token_urlsafe(24)
        return token, self.signer.sign({"csrf": token}, max_age=CSRF_SECONDS)

    def csrf_token(self, cookie: str | None) -> str | None:
        data = self.signer.unsign(cookie)
        token = data.get("csrf") if data else None
        return token if isinstance(token, str) else None


def same_token(given: object, expected: str | None) -> bool:
    """A form's token matches the session's (bytes, constant time; non-ASCII never)."""
    return isinstance(given, str) and isinstance(expected, str) and _same(given, expected)
