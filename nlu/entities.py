"""Entities the scripts need: e-mail addresses, order numbers, tracking numbers.

Rules, not a model: the formats are few and fixed, and a wrong order number is
worse than none. An order number needs a ``#`` or the word "order" before it;
a tracking number must have a carrier's shape. Phone numbers, prices, dates
and zip codes are therefore not taken for either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["ENTITY_TYPES", "Entity", "extract"]

ENTITY_TYPES = ("email", "order_number", "tracking_number")


@dataclass(frozen=True, slots=True)
class Entity:
    """One entity found in a message, its value normalised (``#1001``, no spaces)."""

    type: str
    value: str


_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.)+[A-Za-z]{2,24}\b"
)

# "#1001", "order 1001", "order no. 1001", "order number: #1001", "my order is 1001"
_ORDER = re.compile(
    r"""
    (?:
        \b(?:order|commande|bestellung|pedido|ordine)
        (?:\s*(?:no\.?|nr\.?|num\.?|number|numero|nummer|id|ref\.?|reference|\#))?
        (?:\s+(?:is|was))?
        \s*[:\#]?\s*\#?
      | (?<![\w&\#])\#\s?
    )
    (?P<number>[0-9]{3,12})
    (?![0-9\w]|[.,/:-][0-9]|\s*(?:%|usd|eur|gbp|dollars?|euros?|pounds?|items?|pieces?|units?|pcs)\b)
    """,
    re.IGNORECASE | re.VERBOSE,
)
# A "#" after these words is an address or a box, not an order.
_NOT_ORDER_BEFORE = re.compile(
    r"\b(?:apt|apartment|suite|ste|unit|room|rm|floor|fl|box|building|bldg|flat|no)\.?\s*$",
    re.IGNORECASE,
)

_UPS = re.compile(r"\b1Z(?:\s?[0-9A-Z]){16}\b", re.IGNORECASE)
# UPU S10: two letters, eight digits and a check digit, two letters (country).
_S10 = re.compile(r"\b[A-Z]{2}\s?[0-9]{3}\s?[0-9]{3}\s?[0-9]{3}\s?[A-Z]{2}\b")
# Digit runs joined by single spaces, not glued to other digits, signs or decimals.
_DIGITS = re.compile(r"(?<![\w+$€£#.,/-])[0-9]+(?: [0-9]+)*(?![\w%$€£]|[.,/-][0-9])")
# FedEx 12/15/20/22, USPS 20/22/26/30/34, DHL eCommerce 14..; 16 is left to payment cards.
_TRACKING_LENGTHS = frozenset({12, 14, 15, 18, 20, 22, 26, 30, 34})
# DHL Express waybills are 10 digits, like a phone number: only taken after such a word.
_SHORT_TRACKING_LENGTHS = frozenset({10, 11})
_TRACKING_CONTEXT = re.compile(
    r"\b(?:track\w*|dhl|waybill|awb|parcel|shipment|package|consignment|sendung\w*|colis|suivi)\b",
    re.IGNORECASE,
)
_PHONE_CONTEXT = re.compile(
    r"\b(?:tel|telephone|phone|call|mobile|cell|fax|whatsapp|sms|text me|mob)\b\W*$",
    re.IGNORECASE,
)


def extract(text: str) -> list[Entity]:
    """Find entities in a (cleaned) message, in order of appearance, without repeats."""
    found: list[tuple[int, Entity]] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in taken)

    def add(start: int, end: int, entity: Entity) -> None:
        taken.append((start, end))
        found.append((start, entity))

    for m in _EMAIL.finditer(text):
        add(m.start(), m.end(), Entity("email", m.group(0).rstrip(".")))

    for m in _UPS.finditer(text):
        if free(m.start(), m.end()):
            add(m.start(), m.end(), Entity("tracking_number", _compact(m.group(0)).upper()))
    for m in _S10.finditer(text):
        if free(m.start(), m.end()):
            add(m.start(), m.end(), Entity("tracking_number", _compact(m.group(0))))

    for m in _ORDER.finditer(text):
        start, end = m.span("number")
        if not free(m.start(), end) or _NOT_ORDER_BEFORE.search(text, 0, m.start()):
            continue
        add(start, end, Entity("order_number", "#" + m.group("number")))

    for m in _DIGITS.finditer(text):
        if not free(m.start(), m.end()):
            continue
        digits = _compact(m.group(0))
        before = text[max(0, m.start() - 40) : m.start()]
        if _PHONE_CONTEXT.search(before) or digits.startswith("00"):
            continue
        if len(digits) in _TRACKING_LENGTHS or (
            len(digits) in _SHORT_TRACKING_LENGTHS and _TRACKING_CONTEXT.search(before)
        ):
            add(m.start(), m.end(), Entity("tracking_number", digits))

    found.sort(key=lambda item: item[0])
    seen: set[Entity] = set()
    result = []
    for _, entity in found:
        if entity not in seen:
            seen.add(entity)
            result.append(entity)
    return result


def _compact(value: str) -> str:
    return "".join(value.split())
