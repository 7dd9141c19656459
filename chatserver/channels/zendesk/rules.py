"""Pure decisions of the Zendesk channel: which comments to answer, when to stay out,
what is an auto-reply, what the agent's note says, and how a sent reply is recognised.

No I/O here: the worker fetches the ticket and comments and asks these functions.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from integrations.models import Comment, Ticket
from nlu.cleaning import EmailPatterns, clean

__all__ = [
    "AUTO_REPLY_TAG",
    "ESCALATED_TAG",
    "HUMAN_TAGS",
    "Candidate",
    "Written",
    "comment_text",
    "escalation_note",
    "find_sent",
    "is_auto_reply",
    "others_copied",
    "same_body",
    "stay_out",
    "unanswered",
]

ESCALATED_TAG = "bot_escalated"
AUTO_REPLY_TAG = "bot_auto_reply"
# Tickets for people: escalated by this bot, or opened by the chat's hand-off.
HUMAN_TAGS = frozenset({ESCALATED_TAG, "chat_handoff"})
MAX_TEXT = 5_000  # what one turn passes to the service, after cleaning

# Subjects of out-of-office replies and bounces start like this (after any "Re:").
_AUTO_SUBJECT = re.compile(
    r"^\s*(?:(?:re|aw|fw|fwd|sv|antw)\s*:\s*)*(?:automatic reply|auto[- ]?reply|autoreply|"
    r"out of (?:the )?office|undeliverable|undelivered mail|delivery status notification|"
    r"mail delivery (?:failed|failure|subsystem)|returned mail|delivery failure|"
    r"abwesenheitsnotiz|r[ée]ponse automatique|respuesta autom[áa]tica)\b",
    re.IGNORECASE,
)
# ... and their bodies say so near the top; headers are not available to us.
_AUTO_BODY = re.compile(
    r"^\s*(?:automatic reply|auto[- ]?reply|autoreply|out of (?:the )?office)\b|"
    r"\bmail delivery subsystem\b|\bmailer-daemon\b|\bdelivery status notification\b|"
    r"\bundeliverable\b|\bdelivery has failed\b|\bcould not be delivered\b|"
    r"\bi (?:am|'m|will be) (?:currently )?out of (?:the )?office\b|"
    r"\bthis is an automatic(?:ally generated)? (?:reply|response|message)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Candidate:
    """A requester comment not yet answered, with the words the bot will read."""

    comment: Comment
    text: str
    auto_reply: bool


def comment_text(
    comment: Comment, *, earlier: Sequence[str] = (), patterns: EmailPatterns | None = None
) -> str:
    """The customer's own words: HTML when there is some (its quote markup shows where
    history starts), else the plain body; cleaned for e-mail and capped.

    ``earlier`` are the ticket's earlier public comments: lines that repeat them are
    quoted history even without a recognised attribution (a reply below or between
    quotes keeps its own words). ``patterns`` are the shop's extra mail-client formats.
    """
    raw = comment.html_body or comment.plain_body or comment.body
    text = clean(raw, "email", earlier=earlier, patterns=patterns)
    if not text and earlier:  # all of it repeats an earlier comment: sent again, not quoted
        text = clean(raw, "email", patterns=patterns)
    if not text and raw is not comment.body:
        text = clean(comment.body, "email", patterns=patterns)
    if len(text) > MAX_TEXT:
        cut = text.rfind(" ", MAX_TEXT - 200, MAX_TEXT)
        text = text[: cut if cut > 0 else MAX_TEXT].rstrip()
    return text


def is_auto_reply(subject: str, body: str) -> bool:
    """An out-of-office answer or a bounce, recognised from subject and text alone."""
    return bool(_AUTO_SUBJECT.search(subject) or _AUTO_BODY.search(body[:600]))


def stay_out(ticket: Ticket, bot_ids: Collection[int], session_owner: str | None) -> str | None:
    """Why the bot must not answer on this ticket at all, or None."""
    if ticket.status in ("solved", "closed"):
        return f"ticket_{ticket.status}"
    requester = ticket.requester
    if ticket.requester_id in bot_ids or (requester is not None and requester.role != "end-user"):
        return "requester_is_agent"
    if ticket.assignee_id is not None and ticket.assignee_id not in bot_ids:
        return "assigned_to_agent"
    if HUMAN_TAGS.intersection(ticket.tags):
        return "escalated"
    if session_owner == "human":
        return "agent_took_over"
    return None


def others_copied(ticket: Ticket, bot_ids: Collection[int]) -> tuple[int, ...]:
    """Everyone besides the requester (and the bot) a public reply would reach: the
    ticket's email CCs and followers. Order details go only to the proven owner (the
    requester), so with anyone here the bot withholds them (``ZendeskWorker``)."""
    people = (*ticket.email_cc_ids, *ticket.follower_ids, *ticket.collaborator_ids)
    skip = {ticket.requester_id, *bot_ids}
    return tuple(dict.fromkeys(p for p in people if p not in skip))


def unanswered(
    ticket: Ticket,
    comments: Sequence[Comment],
    handled: Collection[int],
    *,
    patterns: EmailPatterns | None = None,
) -> list[Candidate]:
    """The requester's public comments after the last public comment of anyone else,
    minus those already dealt with, oldest first.

    A public comment by an agent or the bot is an answer to everything before it, so
    an event that arrives late (out of order) finds nothing left to answer.
    """
    ordered = sorted(comments, key=lambda c: (c.created_at, c.id))
    start = 0
    for i, c in enumerate(ordered):
        if c.public and c.author_id != ticket.requester_id:
            start = i + 1
    out = []
    for position, c in enumerate(ordered[start:], start=start):
        if not c.public or c.author_id != ticket.requester_id or c.id in handled:
            continue
        subject = ticket.subject if position == 0 else ""
        raw = c.plain_body or c.body
        earlier = [e.plain_body or e.body for e in ordered[:position] if e.public]
        text = comment_text(c, earlier=earlier, patterns=patterns)
        out.append(Candidate(c, text, is_auto_reply(subject, raw)))
    return out


def escalation_note(
    *, reason: str, intent: str | None, confidence: float, summary: str, text: str,
    draft: str = "",
) -> str:  # fmt: skip
    """The internal note an agent reads when the bot hands a ticket over; ``draft`` is
    what the bot would have told the customer (never sent: escalations stay internal)."""
    lines = [f"The bot handed this ticket over ({reason.replace('_', ' ')})."]
    if intent:
        lines.append(f"Best intent guess: {intent} ({confidence:.2f}).")
    if summary:
        lines += ["", summary.strip()]
    if text:
        quoted = text if len(text) <= 600 else text[:600].rstrip() + " …"
        lines += ["", "What the customer wrote (cleaned):", quoted]
    if draft:
        lines += ["", "The bot's draft (not sent to the customer):", draft.strip()]
    lines += ["", f"Remove the {ESCALATED_TAG} tag to let the bot answer this ticket again."]
    return "\n".join(lines)


_SPACE = re.compile(r"\s+")


def same_body(a: str, b: str) -> bool:
    """Zendesk may re-wrap whitespace; the words must be the same."""
    return _SPACE.sub(" ", a).strip() == _SPACE.sub(" ", b).strip()


@dataclass(frozen=True)
class Written:
    """What the outbox wrote, or tried to: enough to recognise it among the comments."""

    body: str
    public: bool
    after_comment_id: int


def find_sent(
    comments: Sequence[Comment], bot_ids: Collection[int], earlier: Sequence[Written], mine: Written
) -> Comment | None:
    """The comment ``mine`` became, if a previous attempt was applied after all.

    Rows already sent on the ticket (``earlier``, in order) claim their comments first,
    so two identical replies ("what is your order number?") are told apart.
    """
    used: set[int] = set()
    ordered = sorted(comments, key=lambda c: (c.created_at, c.id))
    for written in (*earlier, mine):
        match = next(
            (
                c
                for c in ordered
                if c.id not in used
                and c.id > written.after_comment_id
                and c.author_id in bot_ids
                and c.public == written.public
                and same_body(c.body, written.body)
            ),
            None,
        )
        if match is not None:
            used.add(match.id)
            if written is mine:
                return match
    return None
