"""The optional speed-ups change nothing a client can see: orjson writes the Socket.IO
payloads json would (compact), reads what json reads and refuses what json refuses; the
event loop is uvloop's when installed and a plain asyncio loop when turned off."""

from __future__ import annotations

import json

import pytest

from chatserver.ops.speedups import event_loop, socketio_json

PAYLOAD = {"text": "Your parcel is on its way — “soon” 📦", "id": 7, "quick_replies": [],
           "confidence": 0.25, "nested": {"ok": True, "none": None}}  # fmt: skip


def test_orjson_writes_and_reads_what_socketio_s_json_would():
    codec = socketio_json()
    assert codec is not None  # orjson is a dependency
    text = codec.dumps(PAYLOAD, separators=(",", ":"))
    assert isinstance(text, str)
    assert json.loads(text) == PAYLOAD and codec.loads(text) == PAYLOAD
    assert codec.loads(json.dumps(PAYLOAD)) == PAYLOAD
    huge = {"n": -(2**63) - 1, "m": 2**70}  # beyond orjson's 64 bits: json's way
    assert codec.loads(codec.dumps(huge)) == huge == json.loads(json.dumps(huge))
    with pytest.raises(ValueError):  # python-socketio treats a bad packet as ValueError
        codec.loads('["user_uttered", {')


def test_each_speedup_can_be_turned_off(monkeypatch):
    monkeypatch.setenv("CHATBOT_NO_ORJSON", "1")
    monkeypatch.setenv("CHATBOT_NO_UVLOOP", "1")
    assert socketio_json() is None
    loop = event_loop()
    try:
        assert type(loop).__module__.startswith("asyncio.")
    finally:
        loop.close()


def test_the_loop_is_uvloop_s_when_installed():
    uvloop = pytest.importorskip("uvloop")
    loop = event_loop()
    try:
        assert isinstance(loop, uvloop.Loop)
    finally:
        loop.close()
