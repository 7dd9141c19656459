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


# --- issue 12, finding 9: what was kept in clear ------------------------------------------


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        # a bare order-number answer, and every number of a list
        ("1001", "<order_number>"),
        ("it's 1001.", "it's <order_number>."),
        ("order 1001 and 1002", "order <order_number> and <order_number>"),
        ("#1001, #1002 or 1003", "<order_number>, <order_number> or <order_number>"),
        ("orders 1001 and 1002 both late", "orders <order_number> and <order_number> both late"),
        # e-mail addresses in any script
        ("I'm müller@exämple.de", "I'm <email>"),
        ("用户@例子.公司 wrote", "<email> wrote"),
        ("josé.garcía@correo.es", "<email>"),
        # names, as people introduce and sign themselves
        ("Hi, this is Maria Garcia, my parcel is late", "Hi, this is <name>, my parcel is late"),
        ("my name is Lukas Weber and I ordered", "my name is <name> and I ordered"),
        ("Thanks,\nMaria", "Thanks,\n<name>"),
        ("where is it?\n\nBest regards,\nPriya Patel", "where is it?\n\nBest regards,\n<name>"),
        ("Mrs. Olivia Brown called", "Mrs. <name> called"),
        # street addresses, continental forms and postcodes
        ("ship to Hauptstraße 5, 10115 Berlin", "ship to <address>, <address>"),
        ("12 rue de Rivoli, 75001 Paris", "<address>, <address>"),
        ("Calle Mayor 3, Madrid", "<address>, Madrid"),
        ("Kerkstraat 12a please", "<address> please"),
        ("123 Main St, Springfield, IL 62704", "<address>, Springfield, <address>"),
        ("London SW1A 1AA", "London <address>"),
        ("P.O. Box 123", "<address>"),
    ],
)
def test_what_finding_9_found_in_clear_is_masked(text, masked):
    assert mask(text) == masked
    assert mask(masked) == masked


@pytest.mark.parametrize(
    "text",
    [
        "I'm waiting for 2 weeks",
        "this is ridiculous",
        "my name is on the order",
        "place an order",
        "since 2024",
        "I ordered 3 mugs",
    ],
)
def test_wording_around_names_and_numbers_is_kept(text):
    assert mask(text) == text


async def test_predictions_dashboard_and_export_keep_no_personal_data(tmp_path):
    from chatserver.learning.training_data import examples_of
    from tests.chatserver.harness import World

    world = await World().start()
    try:
        chat = await world.chat()
        said = [
            "where is my order",
            "1001",
            "maria@example.com",
            "and #1002 and 1003 too",
            "my other email is müller@exämple.de",
            "Hi, this is Maria Garcia",
            "ship to Hauptstraße 5, 10115 Berlin",
        ]
        for text in said:
            await chat.say(text)
        kept = []
        for message in await world.service.messages_since(chat.session_id):
            if message.sender == "customer":
                prediction = await world.storage.predictions.get(message.id)
                await world.service.label(message.id, "track_order", "alex")
                kept.append(prediction.text)
        exported = [e.text for e in examples_of(await world.storage.predictions.labelled())]
        since = (await world.storage.stats.activity(world.now.replace(year=2000))).predictions
    finally:
        await world.aclose()
    everything = "\n".join([*kept, *exported, *(p.text for p in since)])
    for secret in ("1001", "1002", "1003", "müller", "Maria", "Garcia", "Hauptstraße", "10115"):
        assert secret not in everything, secret


def test_log_lines_keep_only_the_end_of_tracking_numbers_and_the_start_of_session_ids():
    from chatserver.privacy import shorten

    line = (
        "HTTP Request: GET http://127.0.0.1:8080/sandbox/usps/tracking/v3/tracking/"
        "9400111899223456789017?expand=DETAIL ups 1Z999AA10123456784 fedex 772118345670 "
        "dhl 4982173652 turn failed in session Q3x9kPqL0aZ_7b-fN2m4sT8uVwXyZ1aB"
    )
    short = shorten(line)
    for secret in ("9400111899223456789017", "1Z999AA10123456784", "772118345670",
                   "4982173652", "Q3x9kPqL0aZ_7b-fN2m4sT8uVwXyZ1aB"):  # fmt: skip
        assert secret not in short
    assert "…9017" in short and "1Z…6784" in short and "Q3x9kP…" in short
    assert shorten("GET /healthz 200 in 0.4 ms") == "GET /healthz 200 in 0.4 ms"


def test_every_record_a_handler_writes_is_shortened_even_its_traceback():
    import io
    import logging

    from chatserver.privacy import RedactingFilter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("tests.privacy.redacting")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        # The HTTP client logs each URL it calls, like this:
        logger.info('HTTP Request: GET %s "HTTP/1.1 200 OK"', "/track/9400111899223456789017")
        try:
            raise KeyError("Q3x9kPqL0aZ_7b-fN2m4sT8uVwXyZ1aB")
        except KeyError:
            logger.exception("turn failed in session %s", "Q3x9kPqL0aZ_7b-fN2m4sT8uVwXyZ1aB")
    finally:
        logger.removeHandler(handler)
    written = stream.getvalue()
    assert "9400111899223456789017" not in written and "…9017" in written
    assert "Q3x9kPqL0aZ_7b-fN2m4sT8uVwXyZ1aB" not in written and "Traceback" in written


def test_chatbot_installs_the_filter_on_its_log_handlers():
    import logging

    from chatserver.cli import redact_logs
    from chatserver.privacy import RedactingFilter

    root = logging.getLogger()
    handler = logging.StreamHandler()
    root.addHandler(handler)
    try:
        redact_logs()
        redact_logs()  # once is enough
        assert sum(isinstance(f, RedactingFilter) for f in handler.filters) == 1
    finally:
        root.removeHandler(handler)
