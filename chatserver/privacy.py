"""Mask customers' personal data in text kept for training and insight, and in logs.

``mask(text)`` replaces e-mail addresses (any script), order numbers (a bare number
given as the answer, and every number of a list), tracking numbers, payment card
numbers, phone numbers, names (as people introduce or sign themselves) and street
addresses (US, UK and continental forms, postcodes) with placeholders (``<email>``,
``<order_number>``, ``<tracking_number>``, ``<card_number>``, ``<phone>``, ``<name>``,
``<address>``), keeping the rest of the wording the classifier learns from. It errs on
the side of masking: a long digit run of unknown kind is masked as a tracking number.

Rules, like :mod:`nlu.entities`, not a model; the two agree on what an order or
tracking number looks like, but masking must also catch what the scripts never use.

``shorten(text)`` is for log lines: tracking numbers keep their last four characters
and session ids (and other long random tokens, which are bearer credentials) their
first six; ``RedactingFilter`` applies it to every record a log handler writes.
"""

from __future__ import annotations

import logging
import re

__all__ = ["PLACEHOLDERS", "RedactingFilter", "mask", "shorten"]

PLACEHOLDERS = (
    "<email>",
    "<order_number>",
    "<tracking_number>",
    "<card_number>",
    "<phone>",
    "<name>",
    "<address>",
)

