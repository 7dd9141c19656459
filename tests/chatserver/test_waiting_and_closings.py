"""Issue 13, items 3, 6, 7 and 8, as a good agent would have them: the customer waiting
for a person, one consistent hand-off, questions outside the catalogue, and closings,
thanks and empathy. The whole service over the sandboxes, with keyword intents.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from chatserver.policy import PolicyError, load_policy, parse_policy
from chatserver.settings import AgentUser, Settings
from tests.chatserver.harness import World
from tests.chatserver.test_policy import raw

OPEN = datetime.fromisoformat("2026-11-25T16:00:00+00:00")  # a Wednesday, 11:00 in New York
CLOSED = datetime.fromisoformat("2026-11-26T02:00:00+00:00")  # the same Wednesday, 21:00
HUMAN = "Talk to a person"


class Staffed:
    def __init__(self, online: bool) -> None:
        self.online = online

    async def agents_online(self) -> bool:
        return self.online


async def world_of(*, online: bool, now: datetime = OPEN, **options) -> World:
    settings = Settings(
        identity_secret="shop-secret",
        agents=(AgentUser("cs_agent7", "scrypt$00$00", display_name="Alex"),),
    )
    return await World(now=now, staff=Staffed(online), settings=settings, **options).start()


@pytest.fixture
async def open_shop():
    world = await world_of(online=True)
    yield world
    await world.aclose()


@pytest.fixture
async def nobody_online():
    world = await world_of(online=False)
    yield world
    await world.aclose()


@pytest.fixture
async def after_hours():
    world = await world_of(online=False, now=CLOSED)
    yield world
    await world.aclose()


def titles(chat) -> list[str]:
    return [title for title, _ in chat.buttons]


# --- item 3: waiting for a person -----------------------------------------------------


async def test_hello_while_waiting_says_a_colleague_is_coming_and_when(open_shop):
    chat = await open_shop.chat()
    await chat.say("can I talk to a real person please")
    said = await chat.say("hello? is anyone there?")
    assert "Hi! I'm" not in said and "How can I help" not in said
    assert "colleague" in said and "5 minutes" in said  # escalation.wait_minutes
    assert HUMAN not in titles(chat)
    session = await open_shop.service.get_session(chat.session_id)
    assert session.status == "waiting"


async def test_asking_again_while_waiting_is_not_a_second_hand_off_nor_the_same_words(
    nobody_online,
):
    chat = await nobody_online.chat(identity_email="maria@example.com")
    first = await chat.say("/human_agent")
    assert "by email to maria@example.com" in first
    again = await chat.say("/human_agent")
    third = await chat.say("hello")
    assert len(nobody_online.sandboxes.zendesk.tickets) == 1
    assert "email" in again and "email" in third and again != third


# --- item 6: one consistent hand-off ----------------------------------------------------


async def test_nobody_online_in_open_hours_never_promises_the_chat(nobody_online):
    chat = await nobody_online.chat()
    asked = await chat.say("I want to speak to a person")
    assert "here shortly" not in asked and "closed" not in asked
    assert "email" in asked
    said = await chat.say("ann@example.com")
    assert "by email to ann@example.com" in said


async def test_after_hours_the_team_is_back_is_said_with_the_day_and_hour(after_hours):
    chat = await after_hours.chat(identity_email="noah@example.com")
    said = await chat.say("I need a human about my subscription")
    assert "here" not in said.replace("where", "")  # nothing promised in the chat
    assert "by email to noah@example.com" in said
    assert "Thursday, November 26 at 9:00 (New York time)" in said


async def test_a_missing_item_reshipped_after_hours_is_confirmed_by_email(after_hours):
    chat = await after_hours.chat(identity_email="priya@example.com")
    said = await chat.say("I never got one of the mugs from #1003")
    # Not "a colleague will confirm the details here when we're back", then "by email".
    promise, ticket = said.split("\n\n")
    assert promise.endswith("a colleague will confirm the details by email.")
    assert "they'll reply by email to priya@example.com when we're back" in ticket


async def test_the_customer_sees_the_agents_display_name_once_never_the_login(open_shop):
    chat = await open_shop.chat()
    await chat.say("human please")
    change = await open_shop.service.agents.take_over(chat.session_id, "cs_agent7")
    assert change.line.text == "Alex from our team joined the chat."
    assert change.agent_name == "Alex"
    await open_shop.service.agents.agent_message(chat.session_id, "cs_agent7", "Hi!")
    history = await open_shop.service.messages_since(chat.session_id)
    shown = [(m.sender, m.text, m.agent_name) for m in history if m.sender != "note"]
    assert not any("cs_agent7" in str(item) for item in shown)
    assert [m for m in shown if "joined" in m[1]] == [shown[-2]]  # one notice per join
    assert shown[-1] == ("agent", "Hi!", "Alex")


async def test_an_agent_without_a_display_name_is_a_colleague(nobody_online):
    chat = await nobody_online.chat()
    await chat.say("hi")
    change = await nobody_online.service.agents.take_over(chat.session_id, "ana")
    assert change.line.text == "A colleague from our team joined the chat."
    assert change.agent_name is None


# --- item 7: outside the catalogue ------------------------------------------------------


async def test_a_question_outside_the_catalogue_offers_a_person_and_opens_nothing(open_shop):
    chat = await open_shop.chat()
    said = await chat.say("what's the weather in Paris tomorrow")
    assert "orders" in said and "Monday to Friday" in said
    assert titles(chat)[0] == HUMAN
    assert not chat.last.escalated and open_shop.sandboxes.zendesk.tickets == {}
    # Choosing the person brings one in, and they read the question.
    await chat.say("/human_agent")
    session = await open_shop.service.get_session(chat.session_id)
    assert session.status == "waiting" and "weather in Paris" in session.summary


async def test_the_shop_may_want_a_person_for_every_such_question():
    policy = replace(load_policy(), out_of_scope_tickets=True)
    world = await world_of(online=True, policy=policy)
    try:
        chat = await world.chat()
        await chat.say("what's the weather in Paris tomorrow")
        assert chat.last.escalated
    finally:
        await world.aclose()


def test_the_policy_names_the_setting_and_refuses_a_wrong_value():
    assert load_policy().out_of_scope_tickets is False  # the default: offer a person
    data = raw()
    data["out_of_scope"] = {"ticket": "sometimes"}
    with pytest.raises(PolicyError, match=r"out_of_scope\.ticket"):
        parse_policy(data)


# --- item 8: closings, thanks and empathy -------------------------------------------------


async def test_thanks_after_an_answer_is_acknowledged_warmly_without_asking_for_more(open_shop):
    chat = await open_shop.chat(identity_email="lukas@example.com")
    await chat.say("where is my scarf?")
    said = await chat.say("thank you, bye")
    assert "welcome" in said and "Anything else" not in said and "Hi! I'm" not in said


async def test_the_first_reply_to_a_broken_item_says_sorry(open_shop):
    chat = await open_shop.chat()
    said = await chat.say("one of the mugs arrived cracked :(")
    assert said.startswith("I'm so sorry")
    assert "order number" in said


async def test_a_bare_insult_gets_an_apology_and_a_person_as_a_choice(open_shop):
    chat = await open_shop.chat()
    said = await chat.say("terrible bot")
    assert said.startswith("I'm sorry") and "what went wrong" in said
    assert titles(chat)[0] == HUMAN and not chat.last.escalated


async def test_a_complaint_that_says_what_went_wrong_goes_to_a_person(open_shop):
    chat = await open_shop.chat()
    said = await chat.say("terrible service, two weeks and nobody tells me anything")
    assert "sorry" in said and chat.last.escalation_reason == "complaint"


@pytest.mark.parametrize(
    ("ranking", "handed_over"),
    [
        ((("human_agent", 0.57), ("out_of_scope", 0.31)), False),  # "whats your phone number"
        ((("human_agent", 0.47), ("cancel_subscription", 0.41)), True),  # about billing
        ((("human_agent", 0.99), ("out_of_scope", 0.01)), True),  # "let me talk to an agent"
    ],
)
def test_an_ask_for_a_person_torn_with_nothing_we_do_is_offered_not_assumed(ranking, handed_over):
    from chatserver.dialogue import DialogueState, HandOff, UserMessage
    from chatserver.dialogue.engine import step

    intent, confidence = ranking[0]
    msg = UserMessage("…", OPEN, intent=intent, confidence=confidence, ranking=ranking)
    _, actions = step(DialogueState(), msg, load_policy())
    assert any(isinstance(a, HandOff) for a in actions) is handed_over


def test_a_second_question_outside_the_catalogue_in_a_row_gets_other_words():
    from chatserver.dialogue import DialogueState, Reply, UserMessage
    from chatserver.dialogue.engine import step
    from chatserver.replies import Renderer

    policy = load_policy()

    def outside(text: str) -> UserMessage:
        return UserMessage(text, OPEN, intent="out_of_scope", confidence=0.9, escalate=True,
                           ranking=(("out_of_scope", 0.9),))  # fmt: skip

    state, first = step(DialogueState(), outside("whats the weather in paris"), policy)
    _, again = step(state, outside("and in london?"), policy)
    said = [Renderer(policy).render(a).text for a in (*first, *again) if isinstance(a, Reply)]
    assert len(said) == 2 and said[0] != said[1]
    assert "either" in said[1]
    buttons = [b.payload for a in again if isinstance(a, Reply) for b in a.buttons]
    assert buttons[0] == "/human_agent"
