"""What the runner saw, and what the judge decided: the records between the two halves.

The world (``world``, ``play``) fills ``Seen`` per turn and ``Aftermath`` per
conversation from what the customer's side receives and from the sandboxes' state; the
judge (``judge``) reads only these records, so it is tested on crafted transcripts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "Aftermath",
    "Capabilities",
    "Check",
    "Message",
    "Outcome",
    "Result",
    "Seen",
    "Status",
]

Status = Literal["pass", "fail", "unchecked"]
Outcome = Literal["passed", "failed", "unchecked"]


@dataclass(frozen=True)
class Capabilities:
    """What the service reports today; an expectation it cannot report is not checkable.

    ``acts``: a turn says which dialogue act it read (``TurnResult.act``).
    ``display_names``: agent accounts have a display name (``AgentUser.display_name``).
    ``status_email``: the bot can send an order's status by e-mail (``status_emailed``).
    """

    acts: bool = False
    display_names: bool = False
    status_email: bool = False


@dataclass(frozen=True)
class Message:
    """One message the customer sees: a chat ``bot_uttered`` or a public e-mail comment."""

    sender: str  # bot | system | agent
    text: str
    agent_name: str | None = None  # shown as the author of an agent's message
    buttons: tuple[tuple[str, str], ...] = ()  # (title, payload) quick replies

    @property
    def shown(self) -> str:
        """The words on screen: the author's name, if shown, and the text."""
        return f"{self.agent_name}: {self.text}" if self.agent_name else self.text


@dataclass
class Seen:
    """One turn as played: what was sent and everything that came back for it.

    ``intents`` is None when the service did not read the message (an agent's turn, an
    e-mail the channel stayed out of); ``act`` is None when it reported none.
    """

    index: int  # 1-based, as in the failure list
    kind: str  # customer | button | agent | agent_says
    sent: str  # what went over the wire (a button's payload, an agent's move)
    messages: list[Message] = field(default_factory=list)
    names_shown: list[str] = field(default_factory=list)  # session_status agent_name
    intents: tuple[str, ...] | None = None
    act: str | None = None
    state: str | None = None  # the console's status after the turn (chat)
    handed_over: bool = False  # e-mail: this turn handed the ticket to a person
    error: str | None = None  # the turn could not be played or the server failed it
    note: str = ""  # e.g. why an e-mail got no answer (the channel's reason)

    @property
    def bot_texts(self) -> list[str]:
        return [m.text for m in self.messages if m.sender == "bot"]


@dataclass
class Aftermath:
    """The world after the last turn: hand-offs, side effects in the sandboxes, tickets."""

    escalated: bool = False
    actions: set[tuple[str, str]] = field(default_factory=set)  # (name, order or e-mail)
    tickets: int = 0  # tickets other than the conversation's own and status e-mails
    handoff_texts: list[str] = field(default_factory=list)  # summary, notes, ticket bodies


@dataclass(frozen=True)
class Check:
    """One judged expectation; ``turn`` is None for the outcome."""

    turn: int | None
    key: str
    status: Status
    detail: str = ""


@dataclass
class Result:
    """One conversation, played and judged."""

    id: str
    category: str
    channel: str
    fast: bool
    why: str
    checks: list[Check]
    turns: list[Seen]
    seconds: float = 0.0

    @property
    def outcome(self) -> Outcome:
        """Passed when every check holds; any failure fails it; otherwise, with a check
        the service cannot report yet, it is not checkable (never counted as passed)."""
        statuses = {c.status for c in self.checks}
        if "fail" in statuses:
            return "failed"
        return "unchecked" if "unchecked" in statuses else "passed"

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if c.status == "fail"]

    @property
    def unchecked(self) -> list[Check]:
        return [c for c in self.checks if c.status == "unchecked"]
