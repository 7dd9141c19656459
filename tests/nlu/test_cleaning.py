"""clean(): the customer's own words, from chat or e-mail."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlu.cleaning import MAX_CHARS, clean

EMAILS = Path(__file__).parent / "fixtures" / "email"
CASES = sorted(p for p in EMAILS.iterdir() if ".expected" not in p.name)


@pytest.mark.parametrize("raw", CASES, ids=lambda p: p.name)
def test_email_fixture_reduces_to_the_new_message(raw: Path) -> None:
    expected = (EMAILS / f"{raw.name.split('.')[0]}.expected.txt").read_text(encoding="utf-8")
    assert clean(raw.read_text(encoding="utf-8"), channel="email") == expected.strip()


def test_chat_text_keeps_its_words_and_collapses_whitespace() -> None:
    assert clean("  hi   there \t\n where is   my order?  ") == "hi there where is my order?"


def test_paragraph_breaks_survive_single_line_breaks_do_not() -> None:
    assert clean("first line\nsame paragraph\n\n\n\nnext one") == (
        "first line same paragraph\n\nnext one"
    )


def test_unicode_is_nfkc_normalised_and_invisible_characters_removed() -> None:
    raw = "ｗｈｅｒｅ\u200b is my\u00a0order\ufeff\x07?"
    assert clean(raw) == "where is my order?"


def test_chat_is_not_stripped_like_email() -> None:
    assert clean("Thanks,\nJohn", channel="chat") == "Thanks, John"
    assert clean("> quoting is text in chat") == "> quoting is text in chat"


def test_a_bare_thanks_email_is_kept() -> None:
    assert clean("Thank you!\n", channel="email") == "Thank you!"


def test_quoted_lines_are_dropped_from_email() -> None:
    assert clean("Yes please.\n> Do you want a refund?\n>> earlier", channel="email") == (
        "Yes please."
    )


def test_html_entities_and_tags_become_text_and_scripts_vanish() -> None:
    raw = "<p>Fish &amp; chips<script>alert(1)</script></p><style>p{}</style><br>ok"
    assert clean(raw, channel="email") == "Fish & chips\n\nok"


def test_a_megabyte_is_capped() -> None:
    out = clean("where is my order " * 60_000, channel="email")
    assert len(out) <= MAX_CHARS
    assert out.startswith("where is my order")


def test_non_strings_are_refused() -> None:
    with pytest.raises(TypeError):
        clean(b"bytes")  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=2000), channel=st.sampled_from(["chat", "email"]))
def test_any_string_cleans_to_a_capped_string_without_control_characters(
    text: str, channel: str
) -> None:
    out = clean(text, channel)
    assert len(out) <= MAX_CHARS
    assert out == out.strip()
    assert not any(ord(c) < 32 and c != "\n" for c in out)
    assert "\ue000" not in out
