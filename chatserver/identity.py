"""Signed customer identity: the host page vouches for a logged-in customer's email.

``signature = HMAC-SHA256(shop secret, f"{email}|{expires}")`` in hex, ``expires`` in unix
seconds. Checked in constant time (as bytes: a forged, non-ASCII signature is simply
wrong) against an injected ``now``; anything invalid, forged or expired is simply not an
identity (the customer is asked to prove the order instead).

The server acts on exactly the signed email, with only its ASCII letters lower-cased
(``exact_email``). An email that Unicode normalisation would turn into another one
(NFKC and case folding: the Kelvin sign ``K`` becomes ``k``, a full-width ``＠`` an
``@``) is refused: one signed for ``lu\\u212aas@…`` must never act as ``lukas@…``.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = ["SignedIdentity", "exact_email", "sign_identity", "verify_identity"]

MAX_EMAIL = 254  # RFC 5321's limit on a forward path
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


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


def exact_email(email: str | None) -> str | None:
    """The address to act on: ``email`` with its ASCII letters lower-cased; None when
    it is not one plain address (spaces around it, no ``@``, too long) or when Unicode
    normalisation (NFKC, case folding) would make it another address."""
    if not email or len(email) > MAX_EMAIL or email != email.strip() or email.count("@") != 1:
        return None
    lowered = email.translate(_ASCII_LOWER)
    if unicodedata.normalize("NFKC", email).casefold() != lowered:
        return None
    if any(unicodedata.category(c)[0] in "CZ" for c in email):  # controls, spaces
        return None
    return lowered


def sign_identity(secret: str, email: str, expires: int) -> str:
    """The signature a host page computes for ``email`` valid until ``expires``."""
    message = f"{email}|{expires}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify_identity(data: Any, secret: str, now: datetime) -> str | None:
    """The verified email (``exact_email``), or None for a missing, malformed, forged,
    expired or ambiguous identity."""
    identity = SignedIdentity.from_data(data)
    if identity is None or not secret:
        return None
    try:  # a lone surrogate in the JSON cannot be encoded: not an identity either
        expected = sign_identity(secret, identity.email, identity.expires).encode()
        given = identity.signature.lower().encode()
    except UnicodeEncodeError:
        return None
    if not hmac.compare_digest(expected, given):
        return None
    if identity.expires <= now.timestamp():
        return None
    return exact_email(identity.email)
