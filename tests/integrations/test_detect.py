"""Carrier detection against the shared tracking-number data and the demo shop."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from integrations.carriers import detect, resolve
from integrations.carriers.detect import candidates, carrier_from_company, normalize
from integrations.sandbox import demo

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "tracking_number_data"
OURS = {"usps", "fedex", "ups", "dhl"}


def _cases() -> list[tuple[str, str, str, str]]:
    """(courier, format, valid|invalid, number) for every test number in the data."""
    if not DATA.is_dir():
        return []
    out = []
    for path in sorted(DATA.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for fmt in data["tracking_numbers"]:
            for kind in ("valid", "invalid"):
                for number in fmt["test_numbers"][kind]:
                    out.append((data["courier_code"], fmt.get("id", fmt["name"]), kind, number))
    return out


CASES = _cases()
needs_data = pytest.mark.skipif(
    not CASES, reason=f"shared tracking-number data not found at {DATA.resolve()}"
)


def _expected(courier: str, kind: str, number: str) -> str | None:
    if kind == "invalid":
        return None
    if courier in OURS:
        return courier
    if courier == "s10":  # international postal numbers: only US-issued ones are USPS's
        return "usps" if normalize(number).endswith("US") else None
    return None  # amazon, ontrac, lasership, canada post: not ours


@needs_data
@pytest.mark.parametrize(("courier", "fmt", "kind", "number"), CASES)
def test_every_shared_test_number_detects_as_expected(courier, fmt, kind, number):
    assert detect(number) == _expected(courier, kind, number)


@needs_data
def test_shared_data_covers_every_carrier_and_both_kinds():
    seen = {(c, k) for c, _, k, _ in CASES}
    for courier in (*OURS, "s10", "amazon", "ontrac", "lasership"):
        assert (courier, "valid") in seen


def _check_digit_formats() -> list[tuple[str, str, int]]:
    """(courier, number, index of its check digit) for formats that have one."""
    skip = {"dhl_express_piece_id", "dhl_ecommerce", "dhl_ecommerce_14"}  # no check digit
    return [
        (courier, number, 27 if fmt == "fedex_astra_32" else -1)  # ASTRA: 4 digits follow
        for courier, fmt, kind, number in CASES
        if kind == "valid" and courier in OURS and fmt not in skip
    ]


def _with_digit(number: str, at: int, digit: str) -> str:
    at = at % len(number)
    return number[:at] + digit + number[at + 1 :]


@needs_data
@pytest.mark.parametrize(("courier", "number", "at"), _check_digit_formats())
def test_a_wrong_check_digit_is_rejected(courier, number, at):
    n = normalize(number)
    accepted = []
    for digit in "0123456789":
        if digit == n[at]:
            continue
        if detect(_with_digit(n, at, digit)) is not None:
            accepted.append(digit)
    # USPS 20-digit numbers are printed with the check digit computed with or without
    # the implied "91" identifier, so exactly one other digit is valid there.
    assert len(accepted) <= (1 if courier == "usps" and len(n) == 20 else 0), accepted


@needs_data
def test_random_bodies_with_a_wrong_check_digit_never_detect():
    rng = random.Random(20240611)
    tried = 0
    for courier, number, at in _check_digit_formats():
        template = normalize(number)
        # USPS has two readings of 20-digit bodies (see above) and of 34-digit routed
        # numbers (ZIP5 + 26 or ZIP+4 + 22): two check digits, both still USPS.
        allowed = 2 if courier == "usps" and len(template) in (20, 34) else 1
        for _ in range(40):
            # keep prefixes (1Z, 420, 9x, letters) so the body stays in its format
            body = template[:3] + "".join(
                str(rng.randrange(10)) if c.isdigit() else c for c in template[3:]
            )
            good = [d for d in "0123456789" if detect(_with_digit(body, at, d)) is not None]
            assert len(good) <= allowed, (body, good)
            assert {detect(_with_digit(body, at, d)) for d in good} <= {courier}
            tried += 10 - len(good)
    assert tried > 1000


@pytest.mark.parametrize(
    ("number", "carrier"),
    [
        (demo.USPS_MARIA, "usps"),
        (demo.USPS_OLIVIA_BLANKET, "usps"),
        (demo.USPS_AVA_UNKNOWN, "usps"),
        (demo.USPS_EMMA_OLD, "usps"),
        (demo.FEDEX_JAMES, "fedex"),
        (demo.UPS_PRIYA, "ups"),
        (demo.UPS_OLIVIA_CANDLES, "ups"),
        (demo.DHL_LUKAS, "dhl"),
    ],
)
def test_demo_tracking_numbers_detect_to_their_carriers(number, carrier):
    assert detect(number) == carrier


def test_every_demo_shipment_and_fulfillment_detects_to_its_carrier():
    shop = demo.build_demo_shop()
    for shipment in shop.shipments:
        assert detect(shipment.tracking_number) == shipment.carrier
    for order in shop.orders:
        for f in order.fulfillments:
            assert detect(f.tracking_number) == f.carrier


@pytest.mark.parametrize(
    "number",
    [
        "9400-1118-9922-3456-7890-17",
        " 1z999aa1 0123456784 ",
        "7721 1834 5670",
        "498-217-3652",
    ],
)
def test_spaces_dashes_and_case_are_ignored(number):
    assert detect(number) is not None


@pytest.mark.parametrize(
    "number",
    [
        "",
        "hello",
        "#1001",
        "000000000000",  # arithmetic works, but no carrier issues it
        "000000000000000",
        "00340434292135100124",  # SSCC with AI 00: many carriers, not USPS
        "RB123456785GB",  # Royal Mail: we don't know who delivers it
        "TBA000000000000",
        "C11031500001879",
        "1Z999AA1012345678",  # one character short
        "9400111899223456789017X",
    ],
)
def test_not_ours_or_not_a_number_is_none(number):
    assert detect(number) is None


def test_usps_routing_prefix_34_digits_never_becomes_fedex():
    number = "4201002334249200190132607600833457"
    assert detect(number) == "usps"
    for d in "012345689":
        assert detect(number[:-1] + d) in (None, "usps")


def test_s10_us_numbers_are_usps():
    assert detect("RB123456785US") == "usps"
    assert detect("RB123456786US") is None


@pytest.mark.parametrize(
    ("company", "carrier"),
    [
        ("USPS", "usps"),
        ("United States Postal Service", "usps"),
        ("FedEx", "fedex"),
        ("FedEx Ground", "fedex"),
        ("UPS", "ups"),
        ("DHL Express", "dhl"),
        ("DHL eCommerce", "dhl"),
        ("Canada Post", None),
        ("Groups Inc", None),
        (None, None),
    ],
)
def test_carrier_from_shopify_company(company, carrier):
    assert carrier_from_company(company) == carrier


def test_resolve_named_and_consistent_number_uses_the_named_carrier():
    assert resolve(demo.UPS_PRIYA, "UPS") == "ups"


def test_resolve_without_company_falls_back_to_detection():
    assert resolve(demo.FEDEX_JAMES, None) == "fedex"
    assert resolve(demo.FEDEX_JAMES, "Other") == "fedex"


def test_resolve_named_carrier_wins_for_unknown_formats():
    assert resolve("RB123456785GB", "USPS") == "usps"  # inbound international mail
    assert resolve("ABC12345678", "FedEx") == "fedex"


def test_resolve_named_carrier_overrides_weak_formats():
    # 14 digits without a check digit look like DHL eCommerce, but the shop says FedEx.
    assert [c.strong for c in candidates("60120172242323")] == [False]
    assert resolve("60120172242323", "FedEx") == "fedex"


def test_resolve_disagreement_asks():
    assert resolve(demo.UPS_PRIYA, "USPS") is None
    assert resolve(demo.USPS_MARIA, "FedEx") is None


def test_resolve_unsupported_named_carrier_asks():
    assert resolve(demo.FEDEX_JAMES, "Canada Post") is None


def test_resolve_rejects_text_that_is_no_tracking_number():
    assert resolve("n/a", "UPS") is None
