"""Optional speed-ups: a faster event loop and JSON codec, when installed.

Both are measured in docs/benchmarks.md ("Turn cost (issue 16)"). Each is used only if
its package is importable, so the server runs the same without them.
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

__all__ = ["event_loop", "socketio_json"]


def _wanted(name: str) -> bool:
    return os.environ.get(f"CHATBOT_NO_{name.upper()}", "") != "1"


def event_loop() -> asyncio.AbstractEventLoop:
    """uvloop's loop when installed (and not turned off by CHATBOT_NO_UVLOOP=1)."""
    if _wanted("uvloop"):
        try:
            import uvloop
        except ImportError:
            pass
        else:
            return uvloop.new_event_loop()
    return asyncio.new_event_loop()


class _OrjsonCodec:
    """The ``json`` module interface python-socketio calls: orjson writes, json reads.

    What orjson refuses to write and json takes (integers beyond 64 bits) goes to json,
    so nothing a client can send or be sent behaves differently.
    """

    def __init__(self, orjson: Any) -> None:
        self._orjson = orjson

    def dumps(self, obj: Any, **_: Any) -> str:  # socketio passes separators=: compact anyway
        try:
            return self._orjson.dumps(obj).decode()
        except TypeError:
            return json.dumps(obj, separators=(",", ":"))

    def loads(self, text: str | bytes, **_: Any) -> Any:
        # json: orjson reads an integer beyond 64 bits as a float, json as the integer.
        # A turn reads one packet and writes several, so the writing is what counts.
        return json.loads(text)


def socketio_json() -> Any:
    """A codec for ``socketio.AsyncServer(json=...)``: orjson when installed, else None."""
    if not _wanted("orjson"):
        return None
    try:
        import orjson
    except ImportError:
        return None
    return _OrjsonCodec(orjson)
