"""A proven identity lasts only as long as its proof (issue 12, findings 3 and 8).

Before: once proven, an email stayed verified for the life of the session: an identity
valid for 4 s still gave order data a minute later, and a page with no identity showed
the previous customer's order. And the signed email was lower-cased with Unicode rules
after it was verified, so one signed for ``lu\\u212aas@…`` (Kelvin sign) acted as ``lukas@…``.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from chatserver.identity import sign_identity, verify_identity
from tests.chatserver.harness import NOW, World

SECRET = "shop-secret"  # the harness's identity secret
MARIA_PARCEL = "9400111899223456789017"
LUKAS_PARCEL = "4982173652"


def signed(email: str, seconds: int = 3600) -> dict:
    expires = int(NOW.timestamp()) + seconds
    return {"email": email, "expires": expires, "signature": sign_identity(SECRET, email, expires)}


@pytest.fixture
async def world():
    w = await World().start()
    yield w
    await w.aclose()


async def test_an_expired_identity_gives_no_more_order_data(world):
    chat = await world.chat(identity=signed("maria@example.com", seconds=4))
    assert MARIA_PARCEL in await chat.say("has my order shipped?")
    world.now += timedelta(minutes=1)  # the same identity, now expired
    reply = await chat.say("has my order shipped?")
    assert MARIA_PARCEL not in reply and "email address" in reply


async def test_a_page_without_the_identity_does_not_see_the_last_customers_order(world):
    chat = await world.chat(identity=signed("maria@example.com"))
    assert MARIA_PARCEL in await chat.say("has my order shipped?")
    chat.identity = None  # the next visitor of the same browser: no identity on the page
    reply = await chat.say("has my order shipped?")
    assert MARIA_PARCEL not in reply and "#1001" not in reply
    state = (await world.service.get_session(chat.session_id)).state
    assert state.slots.verified_email is None and state.slots.verified_order is None


async def test_another_customers_identity_sees_only_their_own_order(world):
    chat = await world.chat(identity=signed("maria@example.com"))
    assert MARIA_PARCEL in await chat.say("has my order shipped?")
    chat.identity = signed("lukas@example.com")
    reply = await chat.say("where is my order")
    assert LUKAS_PARCEL in reply and MARIA_PARCEL not in reply


async def test_an_order_proven_in_the_chat_stays_proven_without_an_identity(world):
    chat = await world.chat()
    await chat.say("where is my order")
    assert MARIA_PARCEL in await chat.say("maria@example.com #1001")
    assert MARIA_PARCEL in await chat.say("where is my order")


async def test_a_chat_idle_past_the_expiry_is_not_resumed_and_forgets_its_proof(world):
    chat = await world.chat()
    await chat.say("where is my order")
    assert MARIA_PARCEL in await chat.say("maria@example.com #1001")
    world.now += timedelta(minutes=61)  # the shipped default: 60 minutes
    resumed = await world.service.open_session("chat", chat.session_id)
    assert resumed.id != chat.session_id
    # A socket kept open that long still talks to the old session: it must prove again.
    reply = await chat.say("where is my order")
    assert MARIA_PARCEL not in reply and "email address" in reply


async def test_a_chat_in_use_is_resumed(world):
    chat = await world.chat()
    await chat.say("hello")
    world.now += timedelta(minutes=59)
    assert (await world.service.open_session("chat", chat.session_id)).id == chat.session_id


async def test_an_identity_signed_for_a_look_alike_email_acts_for_nobody(world):
    kelvin = "lu\u212aas@example.com"  # KELVIN SIGN, which NFKC and casefold turn into k
    chat = await world.chat(identity=signed(kelvin))
    reply = await chat.say("where is my order")
    assert LUKAS_PARCEL not in reply and "email address" in reply


@pytest.mark.parametrize(
    ("email", "acted_on"),
    [
        ("lukas@example.com", "lukas@example.com"),
        ("Lukas@Example.COM", "lukas@example.com"),  # ASCII case only
        ("lu\u212aas@example.com", None),  # Kelvin sign
        ("lukas@ｅxample.com", None),  # full-width letter
        ("lukas\uff20example.com", None),  # full-width @
        ("ſam@example.com", None),  # long s: casefolds to s
        ("müller@example.de", "müller@example.de"),  # already normal: kept exactly
        ("MÜLLER@example.de", None),  # would need Unicode lower-casing
        (" lukas@example.com", None),
        ("lukas@example.com\u200b", None),  # zero-width space
        ("a@b@example.com", None),
        ("", None),
    ],
)
def test_the_server_acts_on_exactly_the_signed_email(email, acted_on):
    assert verify_identity(signed(email), SECRET, NOW) == acted_on
    from chatserver.identity import exact_email  # the rule, also for the email requester

    assert exact_email(email) == acted_on


@pytest.mark.parametrize("signature", ["é" * 64, "\ud800", "ＡＢ", ""])
def test_odd_signatures_are_simply_not_identities(signature):
    identity = {"email": "maria@example.com", "expires": int(NOW.timestamp()) + 60}
    assert verify_identity({**identity, "signature": signature}, SECRET, NOW) is None


async def test_an_odd_signature_in_a_chat_is_answered_not_failed(world):
    chat = await world.chat(identity={"email": "maria@example.com", "expires": 1, "signature": "é"})
    reply = await chat.say("where is my order")
    assert "email address" in reply
