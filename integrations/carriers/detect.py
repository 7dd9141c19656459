"""Which carrier a tracking number belongs to, from its format and check digit.

Precision matters more than recall: a wrong carrier is worse than asking the
customer, so anything ambiguous or unverifiable returns ``None``.

Formats recognised (after removing spaces and dashes, upper-cased):

USPS
    IMpb 22/26/30 digits with application identifier 92/93/94/95 (91 for the
    22-digit legacy form), GS1 mod 10; optionally preceded by the ``420`` + ZIP5
    or ZIP+4 routing prefix (28..34 digits); legacy 20 digits without the AI
    (the check digit is accepted with or without the implied ``91``: both
    conventions are printed, so a 20-digit body has two valid check digits);
    S10 international numbers ending in ``US``.
FedEx
    Express 12 (mod 11, weights 3-1-7), Ground 15 (mod 10), Ground 96 22-digit
    (mod 10 over the 14-digit serial), SSCC-18, Express 34 and Ground GSN 34
    (mod 11 over the last 14), legacy ASTRA 32.
UPS
    ``1Z`` + 15 characters + check digit (mod 10, letters as (ord-3) % 10);
    waybills H/J/K/T/V + 9 digits + check digit.
DHL
    Express 10/11 digits (mod 7), Express piece IDs ``J`` + 2-3 letters + 9-10
    digits, eCommerce ``GM`` + 10-39 characters, eCommerce 14 digits.

Decisions on collisions (write them down, they are the point of this module):

* Lengths never overlap between carriers except where noted, because the
  all-digit formats are 10/11 (DHL), 12 (FedEx), 14 (DHL), 15 (FedEx),
  18 (FedEx SSCC; UPS 18 has letters), 20/22/26/28/30/32/34 (USPS) and
  22 (FedEx ``96``), 32 (FedEx ASTRA, starts with 3), 34 (FedEx, no ``420``).
* 22 digits: ``96`` is FedEx Ground, ``91``-``95`` is USPS; disjoint prefixes.
* 34 digits beginning ``420``: the USPS routing prefix. FedEx Express 34 is
  only considered for numbers that do not start with ``420``, so a USPS number
  with a mistyped check digit cannot turn into a FedEx one (it becomes None).
* 20 digits beginning ``00``: the GS1 SSCC application identifier (DHL Parcel
  and many others print SSCCs this way), not a USPS service type -> None.
* S10 shape (2 letters, 9 digits, 2 letters) is decided by S10 rules only:
  ``US`` -> USPS, any other country -> None (we don't know who delivers it),
  even where the prefix looks like DHL eCommerce (``GM``...).
* UPS waybills starting ``A`` collide with Amazon International (A/F/C + 10
  digits, no check digit), so only H, J, K, T and V are accepted.
* DHL eCommerce prefixes other than ``GM`` (LX, RX, UV, CN, SG, TH, IN, HK, MY)
  are shared with LaserShip and postal S10 services and carry no check digit,
  so they are not recognised.
* Degenerate all-digit numbers (fewer than three distinct digits, e.g. ``000000000000``)
  are rejected even when the arithmetic works out.
* "Weak" formats carry no check digit or a weak one (DHL 14 digits, DHL mod 7,
  the generic GS1 SSCC-18): :func:`detect` still reports them, but
  :func:`resolve` lets the carrier named on the fulfillment override them.

Other carriers in the shared test data (Amazon, OnTrac, LaserShip, Canada Post,
non-US S10) all detect as None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Detection", "candidates", "carrier_from_company", "detect", "normalize", "resolve"]

CARRIERS = ("usps", "fedex", "ups", "dhl")


@dataclass(frozen=True)
class Detection:
    carrier: str
    format: str
    strong: bool = True  # False: no or weak check digit, a named carrier may override


def normalize(number: str) -> str:
    """Upper-cased, without spaces and dashes."""
    return re.sub(r"[\s\-]+", "", number or "").upper()


# --- check-digit algorithms (tracking_number_data/CHECKSUM_ALGORITHMS.md) ----------


def _char_value(c: str) -> int:
    return int(c) if c.isdigit() else (ord(c) - 3) % 10


def _mod10(seq: str, check: str, *, evens: int = 1, odds: int = 1, reverse: bool = False) -> bool:
    chars = seq[::-1] if reverse else seq
    total = 0
    for i, c in enumerate(chars):
        x = _char_value(c)
        total += x * (odds if i % 2 else evens)
    expected = (10 - total % 10) % 10
    return check.isdigit() and expected == int(check)


def _gs1(number: str) -> bool:
    """GS1 mod 10 over a whole number whose last digit is the check digit."""
    return _mod10(number[:-1], number[-1], evens=3, odds=1, reverse=True)


def _weighted(seq: str, check: str, weights: tuple[int, ...]) -> bool:
    total = sum(int(a) * b for a, b in zip(seq, weights, strict=True))
    return total % 11 % 10 == int(check)


_W317 = (3, 1, 7, 3, 1, 7, 3, 1, 7, 3, 1)
_W173 = (1, 7, 3, 1, 7, 3, 1, 7, 3, 1, 7, 3, 1)


def _s10(seq: str, check: str) -> bool:
    total = sum(int(a) * b for a, b in zip(seq, (8, 6, 4, 2, 3, 5, 9, 7), strict=True))
    remainder = total % 11
    expected = 0 if remainder == 1 else 5 if remainder == 0 else 11 - remainder
    return expected == int(check)


def _mod7(seq: str, check: str) -> bool:
    return int(seq) % 7 == int(check)


# --- per carrier ---------------------------------------------------------------


def _usps_body(d: str) -> str | None:
    """The format name of a USPS number without routing prefix, or None."""
    n = len(d)
    if n == 20:
        if d.startswith("00"):
            return None
        if _mod10(d[:19], d[19], evens=3) or _mod10("91" + d[:19], d[19], evens=3):
            return "usps_20"
        return None
    if n not in (22, 26, 30) or not _gs1(d):
        return None
    ai, shipper_first = d[:2], d[5]
    if ai == "91":
        return "usps_legacy" if n == 22 else None
    if ai == "94":
        # 9-digit mailer IDs start with 9 (packages 7/11/15), 6-digit ones 0-8 (10/14).
        return "usps_impb" if n in (22, 26) or shipper_first == "9" else None
    if ai == "92":
        return "usps_impb" if n in (22, 26) and shipper_first == "9" else None
    if ai == "93":
        return "usps_impb" if n in (22, 26) and shipper_first != "9" else None
    if ai == "95":
        return "usps_impb" if n in (22, 26) else None
    return None


def _usps(d: str) -> str | None:
    if d.startswith("420"):
        for zip_len in (5, 9):
            rest = d[3 + zip_len :]
            if len(rest) >= 20 and (fmt := _usps_body(rest)):
                return fmt + "_routed"
        return None
    return _usps_body(d)


_S10 = re.compile(r"[A-Z]{2}\d{9}[A-Z]{2}")


def _fedex(d: str) -> Detection | None:
    n = len(d)
    if n == 12 and _weighted(d[:11], d[11], _W317):
        return Detection("fedex", "fedex_12")
    if n == 15 and _mod10(d[:14], d[14], evens=1, odds=3):
        return Detection("fedex", "fedex_ground")
    if n == 18 and _mod10(d[2:17], d[17], evens=3, odds=1):
        return Detection("fedex", "fedex_sscc_18", strong=False)
    if n == 22 and d.startswith("96") and _mod10(d[7:21], d[21], evens=1, odds=3):
        return Detection("fedex", "fedex_ground_96")
    if n == 32 and d.startswith("3") and _weighted(d[16:27], d[27], _W317):
        return Detection("fedex", "fedex_astra_32")
    if (
        n == 34
        and (d.startswith("96") or (d[0] != "9" and not d.startswith("420")))
        and _weighted(d[20:33], d[33], _W173)
    ):
        return Detection("fedex", "fedex_34")
    return None


_UPS_1Z = re.compile(r"1Z[A-Z0-9]{15}\d")
_UPS_WAYBILL = re.compile(r"[HJKTV]\d{10}")


def _ups(d: str) -> Detection | None:
    if _UPS_1Z.fullmatch(d) and _mod10(d[2:17], d[17], evens=1, odds=2):
        return Detection("ups", "ups_1z")
    if _UPS_WAYBILL.fullmatch(d) and _mod10(d[1:10], d[10], evens=1, odds=2):
        return Detection("ups", "ups_waybill")
    return None


_DHL_PIECE = re.compile(r"J[A-Z]{2,3}\d{9,10}")
_DHL_GM = re.compile(r"GM(?=[A-Z]*\d)[0-9A-Z]{10,39}")


def _dhl(d: str) -> Detection | None:
    if d.isdigit():
        if len(d) in (10, 11) and _mod7(d[:-1], d[-1]):
            return Detection("dhl", "dhl_express", strong=False)
        if len(d) == 14:
            return Detection("dhl", "dhl_ecommerce_14", strong=False)
        return None
    if _DHL_PIECE.fullmatch(d):
        return Detection("dhl", "dhl_express_piece_id")
    if _DHL_GM.fullmatch(d):
        return Detection("dhl", "dhl_ecommerce")
    return None


def candidates(number: str) -> list[Detection]:
    """Every carrier format the number validates as (usually zero or one)."""
    d = normalize(number)
    if not re.fullmatch(r"[A-Z0-9]{10,40}", d):
        return []
    if _S10.fullmatch(d):
        ok = _s10(d[2:10], d[10]) and len(set(d[2:11])) >= 3
        return [Detection("usps", "s10")] if ok and d.endswith("US") else []
    if d.isdigit() and len(set(d)) < 3:
        return []
    found: list[Detection] = []
    if d.isdigit() and (fmt := _usps(d)):
        found.append(Detection("usps", fmt))
    if d.isdigit() and (hit := _fedex(d)):
        found.append(hit)
    for check in (_ups, _dhl):
        if hit := check(d):
            found.append(hit)
    return found


def detect(number: str) -> str | None:
    """``"usps"``, ``"fedex"``, ``"ups"`` or ``"dhl"`` for a valid number, else None.

    None also when formats of two carriers both validate: asking beats guessing.
    """
    carriers = {c.carrier for c in candidates(number)}
    return carriers.pop() if len(carriers) == 1 else None


_COMPANY_WORDS = {
    "usps": ("usps", "united states postal", "u.s. postal", "us postal"),
    "fedex": ("fedex", "federal express"),
    "ups": ("ups", "united parcel service"),
    "dhl": ("dhl",),
}
_UNNAMED = {"", "other", "others", "unknown", "none", "n/a"}


def carrier_from_company(company: str | None) -> str | None:
    """Our carrier key for a Shopify ``trackingInfo.company`` ("FedEx", "DHL Express"...)."""
    text = re.sub(r"\s+", " ", (company or "").strip().lower())
    for carrier, words in _COMPANY_WORDS.items():
        if any(re.search(rf"(?<![a-z]){re.escape(w)}(?![a-z])", text) for w in words):
            return carrier
    return None


def resolve(number: str, shopify_company: str | None) -> str | None:
    """The carrier to ask about ``number``, given the company the shop recorded.

    * No company (or "Other"): :func:`detect`.
    * A company we support: it wins unless the number is clearly (a format with
      a real check digit) another carrier's, in which case None (ask).
    * A company we don't support ("Canada Post", "OnTrac"...): None, even if the
      number happens to validate as one of ours.
    """
    named = carrier_from_company(shopify_company)
    company = (shopify_company or "").strip().lower()
    if named is None:
        return detect(number) if company in _UNNAMED else None
    if not re.fullmatch(r"[A-Z0-9]{6,40}", normalize(number)):
        return None
    strong = {c.carrier for c in candidates(number) if c.strong}
    if not strong or strong == {named}:
        return named
    return None
