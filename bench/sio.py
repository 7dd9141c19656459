"""A light Socket.IO client: Engine.IO v4 / Socket.IO v5 text frames over one websocket.

``python-socketio``'s ``AsyncClient`` costs a task set, a queue and a polling fallback per
connection, which makes the load generator the bottleneck long before the server. This
client speaks only what the benchmarks need, on the websocket transport:

- ``0{...}`` open (server), ``2``/``3`` ping/pong (the server pings, we answer),
- ``40`` connect the default namespace, ``40{"sid"}`` accepted, ``44{...}`` refused,
- ``42["event", data]`` events both ways, ``41`` disconnect.

Binary packets, acks and other namespaces are not supported.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import aiohttp

__all__ = ["RawSocketIO", "SocketIOError", "decode_event", "encode_event"]

Handler = Callable[[str, Any], None]


class SocketIOError(Exception):
    """The server refused or dropped the connection."""


def encode_event(event: str, data: Any) -> str:
    return "42" + json.dumps([event, data], separators=(",", ":"))


def decode_event(frame: str) -> tuple[str, Any] | None:
    """(event, data) of a ``42`` event frame on the default namespace, else None."""
    if not frame.startswith("42"):
        return None
    body = frame[2:]
    if body[:1] not in ("[",):  # ack id or namespace: not ours
        return None
    items = json.loads(body)
    return items[0], (items[1] if len(items) > 1 else None)


class RawSocketIO:
    """One customer connection. ``on_event(name, data)`` is called for every server event.

    Args:
        session: the aiohttp session to connect with (its connector picks the source address).
        url: the server, e.g. ``http://127.0.0.1:8080``.
    """

    def __init__(self, session: aiohttp.ClientSession, url: str, on_event: Handler) -> None:
        self.session = session
        self.url = url.rstrip("/")
        self.on_event = on_event
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.closed = asyncio.Event()
        self._connected: asyncio.Future[None] | None = None
        self._reader: asyncio.Task[None] | None = None

    async def connect(self, timeout: float = 30.0) -> None:
        ws_url = self.url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
        self.ws = await self.session.ws_connect(
            ws_url, autoping=False, timeout=aiohttp.ClientWSTimeout(ws_close=5.0)
        )
        self._connected = asyncio.get_running_loop().create_future()
        self._reader = asyncio.create_task(self._read())
        try:
            await asyncio.wait_for(self._connected, timeout)
        except BaseException:
            await self.close()
            raise

    async def _read(self) -> None:
        assert self.ws is not None and self._connected is not None
        ws = self.ws
        try:
            async for msg in ws:
                if msg.type != aiohttp.WSMsgType.TEXT:
                    continue
                frame: str = msg.data
                kind = frame[:1]
                if kind == "4":
                    if frame[1:2] == "2":
                        event = decode_event(frame)
                        if event is not None:
                            self.on_event(*event)
                    elif frame[1:2] == "0" and not self._connected.done():
                        self._connected.set_result(None)
                    elif frame[1:2] == "4" and not self._connected.done():
                        self._connected.set_exception(SocketIOError(f"refused: {frame[2:]}"))
                    elif frame[1:2] == "1":
                        break
                elif kind == "2":
                    await ws.send_str("3")
                elif kind == "0":
                    await ws.send_str("40")
                elif kind == "1":
                    break
        except (aiohttp.ClientError, ConnectionError):
            pass
        finally:
            if not self._connected.done():
                self._connected.set_exception(SocketIOError("connection closed during handshake"))
            self.closed.set()

    async def emit(self, event: str, data: Any) -> None:
        if self.ws is None or self.closed.is_set():
            raise SocketIOError("not connected")
        await self.ws.send_str(encode_event(event, data))

    async def close(self) -> None:
        if self.ws is not None and not self.ws.closed:
            try:
                await self.ws.send_str("41")
            except (aiohttp.ClientError, ConnectionError):
                pass
            await self.ws.close()
        if self._reader is not None:
            self._reader.cancel()
            try:
                await self._reader
            except (asyncio.CancelledError, Exception):
                pass
        self.closed.set()
