"""The cases of issue 13, on the project's model: the ask, not the backstory; two asks;
answers read as answers; closings and upset customers."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlu.engine import DEFAULT_MODEL_DIR, NLU

PROJECT_TRAIN = Path(__file__).resolve().parents[2] / "nlu" / "data" / "train"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> NLU:
    """The installed model (`make model`), or one trained now if it predates asks and acts."""
    try:
        nlu = NLU.load(DEFAULT_MODEL_DIR)
        if nlu.acts is not None and nlu.ask_weight > 0:
            return nlu
    except Exception:
        pass
    from nlu.dataset import load_examples
    from nlu.train import fit, save_trained

    directory = tmp_path_factory.mktemp("project-model")
    save_trained(fit(load_examples(PROJECT_TRAIN), grid=None), directory)
    return NLU.load(directory)


FOUNDING = (
    "I bought a wrap dress from your store this week. I can see the charge on my credit card "
    "but I never got a confirmation email or any information about shipping. Could you tell "
    "me if it has shipped?"
)


@pytest.mark.parametrize("channel", ["chat", "email"])
def test_the_founding_case_is_read_for_its_ask(project: NLU, channel: str) -> None:
    text = FOUNDING if channel == "chat" else f"Hello,\n\n{FOUNDING}\n\nThanks,\nMaria\n"
    p = project.parse(text, channel=channel)
    assert (p.intent, p.escalate) == ("track_order", False)
    assert [a.intent for a in p.asks] == ["track_order"]
    assert p.asks[0].text == "Could you tell me if it has shipped?"


def test_a_late_order_with_a_conditional_cancel_is_status_first_then_the_cancel(
    project: NLU,
) -> None:
    p = project.parse(
        "paid a week ago, still not shipped although you promise 2 days, cancel it if you "
        "can't ship"
    )
    assert p.intent == "track_order"
    assert [(a.intent, a.conditional) for a in p.asks] == [
        ("track_order", False),
        ("cancel_order", True),
    ]
    assert p.asks[1].text == "cancel it if you can't ship"


def test_two_questions_give_two_asks_in_order(project: NLU) -> None:
    p = project.parse("can i return it if it doesnt fit? and how long do refunds take?")
    assert [a.intent for a in p.asks] == ["return_item", "refund_status"]


def test_an_email_about_tracking_and_returns_gives_both(project: NLU) -> None:
    email = (
        "Hi,\n\nCould you tell me where my order #1004 is? The tracking hasn't moved in days.\n"
        "Also, if the shoes don't fit when they arrive, how do I return them?\n\nThanks,\nMia\n"
    )
    p = project.parse(email, channel="email")
    assert [a.intent for a in p.asks] == ["track_order", "return_item"]


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("I want a reimbursement", "refund_status"),
        ("can i get a copy of the bill", "invoice"),
        ("has my purchase been dispatched?", "track_order"),
    ],
)
def test_other_words_for_the_same_thing(project: NLU, text: str, intent: str) -> None:
    p = project.parse(text)
    assert (p.intent, p.escalate) == (intent, False)


@pytest.mark.parametrize(
    ("expecting", "text", "act"),
    [
        ("yes_no", "ok fine yes cancel it", "affirm"),
        ("yes_no", "yeah go ahead", "affirm"),
        ("yes_no", "nah leave it", "deny"),
        ("yes_no", "can i pause it instead for a couple months?", "new_request"),
        ("yes_no", "can i change the size to M instead?", "new_request"),
        ("order_number", "I dont have an order number", "dont_know"),
        (
            "order_number",
            "i lost the confirmation email, can you look it up by my email?",
            "dont_know",
        ),
        ("order_number", "its 1001", "give_details"),
        ("agent", "hello? is anyone there?", "checking_in"),
        ("yes_no", "never mind, forget it", "stop"),
        ("choice", "the second one", "choose"),
    ],
)
def test_an_answer_is_read_as_an_answer(project: NLU, expecting: str, text: str, act: str) -> None:
    p = project.parse(text, expecting=expecting)
    assert p.act is not None and p.act.act == act


def test_a_new_request_mid_flow_still_carries_its_intent(project: NLU) -> None:
    p = project.parse("can i pause it instead for a couple months?", expecting="yes_no")
    assert p.act is not None and p.act.act == "new_request"
    assert p.intent == "cancel_subscription"


def test_thanks_and_bye_is_a_closing(project: NLU) -> None:
    assert "closing" in project.parse("thank you, bye").signals
    assert "closing" in project.parse("thank you, bye", expecting="yes_no").signals
    assert "closing" not in project.parse("thanks!").signals
    assert "closing" not in project.parse("yeah go ahead", expecting="yes_no").signals


def test_an_upset_customer_is_flagged_for_the_apology(project: NLU) -> None:
    p = project.parse("one of the mugs arrived cracked :(")
    assert p.intent == "damaged_item"
    assert "upset" in p.signals
    assert "upset" not in project.parse("where is my order?").signals
