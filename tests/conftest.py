"""Shared fixtures: the app is built by the same factory the server uses."""

from __future__ import annotations

import pytest

from chatserver.settings import Settings, load_settings


@pytest.fixture
def settings(tmp_path) -> Settings:
    return load_settings(data_dir=tmp_path, database_url=f"sqlite+aiosqlite:///{tmp_path}/t.db")
