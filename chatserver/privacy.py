"""Mask customers' personal data in text kept for training and insight.

``mask(text)`` replaces e-mail addresses, order numbers, tracking numbers, payment card
numbers, phone numbers and street addresses with placeholders (``<email>``,
``<order_number>``, ``<tracking_number>``, ``<card_number>``, ``<phone>``,
``<address>``), keeping the rest of the wording the classifier learns from. It errs on
the side of masking: a long digit run of unknown kind is masked as a tracking number.

Rules, like :mod:`nlu.entities`, not a model; the two agree on what an order or
tracking number looks like, but masking must also catch what the scripts never use.
"""

from __future__ import annotations

import re

__all__ = ["PLACEHOLDERS", "mask"]

PLACEHOLDERS = (
    "<email>",
    "<order_number>",
    "<tracking_number>",
    "<card_number>",
    "<phone>",
    "<address>",
)

_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.)+[A-Za-z]{2,24}\b"
)
_UPS = re.compile(r"\b1Z(?:\s?[0-9A-Z]){16}\b", re.IGNORECASE)
_S10 = re.compile(r"\b[A-Z]{2}\s?[0-9]{3}\s?[0-9]{3}\s?[0-9]{3}\s?[A-Z]{2}\b")
# Digits in groups joined by one space or dash: cards, long tracking numbers, phones.
_RUN = re.compile(r"(?<![\w])\d+(?:[ -]\d+)*(?![\w])")
_ORDER = re.compile(
    r"""
    (?P<lead>
        \b(?:order|commande|bestellung|pedido|ordine)
        (?:\s*(?:no\.?|nr\.?|num\.?|number|numero|nummer|id|ref\.?|reference|\#))?
        (?:\s+(?:is|was))?
        \s*[:\#]?\s*
    )
    \#?(?P<number>[0-9]{3,12})\b
    | (?<![\w&\#])\#\s?(?P<bare>[0-9]{3,12})\b
    """,
    re.IGNORECASE | re.VERBOSE,
)
_NOT_ORDER_BEFORE = re.compile(
    r"\b(?:apt|apartment|suite|ste|unit|room|rm|floor|fl|box|building|bldg|flat)\.?\s*$",
    re.IGNORECASE,
)
_PHONE = re.compile(
    r"""
    (?<![\w+])
    (?:
        (?:\+|00)\d{1,3}[\s.-]?(?:\(\d{1,4}\)[\s.-]?)?\d{1,4}(?:[\s.-]?\d{2,4}){1,4}
      | \(\d{3}\)\s?\d{3}[\s.-]?\d{4}
      | \d{3}[.-]\d{3}[.-]\d{4}
      | \d{3}\s\d{3}\s\d{4}
    )
    (?!\w)
    """,
    re.VERBOSE,
)
_PHONE_CONTEXT = re.compile(
    r"\b(?:tel|telephone|phone|call|mobile|cell|fax|whatsapp|sms|text me|mob|number)\b(?:\s+(?:is|was|at))?\W*$",
    re.IGNORECASE,
)
_STREET = (
    r"street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|"
    r"terrace|highway|hwy|parkway|pkwy|crescent|strasse|straße"
)
_ADDRESS = re.compile(
    rf"""
    \b\d{{1,5}}[A-Za-z]?\s+
    (?:[A-Za-z][\w'.-]*\s+){{1,4}}
    (?:{_STREET})\b
    (?:[.,]?\s*(?:apt|apartment|suite|ste|unit|flat|\#)\.?\s*\#?\w+)?
    """,
    re.IGNORECASE | re.VERBOSE,
)


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _digit_run(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = re.sub(r"\D", "", text)
    before = match.string[max(0, match.start() - 40) : match.start()]
    if len(digits) == 16 or (13 <= len(digits) <= 19 and _luhn(digits)):
        return "<card_number>"
    if _PHONE_CONTEXT.search(before) and 7 <= len(digits) <= 15:
        return "<phone>"
    if len(digits) >= 10:
        return "<tracking_number>"
    return text


def _order(match: re.Match[str]) -> str:
    if match.group("bare") is not None:
        if _NOT_ORDER_BEFORE.search(match.string, 0, match.start()):
            return match.group(0)
        return "<order_number>"
    return re.sub(r"[\s:#]+$", "", match.group("lead")) + " <order_number>"


def mask(text: str) -> str:
    """``text`` with personal data replaced by placeholders.

    >>> mask("Order #1001 for ann@example.com, call +1 555 010 9999")
    'Order <order_number> for <email>, call <phone>'
    """
    text = _EMAIL.sub("<email>", text)
    text = _UPS.sub("<tracking_number>", text)
    text = _S10.sub("<tracking_number>", text)
    text = _PHONE.sub(lambda m: "<card_number>" if _card_shaped(m.group(0)) else "<phone>", text)
    text = _ORDER.sub(_order, text)
    text = _RUN.sub(_digit_run, text)
    return _ADDRESS.sub("<address>", text)


def _card_shaped(text: str) -> bool:
    digits = re.sub(r"\D", "", text)
    return not text.startswith(("+", "(")) and 13 <= len(digits) <= 19
