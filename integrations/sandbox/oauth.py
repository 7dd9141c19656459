"""Client-credentials tokens for the carrier sandboxes: issued for the secret ``demo``
(any client id), expiring after ``lifetime`` seconds on an injectable clock."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

__all__ = ["TokenIssuer"]

DEMO_SECRET = "demo"


class TokenIssuer:
    """Issues opaque bearer tokens and checks ``Authorization: Bearer ...`` headers.

    Args:
        lifetime: seconds a token is valid (tests make it short or move ``clock``).
        clock: time source, shared with the test's fake clock.
    """

    def __init__(
        self,
        *,
        lifetime: float = 3600.0,
        secret: str = DEMO_SECRET,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.lifetime = lifetime
        self.secret = secret
        self._clock = clock
        self._tokens: dict[str, float] = {}
        self.issued = 0

    def issue(self, client_secret: str | None) -> str | None:
        """A new token when the secret is right, else None."""
        if client_secret != self.secret:
            return None
        token = secrets.token_urlsafe(24)
        self._tokens[token] = self._clock() + self.lifetime
        self.issued += 1
        return token

    def valid(self, authorization: str | None) -> bool:
        scheme, _, token = (authorization or "").partition(" ")
        expires = self._tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        return expires is not None and self._clock() < expires

    def revoke_all(self) -> None:
        """Every issued token stops working (as after a key rotation)."""
        self._tokens.clear()
