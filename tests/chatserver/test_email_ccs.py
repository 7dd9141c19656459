"""By email, order details go to the proven owner only (issue 12, finding 11).

Before: the requester's address was taken as proof and the public reply went to every CC,
so a message in a customer's name with a stranger in CC sent the order's details to the
stranger. Now, with anyone besides the requester on the ticket (email CCs, followers), the
public reply withholds the answer and says why, and the ticket goes to a person with the
bot's answer in an internal note.
"""

from __future__ import annotations

import pytest

from integrations.models import Ticket
from tests.chatserver.mail_desk import BASE, MailDesk

TRACKING = "9400111899223456789017"


@pytest.fixture
async def desk():
    d = await MailDesk.start()
    yield d
    await d.aclose()


async def open_ticket(desk: MailDesk, text: str, **people) -> int:
    ticket = {"requester": {"email": "maria@example.com"}, "comment": {"body": text}, **people}
    resp = await desk.http.post(f"{BASE}/api/v2/tickets.json", json={"ticket": ticket})
    assert resp.status_code == 201, resp.text
    return int(resp.json()["ticket"]["id"])


async def test_a_stranger_in_cc_never_gets_the_order_details(desk):
    stranger = {"email_ccs": [{"user_email": "stranger@evil.example", "action": "put"}]}
    ticket = await open_ticket(desk, "Has my order #1001 shipped?", **stranger)
    await desk.run()
    [reply] = desk.bot_replies(ticket)
    assert TRACKING not in reply and "USPS" not in reply and "#1001" not in reply
    assert "Other people are copied on this conversation" in reply
    [note] = desk.notes(ticket)
    assert "others copied" in note and TRACKING in note  # the answer, for the agents only
    assert "bot_escalated" in desk.sim.tickets[ticket].tags


async def test_the_requester_alone_gets_the_answer(desk):
    ticket = await open_ticket(desk, "Has my order #1001 shipped?")
    await desk.run()
    [reply] = desk.bot_replies(ticket)
    assert TRACKING in reply


async def test_a_cc_added_later_stops_the_next_answer(desk):
    ticket = await open_ticket(desk, "Has my order #1001 shipped?")
    await desk.run()
    update = {"ticket": {"email_ccs": [{"user_email": "friend@example.net"}]}}
    resp = await desk.http.put(
        f"{BASE}/api/v2/tickets/{ticket}.json",
        json=update,
        auth=("agent@example.com/token", "demo"),
    )
    assert resp.status_code == 200, resp.text
    await desk.customer_reply(ticket, "Where is it now? Tracking number please.")
    await desk.run()
    first, second = desk.bot_replies(ticket)
    assert TRACKING in first and TRACKING not in second


def test_only_people_besides_the_requester_and_the_bot_count():
    from chatserver.channels.zendesk.rules import others_copied

    ticket = Ticket(
        1, "s", "open", requester_id=10, assignee_id=None, group_id=None,
        email_cc_ids=(10, 99), follower_ids=(7,), collaborator_ids=(10, 99, 7),
    )  # fmt: skip
    assert others_copied(ticket, bot_ids={7}) == (99,)
    alone = Ticket(2, "s", "open", requester_id=10, assignee_id=None, group_id=None)
    assert others_copied(alone, bot_ids={7}) == ()
