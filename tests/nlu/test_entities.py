"""extract(): e-mails, order numbers and tracking numbers, and what they are not."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlu.entities import ENTITY_TYPES, Entity, extract


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("where is #1001?", [Entity("order_number", "#1001")]),
        ("my order 1001 is late", [Entity("order_number", "#1001")]),
        ("Order no. 1001", [Entity("order_number", "#1001")]),
        ("order number: 20571", [Entity("order_number", "#20571")]),
        ("my order number is 1002", [Entity("order_number", "#1002")]),
        ("tracking 1Z 999 AA1 01 2345 6784", [Entity("tracking_number", "1Z999AA10123456784")]),
        ("it's EA123456789US", [Entity("tracking_number", "EA123456789US")]),
        ("USPS 9400 1000 0000 0000 0000 00", [Entity("tracking_number", "9400100000000000000000")]),
        ("fedex 123456789012", [Entity("tracking_number", "123456789012")]),
        ("DHL tracking 1234567890", [Entity("tracking_number", "1234567890")]),
        (
            "write to jo.smith+shop@mail.example.co.uk.",
            [Entity("email", "jo.smith+shop@mail.example.co.uk")],
        ),
    ],
)
def test_finds_and_normalises(text: str, expected: list[Entity]) -> None:
    assert extract(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "call me on 555 123 4567",
        "my number is +1 555 123 4567",
        "phone: +44 20 7946 0958",
        "it cost $1001.50",
        "I paid 1001 USD",
        "delivered on 2024-01-05",
        "ordered on 12/05/2024",
        "zip code 90210",
        "ship to apt #305",
        "I ordered 3 items",
        "an order of 1000 units",
        "card 4111 1111 1111 1111",
        "1234567890",
    ],
)
def test_ignores_phones_prices_dates_zips_and_cards(text: str) -> None:
    assert extract(text) == []


def test_keeps_order_of_appearance_and_drops_repeats() -> None:
    text = "order #1002 and #1001, again #1002; mail a@b.example"
    assert extract(text) == [
        Entity("order_number", "#1002"),
        Entity("order_number", "#1001"),
        Entity("email", "a@b.example"),
    ]


def test_digits_in_an_email_address_are_not_numbers() -> None:
    assert extract("order1234567890123@shop.example") == [
        Entity("email", "order1234567890123@shop.example")
    ]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300))
def test_any_text_gives_well_formed_entities(text: str) -> None:
    for entity in extract(text):
        assert entity.type in ENTITY_TYPES
        assert entity.value and " " not in entity.value
        if entity.type == "order_number":
            assert entity.value[0] == "#" and entity.value[1:].isdigit()
