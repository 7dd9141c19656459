"""Every typed key of the aiohttp application, in one place."""

from __future__ import annotations

from aiohttp import web

from chatserver.settings import Settings

__all__ = ["SETTINGS"]

SETTINGS = web.AppKey("settings", Settings)
