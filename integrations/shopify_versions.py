"""The Shopify Admin API versions this project speaks, and what differs between them.

A version is supported when its published schema is in the contract checks
(``python -m integrations.contracts``): every document the client sends, with the
variables it builds, is validated against that version's schema, and none uses a
deprecated field. Those are 2025-04 to 2026-04. 2024-10 and 2025-01 have published
schemas too but are left out: there a customer's e-mail can only be read through the
deprecated ``Customer.email`` (its replacement ``defaultEmailAddress`` arrived in
2025-04). 2025-10 has no published schema to check against. Shopify keeps a version
about twelve months and then answers requests to it with the oldest version it still
supports; the client logs a warning when the answer names another version than the
one asked for.

Where versions differ (each pinned by a test against the published schemas):

* ``orderCancel`` takes ``refund: Boolean!`` before 2025-07 and
  ``refundMethod: OrderCancelRefundMethodInput`` from 2025-07;
* ``ReturnRequestLineItemInput.returnReason`` (an enum) is gone from 2026-01, replaced
  by ``returnReasonDefinitionId`` (an id from ``returnReasonDefinitions``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "DEFAULT_VERSION",
    "NEWEST",
    "OLDEST",
    "REASON_HANDLES",
    "RETURN_REASONS",
    "SUPPORTED_VERSIONS",
    "Features",
    "check_api_version",
    "features",
]

SUPPORTED_VERSIONS = ("2025-04", "2025-07", "2026-01", "2026-04")
OLDEST = SUPPORTED_VERSIONS[0]
NEWEST = SUPPORTED_VERSIONS[-1]
DEFAULT_VERSION = NEWEST

_SHAPE = re.compile(r"\d{4}-(01|04|07|10)")

# The ReturnReason enum, which versions before 2026-01 take as returnReason.
RETURN_REASONS = frozenset({
    "COLOR", "DEFECTIVE", "NOT_AS_DESCRIBED", "OTHER", "SIZE_TOO_LARGE", "SIZE_TOO_SMALL",
    "STYLE", "UNKNOWN", "UNWANTED", "WRONG_ITEM",
})  # fmt: skip
# From 2026-01 a reason is a ReturnReasonDefinition: [U] the handles to look for, best
# first, per ReturnReason (Shopify does not publish its library's handles as a list).
REASON_HANDLES: dict[str, tuple[str, ...]] = {
    "COLOR": ("color",),
    "DEFECTIVE": ("defective", "damaged-or-defective", "damaged"),
    "NOT_AS_DESCRIBED": ("not-as-described", "item-not-as-described"),
    "OTHER": ("other",),
    "SIZE_TOO_LARGE": ("too-large", "size-too-large"),
    "SIZE_TOO_SMALL": ("too-small", "size-too-small"),
    "STYLE": ("style",),
    "UNKNOWN": (),
    "UNWANTED": ("unwanted", "changed-mind", "no-longer-needed"),
    "WRONG_ITEM": ("wrong-item", "received-wrong-item"),
}


@dataclass(frozen=True)
class Features:
    """What the documents of one version must use."""

    version: str
    refund_method: bool  # orderCancel(refundMethod:) instead of orderCancel(refund:)
    return_reason_definitions: bool  # returnReasonDefinitionId instead of returnReason


def check_api_version(value: object) -> str:
    """``value`` if it is a supported version, else ValueError saying which are.

    Raises:
        ValueError: not a ``YYYY-MM`` string, or a version without a checked schema.
    """
    supported = ", ".join(SUPPORTED_VERSIONS)
    if not isinstance(value, str) or not _SHAPE.fullmatch(value):
        raise ValueError(
            f"Shopify API version {value!r} is not a release name (YYYY-01/04/07/10); "
            f"supported: {supported}"
        )
    if value not in SUPPORTED_VERSIONS:
        raise ValueError(
            f"Shopify API version {value} is not supported (oldest {OLDEST}, newest {NEWEST}: "
            f"{supported}); each supported version is checked against its published schema"
        )
    return value


def features(version: str) -> Features:
    """The differences that matter to the client's documents for ``version``.

    Raises:
        ValueError: ``version`` is not supported.
    """
    check_api_version(version)
    return Features(
        version=version,
        refund_method=version >= "2025-07",
        return_reason_definitions=version >= "2026-01",
    )
