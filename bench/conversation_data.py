"""The conversation benchmark's data: load the YAML files and check their format.

The format is specified in bench/conversations/README.md. This module only reads and
checks the files (keys, types, the action vocabulary, ids, that order numbers and tracking
numbers named in expectations exist in the demo shop); it runs no conversation (the
runner, ``python -m bench.conversations``, is ``bench.conversation_runner``).
``python -m bench.conversation_data`` checks every file and prints the counts per category.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from integrations.sandbox.demo import build_demo_shop

__all__ = [
    "ACTIONS",
    "ACTS",
    "DATA_DIR",
    "Conversation",
    "FormatError",
    "Turn",
    "check",
    "load",
    "main",
]

DATA_DIR = Path(__file__).with_name("conversations")

CONVERSATION_KEYS = {
    "id", "category", "voice", "channel", "identity", "agents_online", "business_hours",
    "email_from", "email_ccs", "fast", "why", "turns", "outcome",
}  # fmt: skip
REQUIRED = ("id", "category", "voice", "channel", "agents_online", "turns", "outcome")
TURN_KINDS = ("customer", "button", "agent", "agent_says")
TURN_KEYS = {*TURN_KINDS, "subject", "expect"}
AGENT_MOVES = {"join", "hand_back", "close"}
EXPECT_KEYS = {
    "intent", "act", "must", "must_not", "buttons", "no_buttons", "once", "silent", "state",
}  # fmt: skip
CHAT_ONLY_EXPECT = {"buttons", "no_buttons", "state"}
OUTCOME_KEYS = {"escalated", "actions", "not_actions", "tickets", "handoff_must"}
ACTS = {"affirm", "deny", "choose", "inform", "dont_know", "ask_human", "change_topic", "stop"}
STATES = {"bot", "waiting", "human", "closed"}
INTENTS = {
    "track_order", "missing_item", "damaged_item", "return_item", "refund_status",
    "cancel_order", "cancel_subscription", "change_address", "shipping_info", "payment_issue",
    "invoice", "account_help", "human_agent", "complaint", "greeting", "thanks", "goodbye",
    "out_of_scope",
}  # fmt: skip
# action -> what its argument names ("order", "email"), and whether `actions` needs it
ACTIONS = {
    "cancel_order": "order",
    "cancel_subscription": "email",
    "return_requested": "order",
    "ticket_created": "email",
    "status_emailed": "email",
}
ARGUMENT_OPTIONAL = {"ticket_created"}

ID = re.compile(r"^[a-z]+(?:-[a-z]+)*-\d{2,3}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")
ORDER_REF = re.compile(r"#(\d{3,6})\b")
# long digit runs and UPS numbers written in expectations must be the demo's own
TRACKING_LIKE = re.compile(r"\b(1Z[0-9A-Z]{16}|\d{10,22})\b")


class FormatError(Exception):
    """A conversation file does not follow the format; the message names file and place."""


@dataclass(frozen=True)
class Turn:
    kind: str  # customer | button | agent | agent_says
    value: str
    expect: dict[str, Any] = field(default_factory=dict)
    subject: str | None = None


@dataclass(frozen=True)
class Conversation:
    id: str
    category: str
    voice: str
    channel: str
    identity: str
    agents_online: bool
    business_hours: bool
    turns: tuple[Turn, ...]
    outcome: dict[str, Any]
    email_from: str | None = None
    email_ccs: tuple[str, ...] = ()
    fast: bool = False
    why: str = ""
    source: str = ""  # file name, for messages

    @property
    def off_happy_path(self) -> bool:
        return self.category != "happy_paths"


@dataclass
class _Demo:
    orders: set[str]
    emails: set[str]
    trackings: set[str]

    @classmethod
    def build(cls) -> _Demo:
        shop = build_demo_shop()
        return cls(
            orders={o.name for o in shop.orders},
            emails={c.email for c in shop.customers},
            trackings={f.tracking_number for o in shop.orders for f in o.fulfillments},
        )


def _items(value: Any, where: str, errors: list[str]) -> None:
    """A must-list: strings, or non-empty lists of strings (alternatives)."""
    if not isinstance(value, list):
        errors.append(f"{where}: expected a list")
        return
    for i, item in enumerate(value):
        alts = item if isinstance(item, list) else [item]
        if not alts or not all(isinstance(a, str) and a.strip() for a in alts):
            errors.append(f"{where}[{i}]: expected a non-empty string or list of them")


def _strings(value: Any) -> list[str]:
    out: list[str] = []
    for item in value if isinstance(value, list) else []:
        out.extend(a for a in (item if isinstance(item, list) else [item]) if isinstance(a, str))
    return out


def _check_facts(texts: list[str], where: str, demo: _Demo, errors: list[str]) -> None:
    for text in texts:
        for number in ORDER_REF.findall(text):
            if f"#{number}" not in demo.orders:
                errors.append(f"{where}: #{number} is not a demo order")
        for tracking in TRACKING_LIKE.findall(text):
            if tracking not in demo.trackings:
                errors.append(f"{where}: {tracking} is not a demo tracking number")


def _check_expect(expect: Any, where: str, demo: _Demo, errors: list[str]) -> None:
    if not isinstance(expect, dict):
        errors.append(f"{where}: expect must be a mapping")
        return
    for key in sorted(set(expect) - EXPECT_KEYS):
        errors.append(f"{where}: unknown expect key {key!r}")
    intent = expect.get("intent")
    if intent is not None:
        names = intent if isinstance(intent, list) else [intent]
        for name in names:
            if name not in INTENTS:
                errors.append(f"{where}: unknown intent {name!r}")
    if "act" in expect and expect["act"] not in ACTS:
        errors.append(f"{where}: unknown act {expect['act']!r}")
    if "state" in expect and expect["state"] not in STATES:
        errors.append(f"{where}: unknown state {expect['state']!r}")
    if "silent" in expect and not isinstance(expect["silent"], bool):
        errors.append(f"{where}: silent must be true or false")
    for key in ("must", "must_not", "buttons", "no_buttons", "once"):
        if key in expect:
            _items(expect[key], f"{where}.{key}", errors)
    if expect.get("silent") and expect.get("must"):
        errors.append(f"{where}: a silent turn cannot have must")
    _check_facts(_strings(expect.get("must")), where, demo, errors)


def _check_action(item: Any, where: str, bare_ok: bool, demo: _Demo, errors: list[str]) -> None:
    if isinstance(item, str):
        if item not in ACTIONS:
            errors.append(f"{where}: unknown action {item!r}")
        elif not bare_ok and item not in ARGUMENT_OPTIONAL:
            errors.append(f"{where}: {item} needs its {ACTIONS[item]}")
        return
    if not (isinstance(item, dict) and len(item) == 1):
        errors.append(f"{where}: an action is a name or a one-key mapping")
        return
    ((name, arg),) = item.items()
    if name not in ACTIONS:
        errors.append(f"{where}: unknown action {name!r}")
    elif ACTIONS[name] == "order" and arg not in demo.orders:
        errors.append(f"{where}: {name} names {arg!r}, not a demo order like '#1005'")
    elif ACTIONS[name] == "email" and not (isinstance(arg, str) and EMAIL.match(arg)):
        errors.append(f"{where}: {name} needs an e-mail address, got {arg!r}")


def _check_outcome(outcome: Any, where: str, demo: _Demo, errors: list[str]) -> None:
    if not isinstance(outcome, dict) or not outcome:
        errors.append(f"{where}: outcome must be a non-empty mapping")
        return
    for key in sorted(set(outcome) - OUTCOME_KEYS):
        errors.append(f"{where}: unknown outcome key {key!r}")
    if "escalated" in outcome and not isinstance(outcome["escalated"], bool):
        errors.append(f"{where}.escalated: must be true or false")
    if "tickets" in outcome and not (
        isinstance(outcome["tickets"], int) and outcome["tickets"] >= 0
    ):
        errors.append(f"{where}.tickets: must be a whole number ≥ 0")
    for key, bare_ok in (("actions", False), ("not_actions", True)):
        value = outcome.get(key, [])
        if not isinstance(value, list):
            errors.append(f"{where}.{key}: expected a list")
            continue
        for i, item in enumerate(value):
            _check_action(item, f"{where}.{key}[{i}]", bare_ok, demo, errors)
    if "handoff_must" in outcome:
        _items(outcome["handoff_must"], f"{where}.handoff_must", errors)


def _turn(raw: Any, where: str, first: bool, conv: dict, demo: _Demo, errors: list[str]) -> Turn:
    if not isinstance(raw, dict):
        errors.append(f"{where}: a turn must be a mapping")
        return Turn("customer", "")
    for key in sorted(set(raw) - TURN_KEYS):
        errors.append(f"{where}: unknown turn key {key!r}")
    kinds = [k for k in TURN_KINDS if k in raw]
    if len(kinds) != 1:
        errors.append(f"{where}: a turn has exactly one of {', '.join(TURN_KINDS)}")
        return Turn("customer", "")
    kind, value = kinds[0], raw[kinds[0]]
    if not isinstance(value, str) or not value.strip():
        errors.append(f"{where}: {kind} must be a non-empty string")
        value = ""
    if kind == "agent" and value not in AGENT_MOVES:
        errors.append(f"{where}: agent must be one of {sorted(AGENT_MOVES)}")
    if conv.get("channel") == "email" and kind != "customer":
        errors.append(f"{where}: e-mail conversations have customer turns only")
    if "subject" in raw and not (first and conv.get("channel") == "email"):
        errors.append(f"{where}: subject belongs to the first turn of an e-mail")
    if "expect" in raw:
        _check_expect(raw["expect"], where, demo, errors)
        chat_only = CHAT_ONLY_EXPECT & set(raw["expect"] if isinstance(raw["expect"], dict) else ())
        if conv.get("channel") == "email" and chat_only:
            errors.append(f"{where}: {', '.join(sorted(chat_only))} are for chat turns")
    expect = raw.get("expect")
    return Turn(kind, value, dict(expect) if isinstance(expect, dict) else {}, raw.get("subject"))


def _conversation(raw: Any, where: str, stem: str, demo: _Demo, errors: list[str]):
    if not isinstance(raw, dict):
        errors.append(f"{where}: a conversation must be a mapping")
        return None
    where = f"{where} ({raw.get('id', '?')})"
    missing = [k for k in REQUIRED if k not in raw]
    channel = raw.get("channel")
    if channel == "chat" and "identity" not in raw:
        missing.append("identity")
    if channel == "email" and "email_from" not in raw:
        missing.append("email_from")
    for key in missing:
        errors.append(f"{where}: missing {key!r}")
    for key in sorted(set(raw) - CONVERSATION_KEYS):
        errors.append(f"{where}: unknown key {key!r}")
    if missing:
        return None
    if not (isinstance(raw["id"], str) and ID.match(raw["id"])):
        errors.append(f"{where}: id must look like 'case-study-07'")
    elif not raw["id"].startswith(stem.replace("_", "-") + "-"):
        errors.append(f"{where}: id must start with {stem.replace('_', '-')}-")
    if raw["category"] != stem:
        errors.append(f"{where}: category {raw['category']!r} is not the file's {stem!r}")
    if not (isinstance(raw["voice"], str) and raw["voice"].strip()):
        errors.append(f"{where}: voice must be a non-empty string")
    if channel not in ("chat", "email"):
        errors.append(f"{where}: channel must be chat or email")
    identity = raw.get("identity", "none")
    if identity != "none" and not (
        isinstance(identity, str)
        and identity.startswith("signed:")
        and identity.removeprefix("signed:") in demo.emails
    ):
        errors.append(f"{where}: identity must be none or signed:<a demo customer's e-mail>")
    if channel == "email" and identity != "none":
        errors.append(f"{where}: e-mail conversations have no signed identity")
    for key in ("agents_online", "business_hours", "fast"):
        if key in raw and not isinstance(raw[key], bool):
            errors.append(f"{where}: {key} must be true or false")
    if raw["agents_online"] is True and raw.get("business_hours") is False:
        errors.append(f"{where}: nobody is online outside business hours")
    ccs = raw.get("email_ccs", [])
    if not isinstance(ccs, list) or not all(isinstance(c, str) and EMAIL.match(c) for c in ccs):
        errors.append(f"{where}: email_ccs must be a list of e-mail addresses")
        ccs = []
    if channel == "chat" and ("email_ccs" in raw or "email_from" in raw):
        errors.append(f"{where}: email_from and email_ccs are for e-mail conversations")
    if channel == "email" and not EMAIL.match(str(raw["email_from"])):
        errors.append(f"{where}: email_from must be an e-mail address")
    turns = raw["turns"]
    if not isinstance(turns, list) or not turns:
        errors.append(f"{where}: turns must be a non-empty list")
        turns = []
    parsed = tuple(
        _turn(t, f"{where} turn {i + 1}", i == 0, raw, demo, errors) for i, t in enumerate(turns)
    )
    if parsed and parsed[0].kind not in ("customer", "button"):
        errors.append(f"{where}: the customer speaks (or clicks) first")
    _check_outcome(raw["outcome"], f"{where} outcome", demo, errors)
    return Conversation(
        id=str(raw["id"]),
        category=str(raw["category"]),
        voice=str(raw["voice"]),
        channel=str(channel),
        identity=str(identity),
        agents_online=bool(raw["agents_online"]),
        business_hours=bool(raw.get("business_hours", True)),
        turns=parsed,
        outcome=dict(raw["outcome"]) if isinstance(raw["outcome"], dict) else {},
        email_from=raw.get("email_from"),
        email_ccs=tuple(ccs),
        fast=bool(raw.get("fast", False)),
        why=str(raw.get("why", "")),
        source=stem,
    )


def check(directory: Path = DATA_DIR) -> tuple[list[Conversation], list[str]]:
    """Every conversation of every file, and every format error found (empty: all good)."""
    demo = _Demo.build()
    conversations: list[Conversation] = []
    errors: list[str] = []
    files = sorted(directory.glob("*.yml"))
    if not files:
        errors.append(f"{directory}: no .yml files")
    for path in files:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            errors.append(f"{path.name}: not valid YAML: {exc}")
            continue
        if not isinstance(data, list) or not data:
            errors.append(f"{path.name}: expected a non-empty list of conversations")
            continue
        for i, raw in enumerate(data):
            conv = _conversation(raw, f"{path.name}[{i}]", path.stem, demo, errors)
            if conv is not None:
                conversations.append(conv)
    for cid, n in Counter(c.id for c in conversations).items():
        if n > 1:
            errors.append(f"id {cid!r} is used {n} times")
    return conversations, errors


def load(directory: Path = DATA_DIR) -> list[Conversation]:
    """Every conversation, or FormatError listing what is wrong."""
    conversations, errors = check(directory)
    if errors:
        raise FormatError("\n".join(errors))
    return conversations


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=DATA_DIR)
    args = parser.parse_args(argv)
    conversations, errors = check(args.dir)
    for error in errors:
        print(error, file=sys.stderr)
    rows = Counter(c.category for c in conversations)
    fast = Counter(c.category for c in conversations if c.fast)
    email = Counter(c.category for c in conversations if c.channel == "email")
    print(f"{'category':<24}{'conversations':>14}{'fast':>6}{'email':>7}")
    for category in sorted(rows):
        print(f"{category:<24}{rows[category]:>14}{fast[category]:>6}{email[category]:>7}")
    total, off = len(conversations), sum(c.off_happy_path for c in conversations)
    print(f"{'total':<24}{total:>14}{sum(fast.values()):>6}{sum(email.values()):>7}")
    print(f"off the happy path: {off} ({100 * off / max(total, 1):.0f} %)")
    print(f"voices: {len({c.voice for c in conversations})} distinct")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
