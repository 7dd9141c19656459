"""The judge: every expectation of bench/conversations/README.md, on what the runner saw.

Pure functions of a conversation's expectations and the records (``records``): no I/O,
so each rule is tested on crafted transcripts. Matching follows the README: case-folded,
whitespace collapsed, typographic quotes, dashes and non-breaking spaces folded to ASCII;
an item that begins with a letter or digit begins at a word boundary and may end anywhere.
Always judged, on every turn: no sentence of four words or more repeated from the bot's
previous reply (an e-mail's signature aside), no template leftovers, and a reply to every
customer turn not expected silent (an e-mail the channel hands to a person counts as
answered: the README names it among the silent cases).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from bench.conversation_data import Conversation, Turn
from bench.conversation_runner.records import Aftermath, Capabilities, Check, Seen

__all__ = [
    "AGENT_DISPLAY_NAME",
    "AGENT_LOGIN",
    "LEFTOVERS",
    "act_name",
    "contains",
    "judge_conversation",
    "judge_outcome",
    "judge_turn",
    "normalise",
    "repeated_sentences",
]

AGENT_LOGIN = "cs_agent7"  # the console account of the README's world
AGENT_DISPLAY_NAME = "Alex"  # its display name (configuration)
LEFTOVERS = ("{{", "{%", "Traceback", "undefined")
MIN_REPEAT_WORDS = 4
# The NLU's names for the dialogue acts, where the benchmark's differ (docs/nlu.md).
ACT_NAMES = {"give_details": "inform", "ask_person": "ask_human", "new_request": "change_topic"}

_FOLD = str.maketrans(
    {
        **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032", "'"),
        **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033", '"'),
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
        **dict.fromkeys("\u00a0\u2007\u202f", " "),
    }
)
_SPACE = re.compile(r"\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_NOT_WORD = re.compile(r"[^\w@#$%]+")


def normalise(text: str) -> str:
    """Folded, case-folded, whitespace collapsed: the form both sides are matched in."""
    return _SPACE.sub(" ", text.translate(_FOLD)).strip().casefold()


def _pattern(item: str) -> re.Pattern[str]:
    needle = normalise(item)
    start = r"(?<!\w)" if needle[:1].isalnum() else ""
    return re.compile(start + re.escape(needle))


def contains(text: str, item: str) -> bool:
    """``item`` appears in ``text`` (README matching rules)."""
    return bool(item.strip()) and _pattern(item).search(normalise(text)) is not None


def _alternatives(item: Any) -> list[str]:
    return [str(a) for a in item] if isinstance(item, list) else [str(item)]


def _any(text: str, item: Any) -> bool:
    return any(contains(text, alt) for alt in _alternatives(item))


def _label(item: Any) -> str:
    alts = _alternatives(item)
    return repr(alts[0]) if len(alts) == 1 else " or ".join(repr(a) for a in alts)


def act_name(act: Any) -> str | None:
    """The benchmark's name for the act a turn reports (an enum or a string)."""
    if act is None:
        return None
    name = str(getattr(act, "value", act))
    return ACT_NAMES.get(name, name)


def _sentences(text: str) -> set[str]:
    out = set()
    for part in _SENTENCE_END.split(text.translate(_FOLD)):
        words = [w for w in _NOT_WORD.sub(" ", part.casefold()).split() if any(map(str.isalnum, w))]
        if len(words) >= MIN_REPEAT_WORDS:
            out.add(" ".join(words))
    return out


def repeated_sentences(
    reply: Sequence[str], previous: Sequence[str], ignore: Iterable[str] = ()
) -> list[str]:
    """Sentences of four words or more in ``reply`` that the previous reply also said
    (case, whitespace and punctuation aside); ``ignore``: an e-mail's fixed sign-off."""
    skip = set().union(*(_sentences(i) for i in ignore)) if ignore else set()
    before = set().union(*(_sentences(t) for t in previous)) if previous else set()
    now = set().union(*(_sentences(t) for t in reply)) if reply else set()
    return sorted((now & before) - skip)


