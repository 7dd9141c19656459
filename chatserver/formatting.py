"""Money, country lists and locales, written the way the shop's customers read them (Babel's
CLDR data): ``money("75.00", "USD", "en_US")`` is "$75.00", ``places(["US", "CA", "GB"],
"en_US")`` is "the United States, Canada, and the United Kingdom".

Babel names countries and regions without articles; English needs one before some names
("the United States", "the Netherlands"), added here for English locales. The replies
themselves are English (``templates/``), so other locales get the names in their own
language without articles.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from babel import Locale, UnknownLocaleError
from babel.lists import format_list
from babel.numbers import format_currency

__all__ = ["DEFAULT_LOCALE", "money", "parse_locale", "place_name", "places"]

DEFAULT_LOCALE = "en_US"
# English country and region names said with "the" (CLDR names, as Babel gives them).
_THE = frozenset(
    {"US", "GB", "EU", "NL", "PH", "AE", "BS", "GM", "MV", "CF", "DO", "KY", "VG", "VI",
     "FO", "FK", "MH", "SB", "TC", "CK", "UM", "VA", "KM", "SC", "CD", "CG", "CZ"}
)  # fmt: skip
_THE_WORDS = ("Islands", "Republic", "Kingdom", "States", "Emirates")


def parse_locale(name: str) -> Locale:
    """A Babel locale from ``en_US`` or ``en-US``.

    Raises:
        ValueError: not a locale Babel knows.
    """
    try:
        return Locale.parse(str(name).replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError) as exc:
        raise ValueError(f"unknown locale {name!r} (expected e.g. en_US, en_GB, de_DE)") from exc


def place_name(code: str, locale: str = DEFAULT_LOCALE) -> str:
    """A country or region (ISO 3166 code, or ``EU``) as the locale names it; text that is
    not a known code is returned as written."""
    loc = parse_locale(locale)
    name = loc.territories.get(code.strip().upper())
    if name is None:
        return code.strip()
    if loc.language == "en" and (code.upper() in _THE or any(word in name for word in _THE_WORDS)):
        return f"the {name}"
    return str(name)


def places(codes: Sequence[str], locale: str = DEFAULT_LOCALE) -> str:
    """Countries and regions as one phrase: "the United States, Canada, and the United Kingdom"."""
    return format_list([place_name(c, locale) for c in codes], locale=parse_locale(locale))


def money(amount: object, currency: str | None, locale: str = DEFAULT_LOCALE) -> str:
    """An amount in a currency as the locale writes it ("$75.00", "75,00 €"); an amount
    that is not a number is returned as written, with the currency code after it."""
    try:
        value = Decimal(str(amount).strip())
    except InvalidOperation:
        return f"{amount} {currency or ''}".strip()
    if not currency:
        return str(value)
    return str(format_currency(value, currency.upper(), locale=parse_locale(locale)))
