"""The real server on a free port, and Socket.IO clients that record what they receive.

Shared by the channel, agent and browser end-to-end tests. Nothing here sleeps: clients
wait for the event they need (with a generous timeout as a safety net).
"""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import Any

import socketio
import yaml

from chatserver.app import create_app
from chatserver.keys import LIMITS
from chatserver.ops.limits import ChatLimits
from chatserver.settings import PROJECT_ROOT, load_settings

__all__ = [
    "CASE_STUDY",
    "TRACKING",
    "Agent",
    "Customer",
    "KeywordClassifier",
    "free_port",
    "start_server",
    "text_of",
]

CASE_STUDY = (
    "Hi, I bought a dress from you last week, I can see the charge on my card but I "
    "haven't received any information. Has it shipped?"
)
TRACKING = "9400111899223456789017"
WAIT = 15.0  # seconds; a safety net for a hung test, never an assertion


class KeywordClassifier:
    """A deterministic stand-in model: these tests are about the channel, not the NLU."""

    version = "test"
    intents = ("greeting", "out_of_scope", "track_order")

    def parse(self, text: str, channel: str = "chat", expecting: str | None = None) -> Any:
        from nlu.engine import Parse
        from nlu.entities import extract

        intent = "track_order" if "shipped" in text else "greeting"
        return Parse(
            text=text,
            cleaned=text,
            intent=intent,
            confidence=0.95,
            escalate=False,
            ranking=((intent, 0.95),),
            entities=tuple(extract(text)),
            model_version="test",
            reason=None,
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def always_open_policy(tmp_path: Path) -> Path:
    """The shipped policy, open every day around the clock (hand-offs stay in the chat)."""
    raw = yaml.safe_load((PROJECT_ROOT / "chatserver" / "policy.yml").read_text())
    raw["business_hours"].update(
        days=["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
        open="00:00",
        close="23:59:59.999999",
    )
    path = tmp_path / "policy.yml"
    path.write_text(yaml.safe_dump(raw))
    return path


async def start_server(
    aiohttp_server: Any,
    tmp_path: Path,
    *,
    classifier: Any = None,
    limits: ChatLimits | None = None,
    **overrides: Any,
) -> Any:
    """The whole demo server (sandboxes included) from ``create_app``; returns the TestServer."""
    port = free_port()
    values: dict[str, Any] = {
        "port": port,
        "database_url": f"sqlite+aiosqlite:///{tmp_path}/chat.db",
        "data_dir": tmp_path,
        "policy_path": always_open_policy(tmp_path),
    }
    values.update(overrides)
    settings = load_settings(**values)
    app = create_app(settings, classifier=classifier or KeywordClassifier())
    if limits is not None:
        app[LIMITS] = limits
    return await aiohttp_server(app, port=port)


class _Client:
    """A Socket.IO client that queues every event it receives."""

    namespace = "/"

    def __init__(self, url: str, headers: dict[str, str] | None = None) -> None:
        self.url = url
        self.headers = headers or {}
        self.sio = socketio.AsyncClient(reconnection=False)
        self.queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self.sio.on("*", self._record, namespace=self.namespace)

    async def _record(self, event: str, data: Any = None) -> None:
        await self.queue.put((event, data))

    async def connect(self) -> None:
        await self.sio.connect(
            self.url,
            headers=self.headers,
            namespaces=[self.namespace],
            transports=["websocket"],
            wait_timeout=WAIT,
        )

    async def expect(self, event: str) -> Any:
        """The next ``event`` received (events before it are dropped)."""
        while True:
            name, data = await asyncio.wait_for(self.queue.get(), WAIT)
            if name == event:
                return data

    async def aclose(self) -> None:
        await self.sio.disconnect()
        # Engine.IO's read and write tasks are done (sio.wait() would sleep a second more).
        await self.sio.eio.wait()


class Customer(_Client):
    """A chat widget without the widget."""

    session_id: str | None = None

    async def open(
        self,
        session_id: str | None = None,
        last_message_id: int | None = None,
        *,
        protocol: str | None = "chatbot/1",
    ) -> str:
        """Starts or resumes a session as the widget does (``protocol=None``: without the key)."""
        request: dict[str, Any] = {"session_id": session_id, "last_message_id": last_message_id}
        if protocol is not None:
            request["protocol"] = protocol
        return await self.request(request)

    async def request(self, payload: Any) -> str:
        """Sends ``session_request`` exactly as given; returns the confirmed session id."""
        if not self.sio.connected:
            await self.connect()
        await self.sio.emit("session_request", payload)
        self.session_id = await self.expect("session_confirm")
        return self.session_id

    async def send(self, text: str, **custom: Any) -> None:
        await self.sio.emit(
            "user_uttered", {"message": text, "session_id": self.session_id, "customData": custom}
        )

    async def turn(self, text: str, **custom: Any) -> list[dict[str, Any]]:
        """Send one message; the ``bot_uttered`` payloads of its turn, in order."""
        await self.send(text, **custom)
        return await self.replies()

    async def replies(self) -> list[dict[str, Any]]:
        """``bot_uttered`` payloads up to the end of the current turn (``bot_typing`` false)."""
        said: list[dict[str, Any]] = []
        while True:
            name, data = await asyncio.wait_for(self.queue.get(), WAIT)
            if name == "bot_uttered":
                said.append(data)
            elif name == "bot_typing" and data == {"typing": False}:
                return said
            elif name == "error":
                raise AssertionError(f"the server refused: {data}")


class Agent(_Client):
    """The agent console without the console: ``call`` emits with an ack."""

    namespace = "/agent"

    async def call(self, event: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
        answer: dict[str, Any] = await self.sio.call(
            event, data or {}, namespace="/agent", timeout=WAIT
        )
        return answer


def text_of(replies: list[dict[str, Any]]) -> str:
    return "\n".join(r["text"] for r in replies)
