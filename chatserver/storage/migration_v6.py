"""Migration 6: the prediction log keeps the help-center article a message was answered
with (``article_id``, ``article_title``, ``article_confidence``) and what came of it
(``article_feedback``: helped | not_helped | handed_off). Four nullable columns; every
row already logged keeps its values and has none (no article answered it)."""

from __future__ import annotations

import sqlalchemy as sa

__all__ = ["ARTICLE_COLUMNS", "upgrade_to_v6"]

ARTICLE_COLUMNS = (
    ("article_id", "VARCHAR(64)"),
    ("article_title", "VARCHAR(255)"),
    ("article_confidence", "FLOAT"),
    ("article_feedback", "VARCHAR(16)"),
)


def upgrade_to_v6(conn: sa.Connection) -> None:
    for name, kind in ARTICLE_COLUMNS:
        conn.execute(sa.text(f"ALTER TABLE predictions ADD COLUMN {name} {kind}"))
