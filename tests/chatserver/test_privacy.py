"""Masking personal data in what is kept for training (chatserver.privacy)."""

from __future__ import annotations

import pytest

from chatserver.privacy import PLACEHOLDERS, mask


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        # e-mail addresses
        ("my email is ann.lee+shop@example.co.uk", "my email is <email>"),
        ("ANN@EXAMPLE.COM wrote", "<email> wrote"),
        # order numbers: after '#' or the word "order"
        ("where is order 1042??", "where is order <order_number>??"),
        ("has #1043 shipped yet", "has <order_number> shipped yet"),
        ("Order #1001 please", "Order <order_number> please"),
        ("order number: 20931", "order number <order_number>"),
        ("my order is 1042", "my order is <order_number>"),
        ("commande 55512 pas reçue", "commande <order_number> pas reçue"),
        # tracking numbers: carriers' shapes and long digit runs
        ("tracking 9400111899223456789017", "tracking <tracking_number>"),
        ("ups 1Z999AA10123456784 stuck", "ups <tracking_number> stuck"),
        ("RR123456789US lost", "<tracking_number> lost"),
        ("DHL waybill 1234567890", "DHL waybill <tracking_number>"),
        ("fedex 7489 1234 5678", "fedex <tracking_number>"),
        # payment cards
        ("card 4111 1111 1111 1111 charged twice", "card <card_number> charged twice"),
        ("4111-1111-1111-1111", "<card_number>"),
        ("amex 378282246310005", "amex <card_number>"),
        # phone numbers
        ("call me at (555) 123-4567", "call me at <phone>"),
        ("or 555-123-4567 or 555.123.4567", "or <phone> or <phone>"),
        ("ring +44 20 7946 0958 today", "ring <phone> today"),
        ("my number is 07700 900123", "my number is <phone>"),
        # street addresses
        ("ship to 221B Baker Street, London", "ship to <address>, London"),
        ("ship to 12 main st apt 4B please", "ship to <address> please"),
        ("12 Main St. Apt 4, Springfield", "<address>, Springfield"),
        ("new address: 1600 Pennsylvania Avenue NW", "new address: <address> NW"),
    ],
)
def test_personal_data_is_masked(text, masked):
    assert mask(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "my order is on its way",
        "I paid 49.99 on 2024-11-25 for 3 items",
        "Apt #12 was the wrong door",
        "it's been 10 days and nothing",
        "size 38, 2 pieces, 15% off",
        "",
        "where is my parcel?",
    ],
)
def test_ordinary_wording_is_kept(text):
    assert mask(text) == text


def test_everything_in_one_message():
    text = (
        "Hi, I'm ann@example.com, order #1001 never came (tracking 9400111899223456789017). "
        "Card 4242 4242 4242 4242, phone +1 555 010 9999, 5 Elm Road."
    )
    masked = mask(text)
    for secret in ("ann@example.com", "1001", "94001118", "4242", "555 010", "Elm Road"):
        assert secret not in masked
    assert masked == (
        "Hi, I'm <email>, order <order_number> never came (tracking <tracking_number>). "
        "Card <card_number>, phone <phone>, <address>."
    )


def test_masking_is_idempotent():
    text = "order #1001 to ann@example.com, call (555) 123-4567"
    assert mask(mask(text)) == mask(text)
    assert set(PLACEHOLDERS) >= {"<email>", "<order_number>", "<phone>"}
