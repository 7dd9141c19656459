"""What the Zendesk channel reads of a requester's comment: the ticket's earlier public
comments mark an unattributed quote, and a shop's own mail formats (``email_patterns``)
are honoured."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from chatserver.channels.zendesk.rules import unanswered
from chatserver.errors import ConfigError
from chatserver.settings import load_settings
from integrations.models import Comment, Ticket
from nlu.cleaning import load_patterns

REQUESTER, BOT = 11, 99
T0 = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
BOT_REPLY = (
    "Hi Anna,\n\nyour order #1001 left our warehouse today with USPS and should arrive on "
    "Friday.\n\nThe Maison Demo team"
)


def _ticket() -> Ticket:
    return Ticket(
        id=7, subject="Where is my dress?", status="open", requester_id=REQUESTER,
        assignee_id=None, group_id=None,
    )  # fmt: skip


def _comment(i: int, author: int, body: str) -> Comment:
    return Comment(id=i, author_id=author, body=body, public=True, created_at=T0 + timedelta(i))


def test_a_reply_below_an_unattributed_quote_of_the_bots_answer_keeps_only_the_new_words():
    reply = (
        "Hi Anna,\nyour order #1001 left our warehouse today with USPS and\nshould arrive on "
        "Friday.\n\nThanks! Could you gift wrap it as well?"
    )
    comments = [
        _comment(1, REQUESTER, "Where is my dress? Order #1001"),
        _comment(2, BOT, BOT_REPLY),
        _comment(3, REQUESTER, reply),
    ]
    [candidate] = unanswered(_ticket(), comments, handled={1})
    assert candidate.text == "Thanks! Could you gift wrap it as well?"


def test_a_shops_own_attribution_line_is_honoured(tmp_path: Path):
    extra = tmp_path / "crm.yaml"
    extra.write_text(
        "attribution:\n  - {lang: en, client: our crm, re: 'ticket \\d+ answered by .+:'}\n",
        encoding="utf-8",
    )
    body = "Yes please\n\nTicket 4711 answered by Shop:\n\nDo you want a refund?"
    comments = [_comment(1, REQUESTER, body)]
    [plain] = unanswered(_ticket(), comments, handled=())
    [shop] = unanswered(_ticket(), comments, handled=(), patterns=load_patterns(extra=[extra]))
    assert plain.text != "Yes please"
    assert shop.text == "Yes please"


def test_email_patterns_in_the_config_are_checked_at_start_up(tmp_path: Path):
    good = tmp_path / "good.yaml"
    good.write_text("attribution:\n  - {lang: en, client: crm, re: 'x \\d+:'}\n", "utf-8")
    assert load_settings(email_patterns=[str(good)]).email_patterns == (good,)
    bad = tmp_path / "bad.yaml"
    bad.write_text("attribution:\n  - {re: '(unclosed'}\n", "utf-8")
    with pytest.raises(ConfigError, match="email_patterns"):
        load_settings(email_patterns=[str(bad)])
    with pytest.raises(ConfigError, match="email_patterns"):
        load_settings(email_patterns=[3])


def test_a_message_sent_again_word_for_word_is_read_not_taken_for_a_quote():
    again = "Where is my dress? Order #1001"
    comments = [
        _comment(1, REQUESTER, again),
        _comment(2, BOT, BOT_REPLY),
        _comment(3, REQUESTER, again),
    ]
    [candidate] = unanswered(_ticket(), comments, handled={1})
    assert candidate.text == again