def _excerpt(seen: Seen, limit: int = 240) -> str:
    text = _SPACE.sub(" ", " | ".join(m.shown for m in seen.messages)).strip() or "(nothing)"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _names_item(item: Any) -> bool:
    return any(contains(alt, AGENT_DISPLAY_NAME) for alt in _alternatives(item))


class _Turn:
    """Collects the checks of one turn."""

    def __init__(self, seen: Seen, caps: Capabilities) -> None:
        self.seen = seen
        self.caps = caps
        self.checks: list[Check] = []

    def add(self, key: str, ok: bool, detail: str = "") -> None:
        self.checks.append(Check(self.seen.index, key, "pass" if ok else "fail", detail))

    def unchecked(self, key: str, detail: str) -> None:
        self.checks.append(Check(self.seen.index, key, "unchecked", detail))

    def display_name_unknown(self, key: str, item: Any) -> bool:
        if self.caps.display_names or not _names_item(item):
            return False
        self.unchecked(key, f"{_label(item)}: agents have no display name to show yet")
        return True


def _judge_intent(j: _Turn, expected: Any) -> None:
    wanted = [str(i) for i in (expected if isinstance(expected, list) else [expected])]
    acted = list(j.seen.intents or ())
    shown = ", ".join(acted) or "nothing (the message was not read)"
    j.add("intent", acted[: len(wanted)] == wanted, f"expected {wanted}, acted on {shown}")


def _judge_act(j: _Turn, expected: str) -> None:
    if not j.caps.acts:
        j.unchecked("act", f"expected {expected!r}: the service does not report acts yet")
        return
    got = act_name(j.seen.act)
    j.add("act", got == expected, f"expected {expected!r}, read as {got!r}")


def _judge_text(j: _Turn, expect: dict[str, Any]) -> None:
    seen = j.seen
    reply = "\n".join(m.shown for m in seen.messages)
    titles = [title for m in seen.messages for title, _ in m.buttons]
    for item in expect.get("must", []):
        if not j.display_name_unknown("must", item):
            j.add("must", _any(reply, item), f"{_label(item)} missing from: {_excerpt(seen)}")
    visible = "\n".join([reply, *titles, *seen.names_shown])
    for item in expect.get("must_not", []):
        j.add("must_not", not _any(visible, item), f"{_label(item)} in: {_excerpt(seen)}")
    for item in expect.get("buttons", []):
        if not j.display_name_unknown("buttons", item):
            ok = any(_any(t, item) for t in titles)
            j.add("buttons", ok, f"no quick reply {_label(item)} among {titles}")
    for item in expect.get("no_buttons", []):
        hit = [t for t in titles if _any(t, item)]
        j.add("no_buttons", not hit, f"quick reply {hit} offered")
    for item in expect.get("once", []):
        if not j.display_name_unknown("once", item):
            n = sum(_any(m.shown, item) for m in seen.messages)
            j.add("once", n == 1, f"{_label(item)} in {n} messages: {_excerpt(seen)}")


def judge_turn(
    turn: Turn,
    seen: Seen,
    previous_bot: Sequence[str],
    caps: Capabilities,
    *,
    sign_off: Iterable[str] = (),
) -> list[Check]:
    """Every expectation of ``turn`` and the always-judged rules, on what it got back.

    ``previous_bot``: the texts of the bot's previous reply (for the no-repeat rule);
    ``sign_off``: lines every e-mail reply ends with (the shop's signature).
    """
    j = _Turn(seen, caps)
    expect = turn.expect
    if seen.error is not None:
        j.add("turn", False, seen.error)
        return j.checks
    if "intent" in expect:
        _judge_intent(j, expect["intent"])
    if "act" in expect:
        _judge_act(j, str(expect["act"]))
    _judge_text(j, expect)
    if expect.get("silent") is True:
        j.add("silent", not seen.messages, f"expected nothing, got: {_excerpt(seen)}")
    elif turn.kind in ("customer", "button"):
        # An e-mail handed to a person is answered by that person ("silent" in the README).
        why = f" ({seen.note})" if seen.note else ""
        answered = bool(seen.messages) or seen.handed_over
        j.add("reply", answered, f"no reply within the timeout{why}")
    if "state" in expect:
        j.add("state", seen.state == expect["state"], f"expected {expect['state']!r}, "
              f"the console shows {seen.state!r}")  # fmt: skip
    repeats = repeated_sentences(seen.bot_texts, previous_bot, sign_off)
    if repeats:
        j.add("no_repeat", False, f"said again: {repeats[0]!r}")
    texts = [m.shown for m in seen.messages] + [t for m in seen.messages for t, _ in m.buttons]
    left = [x for x in LEFTOVERS if any(x.casefold() in t.casefold() for t in texts)]
    if left:
        j.add("no_leftovers", False, f"{left[0]!r} in: {_excerpt(seen)}")
    return j.checks


