"""Articles from a folder of Markdown files: reading, skipping bad files, finding
changes; and the demo shop's articles agreeing with its policy."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from integrations.articles_folder import ArticleFolder
from integrations.sandbox.helpcenter import ARTICLES_DIR

POLICY = Path(__file__).resolve().parents[2] / "chatserver" / "policy.yml"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


ARTICLE = """---
title: Gift cards
section: payments
labels: [gift card, voucher]
---
We sell **digital** gift cards.

## Balance

Check it at checkout.
"""


async def test_reads_markdown_with_front_matter_into_articles(tmp_path):
    write(tmp_path, "_sections.yml", "sections:\n  payments: {id: 7, name: Payments}\n")
    write(tmp_path, "gift-cards.md", ARTICLE)
    folder = ArticleFolder(tmp_path, base_url="https://shop.example/help/")
    [article] = await folder.articles()
    assert (article.id, article.slug, article.title) == ("gift-cards", "gift-cards", "Gift cards")
    assert (article.section, article.section_id) == ("Payments", "7")
    assert article.url == "https://shop.example/help/gift-cards"
    assert article.labels == ("gift card", "voucher")
    assert article.body_html == (
        "<p>We sell <strong>digital</strong> gift cards.</p>\n<h2>Balance</h2>\n"
        "<p>Check it at checkout.</p>\n"
    )
    assert article.keys == ("gift-cards",)
    assert article.updated_at is not None and article.updated_at.tzinfo is not None


async def test_raw_html_in_markdown_is_escaped(tmp_path):
    write(tmp_path, "x.md", "---\ntitle: X\n---\n<script>alert(1)</script>\n")
    [article] = await ArticleFolder(tmp_path).articles()
    assert "<script>" not in article.body_html


async def test_a_bad_file_is_skipped_and_named_the_others_load(tmp_path):
    write(tmp_path, "good.md", ARTICLE)
    write(tmp_path, "no-title.md", "---\nsection: x\n---\nBody\n")
    write(tmp_path, "no-front-matter.md", "Just text\n")
    write(tmp_path, "bad-yaml.md", "---\ntitle: [unclosed\n---\nBody\n")
    write(tmp_path, "twin.md", "---\nid: good\ntitle: Same id\n---\nBody\n")
    folder = ArticleFolder(tmp_path)
    articles = await folder.articles()
    assert [a.id for a in articles] == ["good"]
    named = " ".join(folder.problems)
    for name in ("no-title.md", "no-front-matter.md", "bad-yaml.md", "twin.md"):
        assert name in named


async def test_a_missing_folder_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        await ArticleFolder(tmp_path / "nope").articles()


async def test_drafts_are_left_out(tmp_path):
    write(tmp_path, "a.md", "---\ntitle: A\ndraft: true\n---\nBody\n")
    assert await ArticleFolder(tmp_path).articles() == []


async def test_changed_since_reports_edits_additions_and_removals(tmp_path):
    write(tmp_path, "a.md", "---\ntitle: A\n---\nOne\n")
    write(tmp_path, "b.md", "---\ntitle: B\n---\nTwo\n")
    folder = ArticleFolder(tmp_path)
    assert len(await folder.articles()) == 2
    unchanged = await folder.changed_since(datetime.now(UTC))
    assert unchanged.updated == () and unchanged.removed == ()

    write(tmp_path, "a.md", "---\ntitle: A\n---\nOne, edited\n")
    write(tmp_path, "c.md", "---\ntitle: C\n---\nThree\n")
    (tmp_path / "b.md").unlink()
    changes = await folder.changed_since(unchanged.end_time)
    assert sorted(a.id for a in changes.updated) == ["a", "c"]
    assert changes.removed == ("b",)


async def test_first_changed_since_uses_updated_at(tmp_path):
    write(tmp_path, "old.md", "---\ntitle: Old\nupdated_at: 2026-01-01T00:00:00Z\n---\nx\n")
    fresh = write(tmp_path, "new.md", "---\ntitle: New\n---\nx\n")
    os.utime(fresh, (datetime(2026, 6, 1, tzinfo=UTC).timestamp(),) * 2)
    changes = await ArticleFolder(tmp_path).changed_since(datetime(2026, 3, 1, tzinfo=UTC))
    assert [a.id for a in changes.updated] == ["new"]


# --- the demo shop's help center ------------------------------------------------


def demo_texts() -> dict[str, str]:
    folder = ArticleFolder(ARTICLES_DIR)
    return {a.slug or a.id: re.sub(r"<[^>]+>", "", a.body_html) for a in folder.load()}


def test_demo_help_center_has_at_least_25_articles_in_sections():
    folder = ArticleFolder(ARTICLES_DIR)
    articles = folder.load()
    assert len(articles) >= 25 and folder.problems == []
    assert all(a.section for a in articles)
    assert len({a.section for a in articles}) >= 6


def test_demo_articles_agree_with_the_shop_policy():
    policy = yaml.safe_load(POLICY.read_text(encoding="utf-8"))
    texts = demo_texts()
    returns = policy["returns"]["window_days"]
    assert f"{returns} days of delivery" in texts["how-to-return-an-item"]
    assert (
        f"within {policy['shipping']['processing_days']} business days of payment"
        in (texts["when-will-my-order-ship"])
    )
    free_over = policy["shipping"]["free_shipping_over"].removesuffix(".00")
    assert f"free on orders over ${free_over}" in texts["shipping-options-costs-and-delivery-times"]
    for option in policy["shipping"]["options"]:
        price = option.rsplit("$", 1)[1]
        assert f"${price}" in " ".join(texts.values()), option
    refunds = policy["refunds"]
    assert f"within {refunds['processing_days']} business days" in texts["refund-timing"]
    assert refunds["bank_days"] in texts["refund-timing"]
    assert policy["shop"]["support_email"] in texts["contact-and-opening-hours"]
    assert "9 am to 5 pm Eastern" in texts["contact-and-opening-hours"]  # business_hours
    assert "has not shipped" in texts["change-or-cancel-an-order"]  # allowed: unfulfilled
