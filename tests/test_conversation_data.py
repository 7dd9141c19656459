"""The conversation benchmark's files follow their format (bench/conversations/README.md).

Only the format and the coverage the issue asks for are checked here; running the
conversations against the service is the runner's job.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bench.conversation_data import DATA_DIR, FormatError, check, load

CATEGORIES = {
    "case_study", "typed_answers", "two_asks", "lost_thread", "handoff", "outside_catalogue",
    "closings_empathy", "identity_and_security", "happy_paths", "email", "recovery_paths",
    "mid_flow_switch",
}  # fmt: skip

# Issue 13's own failing messages: each one is in the benchmark, word for word.
ISSUE_WORDINGS = [
    "ok fine yes cancel it",
    "can i pause it instead for a couple months?",
    "hello? is anyone there?",
    "can i return it if it doesnt fit? and how long do refunds take?",
    "I dont have an order number",
    "i lost the confirmation email, can you look it up by my email?",
    "can i change the size to M instead?",
    "do you sell gift cards?",
    "what's the weather in Paris tomorrow",
    "thank you, bye",
    "one of the mugs arrived cracked :(",
    "paid a week ago, still not shipped although you promise 2 days, cancel it if you can't ship",
]


@pytest.fixture(scope="module")
def conversations():
    return load()


def test_every_file_parses_and_every_conversation_is_well_formed():
    found, errors = check()
    assert errors == []
    assert {c.category for c in found} == CATEGORIES
    assert {p.stem for p in DATA_DIR.glob("*.yml")} == CATEGORIES


def test_at_least_200_conversations_mostly_off_the_happy_path(conversations):
    assert len(conversations) >= 200
    happy = sum(not c.off_happy_path for c in conversations)
    assert 0.15 <= happy / len(conversations) <= 0.25
    assert all(len(c.turns) >= 1 for c in conversations)
    assert sum(len(c.turns) > 1 for c in conversations) >= len(conversations) / 2


def test_several_voices_and_both_channels(conversations):
    voices = " ".join(c.voice.lower() for c in conversations)
    for voice in ("terse", "rambling", "typo", "non-native", "angry", "polite", "elderly"):
        assert voice in voices
    assert any("lowercase" in c.voice for c in conversations)
    channels = Counter(c.channel for c in conversations)
    assert channels["email"] >= 30 and channels["chat"] >= 150


def test_the_fast_subset_spans_every_category(conversations):
    fast = [c for c in conversations if c.fast]
    assert 35 <= len(fast) <= 60
    assert {c.category for c in fast} == CATEGORIES


def test_the_issues_own_messages_are_all_there(conversations):
    said = {t.value for c in conversations for t in c.turns if t.kind == "customer"}
    assert [w for w in ISSUE_WORDINGS if w not in said] == []


def test_every_conversation_expects_something(conversations):
    for c in conversations:
        judged = any(t.expect for t in c.turns) or c.outcome
        assert judged, c.id


def test_security_cases_exist(conversations):
    security = [c for c in conversations if c.category == "identity_and_security"]
    assert any(c.channel == "email" and c.email_ccs for c in security)
    assert any(len({t.value for t in c.turns}) >= 5 for c in security)  # walking numbers


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("- id: x\n", "missing 'category'"),
        (
            "- {id: email-01, category: email, voice: v, channel: email, agents_online: true,\n"
            "   email_from: a@b.example, turns: [{customer: hi, expect: {state: bot}}],\n"
            "   outcome: {escalated: false}}\n",
            "are for chat turns",
        ),
        (
            "- {id: email-01, category: email, voice: v, channel: chat, identity: none,\n"
            "   agents_online: true, turns: [{customer: hi}],\n"
            "   outcome: {actions: [cancel_order: '#2001']}}\n",
            "not a demo order",
        ),
        (
            "- {id: email-01, category: email, voice: v, channel: chat, identity: none,\n"
            "   agents_online: true, turns: [{customer: hi, expect: {must: ['1Z999AA10123456785']}}],\n"
            "   outcome: {escalated: false}}\n",
            "not a demo tracking number",
        ),
        (
            "- {id: email-01, category: email, voice: v, channel: chat, identity: none,\n"
            "   agents_online: true, turns: [{customer: hi, expect: {act: maybe}}],\n"
            "   outcome: {escalated: false}}\n",
            "unknown act",
        ),
        ("not: [a list", "not valid YAML"),
    ],
)
def test_format_errors_are_named(tmp_path: Path, text: str, error: str):
    (tmp_path / "email.yml").write_text(text, encoding="utf-8")
    _, errors = check(tmp_path)
    assert any(error in e for e in errors), errors
    with pytest.raises(FormatError):
        load(tmp_path)