def _action(item: Any) -> tuple[str, str | None]:
    if isinstance(item, dict):
        ((name, arg),) = item.items()
        return str(name), str(arg).strip().lower()
    return str(item), None


def _happened(after: Aftermath, name: str, arg: str | None) -> bool:
    return any(n == name and (arg is None or a == arg) for n, a in after.actions)


def _shown_action(name: str, arg: str | None) -> str:
    return f"{name}: {arg}" if arg else name


def judge_outcome(outcome: dict[str, Any], after: Aftermath, caps: Capabilities) -> list[Check]:
    """The ``outcome`` block: escalation, side effects, tickets, what the person receives."""
    checks: list[Check] = []

    def add(key: str, ok: bool, detail: str) -> None:
        checks.append(Check(None, key, "pass" if ok else "fail", detail))

    if "escalated" in outcome:
        want = bool(outcome["escalated"])
        add("escalated", after.escalated == want,
            f"expected {'a' if want else 'no'} hand-off, there was {'one' if after.escalated else 'none'}")  # fmt: skip
    done = ", ".join(sorted(_shown_action(n, a) for n, a in after.actions)) or "none"
    for item in outcome.get("actions", []):
        name, arg = _action(item)
        if _happened(after, name, arg):
            add("actions", True, _shown_action(name, arg))
        elif name == "status_emailed" and not caps.status_email:
            checks.append(Check(None, "actions", "unchecked",
                                f"{_shown_action(name, arg)}: the bot cannot e-mail a status yet"))  # fmt: skip
        else:
            add("actions", False, f"{_shown_action(name, arg)} did not happen (done: {done})")
    for item in outcome.get("not_actions", []):
        name, arg = _action(item)
        add("not_actions", not _happened(after, name, arg),
            f"{_shown_action(name, arg)} happened (done: {done})")  # fmt: skip
    if "tickets" in outcome:
        add("tickets", after.tickets == outcome["tickets"],
            f"expected {outcome['tickets']} ticket(s), {after.tickets} opened")  # fmt: skip
    received = "\n".join(after.handoff_texts)
    for item in outcome.get("handoff_must", []):
        add("handoff_must", _any(received, item),
            f"{_label(item)} not in what the person received"
            + ("" if received.strip() else " (nothing was handed over)"))  # fmt: skip
    return checks


def judge_conversation(
    conversation: Conversation,
    turns: Sequence[Seen],
    after: Aftermath,
    caps: Capabilities,
    *,
    sign_off: Iterable[str] = (),
) -> list[Check]:
    """Every check of one conversation: each turn in order, then the outcome."""
    checks: list[Check] = []
    previous: list[str] = []
    sign_off = tuple(sign_off)
    for turn, seen in zip(conversation.turns, turns, strict=False):
        checks += judge_turn(turn, seen, previous, caps, sign_off=sign_off)
        if seen.bot_texts:
            previous = seen.bot_texts
    if len(turns) < len(conversation.turns):
        checks.append(Check(len(turns) + 1, "turn", "fail", "the conversation stopped here"))
    checks += judge_outcome(conversation.outcome, after, caps)
    return checks
