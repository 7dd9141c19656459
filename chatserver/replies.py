"""Reply wording: Jinja2 templates, one per intent and outcome, short for chat, full for email.

``templates/<intent>/<outcome>.j2`` holds a ``chat`` block and usually an ``email`` block
(the chat wording is used when there is none). Every email is wrapped by
``_email.j2`` (greeting and signature); button labels are blocks of ``buttons.j2``.
A shop overrides any of them by dropping a file with the same path into its own
folder (``Settings.templates_dir``), which is searched first. Autoescaped throughout; what leaves the
renderer is plain text (unescaped), since every channel shows it as text, never as HTML.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from chatserver.dialogue.actions import Button, Reply
from chatserver.dialogue.state import DialogueState
from chatserver.formatting import money
from chatserver.labels import confidence_words
from chatserver.policy import Policy
from chatserver.storage.records import QuickReply

__all__ = ["DEFAULT_TEMPLATES", "Rendered", "Renderer", "first_name"]

DEFAULT_TEMPLATES = Path(__file__).with_name("templates")
CARRIER_NAMES = {"usps": "USPS", "fedex": "FedEx", "ups": "UPS", "dhl": "DHL"}
_BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")
_NAME = re.compile(r"[^\W\d_][^\W\d_'’.-]*(?:['’-][^\W\d_]+)*")


def first_name(name: str | None, email: str | None = None) -> str | None:
    """The first name to greet an email with ("Maria Garcia" -> "Maria"), or None.

    Zendesk names a requester who gave no name after their address ("maria.g" for
    maria.g@example.com): that is not a name to greet anyone by.
    """
    name = (name or "").strip()
    if not name or "@" in name:
        return None
    if email and name.lower() == email.split("@")[0].lower():
        return None
    first = _NAME.fullmatch(name.split()[0])
    return first.group(0) if first else None


@dataclass(frozen=True)
class Rendered:
    text: str
    quick_replies: tuple[QuickReply, ...] = ()


class Renderer:
    """Renders ``Reply`` actions for a channel.

    Args:
        policy: the shop's policy (name, signature, time zone for dates).
        overrides: the shop's template folder, searched before the defaults.
    """

    def __init__(self, policy: Policy, overrides: Path | None = None) -> None:
        self.policy = policy
        folders = [str(p) for p in (overrides, DEFAULT_TEMPLATES) if p is not None]
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(folders),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            undefined=jinja2.StrictUndefined,
        )
        self.env.filters["day"] = self._day
        self.env.filters["carrier"] = lambda c: CARRIER_NAMES.get(str(c or "").lower(), c or "")
        # {{ amount | money }} in the shop's currency, {{ amount | money(currency) }} in another
        self.env.filters["money"] = lambda amount, currency=None: money(
            amount, currency or policy.currency, policy.locale
        )
        # the agent's summary in the shop's words (chatserver.labels)
        labels = policy.labels
        self.env.filters["intent_label"] = labels.intent
        self.env.filters["reason_label"] = labels.reason
        self.env.filters["done_words"] = labels.done
        self.env.filters["sure"] = confidence_words
        self.env.globals.update(shop=policy, policy=policy)

    def _day(self, when: datetime | None) -> str:
        if when is None:
            return ""
        # Midnight means a date without a time (carriers' estimates): do not shift its day.
        date_only = (when.hour, when.minute, when.second) == (0, 0, 0)
        local = self.policy.local(when) if when.tzinfo and not date_only else when
        return f"{local:%A}, {local:%B} {local.day}"

    def _block(self, name: str, block: str, context: dict[str, Any]) -> str:
        template = self.env.get_template(name)
        if block not in template.blocks:
            block = "chat"
        text = "".join(template.blocks[block](template.new_context(context)))
        return _BLANK_LINES.sub("\n\n", text).strip()

    def _button(self, button: Button) -> QuickReply:
        if button.label is not None:
            title = _plain(self._block("buttons.j2", button.label, {}))
        else:
            title = button.text or button.payload
        return QuickReply(title=title, payload=button.payload)

    def _escaped(self, reply: Reply, channel: str) -> str:
        block = "email" if channel == "email" else "chat"
        return self._block(f"{reply.template}.j2", block, {"channel": channel, **reply.context})

    def render(self, reply: Reply, channel: str = "chat") -> Rendered:
        """One reply for the chat, or the body of one for an email (no buttons in email)."""
        text = _plain(self._escaped(reply, channel))
        if channel == "email":
            return Rendered(text)
        return Rendered(text, tuple(self._button(b) for b in reply.buttons))

    def render_turn(
        self, replies: Sequence[Reply], channel: str = "chat", *, name: str | None = None
    ) -> list[Rendered]:
        """Chat: one message per reply. Email: one message, greeting and signature around them;
        ``name`` is whom the greeting names (else a reply's own ``name``, else "there")."""
        if channel != "email":
            return [self.render(r, channel) for r in replies]
        if not replies:
            return []
        # Bodies were escaped when rendered; the layout must not escape them twice.
        bodies = [Markup(self._escaped(r, "email")) for r in replies]
        name = name or next((r.context["name"] for r in replies if r.context.get("name")), None)
        layout = self._block("_email.j2", "email", {"bodies": bodies, "name": name})
        return [Rendered(_plain(layout))]

    def render_summary(
        self, state: DialogueState, *, reason: str, notes: Sequence[str] = (), channel: str = "chat"
    ) -> str:
        """The short summary an agent reads when the bot hands over."""
        best: dict[str, float] = {}
        for intent, confidence in state.intents:
            best[intent] = max(confidence, best.get(intent, 0.0))
        context = {
            "reason": reason,
            "notes": list(notes),
            "intents": sorted(best.items(), key=lambda p: -p[1])[:3],
            "last_intents": list(state.intents[-3:]),
            "slots": state.slots,
            "tried": list(state.tried),
            "channel": channel,
        }
        return _plain(self._block("agent/summary.j2", "chat", context))


def _plain(escaped: str) -> str:
    """Templates render escaped (safe to put in HTML); channels carry plain text, which
    the widget and the Zendesk comment body show as text, never as HTML."""
    return html.unescape(escaped)
