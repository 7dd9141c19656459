"""Money and countries as the shop's customers read them (shop.locale, Babel)."""

from __future__ import annotations

import pytest
import yaml

from chatserver.dialogue.actions import Reply
from chatserver.formatting import money, place_name, places
from chatserver.policy import DEFAULT_POLICY_PATH, PolicyError, parse_policy
from chatserver.replies import Renderer


def _policy(**shop_changes):
    raw = yaml.safe_load(DEFAULT_POLICY_PATH.read_text())
    for key, value in shop_changes.items():
        section, name = key.split("__")
        raw[section][name] = value
    return parse_policy(raw)


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "written"),
    [
        ("75.00", "USD", "en_US", "$75.00"),
        ("5.95", "usd", "en_US", "$5.95"),
        ("75", "USD", "en_GB", "US$75.00"),
        ("75.00", "EUR", "de_DE", "75,00\xa0€"),
        ("1234.5", "GBP", "en_GB", "£1,234.50"),
        ("soon", "USD", "en_US", "soon USD"),  # not a number: as written
    ],
)
def test_money_is_written_for_the_locale(amount, currency, locale, written):
    assert money(amount, currency, locale) == written


def test_countries_take_their_article_in_english_and_a_proper_list():
    assert places(["US", "CA", "GB", "EU"]) == (
        "the United States, Canada, the United Kingdom, and the European Union"
    )
    assert places(["US", "GB"], "en_GB") == "the United States and the United Kingdom"
    assert places(["NL", "DE"], "en_US") == "the Netherlands and Germany"
    assert places(["US", "AT"], "de_DE") == "Vereinigte Staaten und Österreich"
    assert place_name("Narnia") == "Narnia"  # not a code: as written


def test_the_shipping_answer_says_where_and_how_much_as_people_write_it():
    text = Renderer(_policy()).render(Reply("shipping_info/answer")).text
    assert text.startswith("We ship to the United States, Canada, the United Kingdom, and")
    assert "free over $75.00" in text and "USD" not in text


def test_a_shop_in_another_locale_and_currency():
    policy = _policy(shop__locale="en_GB", shipping__currency="GBP", shipping__countries=["GB"])
    text = Renderer(policy).render(Reply("shipping_info/answer"), "email").text
    assert "We ship to the United Kingdom." in text and "orders over £75.00" in text


def test_a_refund_total_is_written_in_the_orders_currency():
    context = {"order": "#1", "total": "89.00", "currency": "EUR", "bank_days": "5 to 10"}
    text = Renderer(_policy()).render(Reply("refund_status/refunded", context)).text
    assert "(€89.00)" in text


def test_countries_written_as_a_sentence_still_work_and_a_bad_locale_is_named():
    policy = _policy(shipping__countries="Canada and nowhere else")
    assert policy.countries == "Canada and nowhere else"
    with pytest.raises(PolicyError) as caught:
        _policy(shop__locale="xx_NOWHERE")
    assert caught.value.key == "shop.locale"
    with pytest.raises(PolicyError):
        _policy(shipping__countries=["US", 3])