# \w is Unicode: "müller@exämple.de" and "用户@例子.公司" are addresses too.
_EMAIL = re.compile(r"(?<![\w.+-])\w[\w.%+-]{0,63}@\w(?:[\w-]{0,62}\.)+\w{2,24}\b")
_UPS = re.compile(r"\b1Z(?:\s?[0-9A-Z]){16}\b", re.IGNORECASE)
_S10 = re.compile(r"\b[A-Z]{2}\s?[0-9]{3}\s?[0-9]{3}\s?[0-9]{3}\s?[A-Z]{2}\b")
# Digits in groups joined by one space or dash: cards, long tracking numbers, phones.
_RUN = re.compile(r"(?<![\w])\d+(?:[ -]\d+)*(?![\w])")
_ORDER = re.compile(
    r"""
    (?P<lead>
        \b(?:orders?|commandes?|bestellung(?:en)?|pedidos?|ordini|ordine)
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


# A message that is only an order number ("1001", "it's 1001."): the answer to our question.
_BARE_ANSWER = re.compile(
    r"^\W*(?:(?:it'?s|its|is|the|my|number|no\.?|nr\.?|order|here)\s*[:#]?\s*)*"
    r"\#?\s?\d{3,12}\W*$",
    re.IGNORECASE,
)
# More numbers listed after an order number: "#1001 and 1002", "orders 1001, 1002 or 1003".
_LISTED = re.compile(r"(<order_number>(?:\s*(?:,|and|or|&|/|\+|und|et|y)\s*)+)\#?\s?\d{3,12}\b")
_CAP = r"[^\W\d_][\w'’-]*"  # a word; names must start upper-case (checked in _name)
_NAME = rf"{_CAP}(?:[ \t]+{_CAP}){{0,2}}"
_INTRODUCED = re.compile(
    rf"""(?P<lead>\b(?:my\ name\ is|my\ name's|name\s*:|call\ me|signed|je\ m'appelle|
        ich\ heiße|ich\ bin|me\ llamo|mi\ chiamo)\s+)(?P<name>{_NAME})""",
    re.IGNORECASE | re.VERBOSE,
)
# "Hi, this is Maria" / "I'm Maria Lee" at the start of a message (later, "I'm Happy"…).
_SELF = re.compile(
    rf"(?P<lead>^\W*(?:(?:hi|hello|hey|dear\ \w+)\W+)?(?:this\ is|i'?m|i\ am)\s+)(?P<name>{_NAME})",
    re.IGNORECASE | re.VERBOSE,
)
_TITLED = re.compile(
    rf"(?P<lead>\b(?:mr|mrs|ms|miss|mx|dr|herr|frau|mme|mlle|sr|sra)\.?\s+)(?P<name>{_NAME})",
    re.IGNORECASE,
)
_SIGN_OFF = re.compile(
    rf"(?P<lead>\b(?:thanks|thank\ you|many\ thanks|regards|kind\ regards|best\ regards|"
    rf"best\ wishes|best|cheers|sincerely|yours|greetings|danke|merci|gracias|grazie|"
    rf"mit\ freundlichen\ grüßen|cordialement)[,.!]?\s*(?:\n\s*|[,-]\s*|—\s*))"
    rf"(?P<name>{_NAME})\W*$",
    re.IGNORECASE | re.VERBOSE,
)
_DE_STREET = (
    r"straße|strasse|str\.|gasse|weg|allee|platz|ring|damm|ufer|chaussee|"
    r"straat|laan|gracht|plein|vej|gade|gatan|gata|veien"
)
_ADDRESS_AFTER = re.compile(  # "Hauptstraße 5", "Kerkstraat 12a", "Am Ring 3"
    rf"\b[\w-]*(?:{_DE_STREET})\s+\d{{1,5}}\s?[a-z]?\b", re.IGNORECASE
)
_ADDRESS_TYPE_FIRST = re.compile(  # "12 rue de Rivoli", "Calle Mayor 3", "via Roma 10"
    r"\b(?:\d{1,5}[a-z]?,?\s+)?(?:rue|avenue|av\.|boulevard|bd|chemin|allée|impasse|place|"
    r"calle|avenida|carrer|plaza|paseo|via|viale|piazza|corso|rua|travessa)"
    r"(?:\s+(?:de|del|de\ la|des|du|di|della|da|do|dos|das|d'|l')?\s*[^\W\d_][\w'’-]*){1,3}"
    r"(?:\s+\d{1,5}[a-z]?\b)?",
    re.IGNORECASE | re.VERBOSE,
)
_POSTCODE = re.compile(
    r"""\b(?:[A-Z]{2}\s+\d{5}(?:-\d{4})?          # US: state and ZIP
      |[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}          # UK
      |(?:[A-Z]-)?\d{4,5}\s+[^\W\d_][\w-]+        # DE, FR, ES, IT, NL: code and city
      |P\.?\s?O\.?\s+Box\s+\d+)\b""",
    re.VERBOSE,
)


def _name(match: re.Match[str]) -> str:
    """The capitalised words after the lead are the name; the rest is kept."""
    words = re.split(r"([ \t]+)", match.group("name"))
    taken = 0
    while taken < len(words) and words[taken][:1].isupper():
        taken += 2  # the word and the space after it
    if not taken:  # "my name is on the order" names nobody
        return match.group(0)
    return match.group("lead") + "<name>" + "".join(words[taken - 1 :])


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
    while _LISTED.search(text):
        text = _LISTED.sub(r"\1<order_number>", text)
    text = _RUN.sub(_digit_run, text)
    text = _ADDRESS.sub("<address>", text)
    text = _ADDRESS_AFTER.sub("<address>", text)
    text = _ADDRESS_TYPE_FIRST.sub(_street_first, text)
    text = _POSTCODE.sub("<address>", text)
    for pattern in (_INTRODUCED, _SELF, _TITLED, _SIGN_OFF):
        text = pattern.sub(_name, text)
    if _BARE_ANSWER.match(text):  # "1001" on its own: the order number we asked for
        text = re.sub(r"\#?\d{3,12}", "<order_number>", text, count=1)
    return text


def _street_first(match: re.Match[str]) -> str:
    # A street named before its number, or after one: only with a number somewhere.
    return "<address>" if any(c.isdigit() for c in match.group(0)) else match.group(0)


def _card_shaped(text: str) -> bool:
    digits = re.sub(r"\D", "", text)
    return not text.startswith(("+", "(")) and 13 <= len(digits) <= 19


# --- log lines -------------------------------------------------------------------------

_LOG_UPS = re.compile(r"\b1Z[0-9A-Z]{12}([0-9A-Z]{4})\b", re.IGNORECASE)
_LOG_S10 = re.compile(r"\b[A-Z]{2}\d{5}(\d{4}[A-Z]{2})\b")
_LOG_DIGITS = re.compile(r"(?<![\w.])\d{6,}(\d{4})(?![\w])")
# Random tokens (session ids are 32 URL-safe characters, console tokens 43): letters and
# digits mixed, 30 or more (a model version, 24, is left alone).
_LOG_TOKEN = re.compile(r"(?<![\w-])(?=[\w-]*\d)(?=[\w-]*[A-Za-z])([\w-]{6})[\w-]{24,}(?![\w-])")


def shorten(text: str) -> str:
    """``text`` for a log line: tracking numbers as ``…6789`` (their last four), session
    ids and other long random tokens as ``AbC12x…`` (their first six)."""
    text = _LOG_UPS.sub(r"1Z…\1", text)
    text = _LOG_S10.sub(r"…\1", text)
    text = _LOG_DIGITS.sub(r"…\1", text)
    return _LOG_TOKEN.sub(r"\1…", text)


class RedactingFilter(logging.Filter):
    """Shortens tracking numbers and session ids in every record a handler writes
    (``chatbot`` installs it on its log handlers; the HTTP clients log each URL)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        short = shorten(message)
        if short != message:
            record.msg, record.args = short, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = shorten(record.exc_text)
        return True
