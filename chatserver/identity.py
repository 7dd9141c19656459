"""Signed customer identity: the host page vouches for a logged-in customer's email.

``signature = HMAC-SHA256(shop secret, f"{email}|{expires}")`` in hex, ``expires`` in unix
seconds. Checked in constant time against an injected ``now``; anything invalid, forged
or expired is simply not an identity (the customer is asked to prove the order instead).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = ["SignedIdentity", "sign_identity", "verify_identity"]


@dataclass(frozen=True)
class SignedIdentity:
    email: str
    expires: int
    signature: str

    @classmethod
    def from_data(cls, data: Any) -> SignedIdentity | None:
        """From ``customData.identity``; None when the shape is wrong."""
        if isinstance(data, SignedIdentity):
            return data
        if not isinstance(data, dict):
            return None
        email, expires, signature = data.get("email"), data.get("expires"), data.get("signature")
        if not isinstance(email, str) or not isinstance(signature, str):
            return None
        if isinstance(expires, bool) or not isinstance(expires, int | str):
            return None
        try:
            expires = int(expires)
        except ValueError:
            return None
        return cls(email=email, expires=expires, signature=signature)


def sign_identity(secret: str, email: str, expires: int) -> str:
    """The signature a host page computes for ``email`` valid until ``expires``."""
    message = f"{email}|{expires}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify_identity(data: Any, secret: str, now: datetime) -> str | None:
    """The verified email (lower-cased), or None for a missing, malformed, forged or expired identity."""
    identity = SignedIdentity.from_data(data)
    if identity is None or not secret or "@" not in identity.email:
        return None
    expected = sign_identity(secret, identity.email, identity.expires)
    if not hmac.compare_digest(expected, identity.signature.lower()):
        return None
    if identity.expires <= now.timestamp():
        return None
    return identity.email.strip().lower()
