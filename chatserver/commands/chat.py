"""`chatbot chat [URL]`: talk to the bot from a terminal over the customer Socket.IO protocol.

Interactive by default: type a message and press Enter, type a number to pick a quick reply, and
press Ctrl-D to quit. With `--script FILE` it sends each non-empty line of FILE as one turn, waits
until the server says the turn is done (`bot_typing` false), prints the transcript and exits 0;
input piped in (not a terminal) is read the same way, so `echo hi | chatbot chat` prints the answer.
It exits 1 when the server is unreachable or an answer does not come within `--timeout`.

The protocol is docs/protocol.md. The formatting and parsing helpers here are pure functions, and
`ChatClient` is the only part that does I/O.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_URL",
    "PROTOCOL",
    "ChatClient",
    "ChatError",
    "ChatTimeout",
    "QuickReply",
    "format_event",
    "quick_replies",
    "read_script",
    "register",
    "resolve_input",
    "run",
    "run_script",
    "session_id_from",
]

DEFAULT_URL = "http://127.0.0.1:8080"
# Asked for in `session_request`: the server's keys and events on top of Rasa's (the transcript
# names who spoke, and `bot_typing` false ends a turn). Kept literal so this client stays light.
PROTOCOL = "chatbot/1"
Write = Callable[[str], None]


class ChatError(Exception):
    """The conversation could not go on: the server is unreachable, silent or gone."""


class ChatTimeout(ChatError):
    """The server said nothing for too long."""


@dataclass(frozen=True)
class QuickReply:
    title: str
    payload: str


# ---------------------------------------------------------------------- pure helpers


def session_id_from(data: Any) -> str | None:
    """The id in a `session_confirm`: a plain string (Rasa) or `{"session_id": ...}`."""
    if isinstance(data, str):
        return data or None
    if isinstance(data, dict) and isinstance(data.get("session_id"), str):
        return data["session_id"] or None
    return None


def quick_replies(data: Any) -> list[QuickReply]:
    """The quick replies of a `bot_uttered` payload, skipping malformed entries."""
    replies = data.get("quick_replies") if isinstance(data, dict) else None
    result = []
    for item in replies or ():
        if isinstance(item, dict) and isinstance(item.get("title"), str):
            payload = item.get("payload")
            result.append(QuickReply(item["title"], payload if isinstance(payload, str) else ""))
    return result


def _speaker(data: dict[str, Any]) -> str:
    sender = data.get("sender") or "bot"
    if sender == "agent":
        return f"agent {data['agent_name']}" if data.get("agent_name") else "agent"
    return str(sender)


def format_event(name: str, data: Any) -> list[str]:
    """Transcript lines for one server event; [] for events that print nothing."""
    data = data if isinstance(data, dict) else {}
    if name == "bot_uttered":
        lines = [f"{_speaker(data)}: {data['text']}"] if data.get("text") else []
        lines += [f"  {n}) {qr.title}" for n, qr in enumerate(quick_replies(data), start=1)]
        return lines
    if name == "session_history":
        lines = []
        for message in data.get("messages") or ():
            if isinstance(message, dict):
                speaker = "you" if message.get("sender") == "customer" else _speaker(message)
                lines.append(f"{speaker}: {message.get('text', '')}")
        return lines
    if name == "session_status":
        return []  # the server's system line tells who joined or left: one notice, not two
    if name == "error":
        return [f"error: {data.get('message') or data.get('code') or 'refused'}"]
    return []


def resolve_input(line: str, choices: Sequence[QuickReply]) -> tuple[str, str]:
    """(message to send, text to show) for what the user typed; a number picks a quick reply."""
    text = line.strip()
    if text.isdigit() and 1 <= int(text) <= len(choices):
        choice = choices[int(text) - 1]
        return choice.payload or choice.title, choice.title
    return text, text


def read_script(text: str) -> list[str]:
    """The turns of a script: every non-empty line, stripped."""
    return [line.strip() for line in text.splitlines() if line.strip()]


# ---------------------------------------------------------------------- I/O


class ChatClient:
    """One customer connection; server events land in `events` as (name, data) pairs."""

    EVENTS = (
        "session_confirm",
        "session_history",
        "bot_uttered",
        "user_message",
        "bot_typing",
        "session_status",
        "error",
    )

    def __init__(self, url: str, *, timeout: float = 15.0) -> None:
        import socketio

        self.url = url
        self.timeout = timeout
        self.session_id: str | None = None
        self.events: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self._sio = socketio.AsyncClient(reconnection=False)
        for name in self.EVENTS:
            self._sio.on(name, self._queue(name))
        self._sio.on("disconnect", self._queue("disconnect"))

    def _queue(self, name: str) -> Callable[..., Any]:
        async def handler(*args: Any) -> None:
            await self.events.put((name, args[0] if args else None))

        return handler

    async def connect(self) -> str:
        """Connects and starts a session; returns the server-issued session id.

        Raises:
            ChatError: the server is unreachable or does not confirm a session in time.
        """
        import socketio

        try:
            await self._sio.connect(self.url, wait_timeout=self.timeout)
        except socketio.exceptions.ConnectionError as exc:
            raise ChatError(f"cannot connect to {self.url}: {exc}") from exc
        await self._sio.emit(
            "session_request", {"session_id": None, "last_message_id": None, "protocol": PROTOCOL}
        )
        while self.session_id is None:
            name, data = await self.next_event()
            if name == "session_confirm":
                self.session_id = session_id_from(data)
        return self.session_id

    async def next_event(self, timeout: float | None = None) -> tuple[str, Any]:
        """The next server event. Raises ChatError on timeout or disconnection."""
        try:
            name, data = await asyncio.wait_for(self.events.get(), timeout or self.timeout)
        except TimeoutError:
            raise ChatTimeout(
                f"no answer from {self.url} within {timeout or self.timeout:g}s"
            ) from None
        if name == "disconnect":
            raise ChatError(f"{self.url} closed the connection")
        return name, data

    async def send(self, message: str) -> None:
        await self._sio.emit(
            "user_uttered",
            {
                "message": message,
                "session_id": self.session_id,
                "customData": {"client_message_id": f"cli-{uuid.uuid4().hex}"},
            },
        )

    async def close(self) -> None:
        await self._sio.disconnect()


class _Transcript:
    """Prints server events and remembers the quick replies currently on offer."""

    def __init__(self, write: Write) -> None:
        self.write = write
        self.choices: list[QuickReply] = []

    def show(self, name: str, data: Any) -> None:
        if name == "bot_uttered":
            self.choices = quick_replies(data)
        for line in format_event(name, data):
            self.write(line)


def _drain(client: ChatClient, transcript: _Transcript) -> None:
    while not client.events.empty():
        name, data = client.events.get_nowait()
        if name == "disconnect":
            raise ChatError(f"{client.url} closed the connection")
        transcript.show(name, data)


async def _turn(client: ChatClient, transcript: _Transcript, line: str) -> None:
    """Sends one line and prints the answer, until `bot_typing` false or an `error`."""
    _drain(client, transcript)  # anything said before this turn (a greeting, an agent)
    message, shown = resolve_input(line, transcript.choices)
    transcript.write(f"you: {shown}")
    await client.send(message)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + client.timeout
    while True:
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise ChatTimeout(f"no answer within {client.timeout:g}s to: {shown}")
        try:
            name, data = await client.next_event(remaining)
        except ChatTimeout:
            raise ChatTimeout(f"no answer within {client.timeout:g}s to: {shown}") from None
        transcript.show(name, data)
        if name == "error" or (name == "bot_typing" and not (data or {}).get("typing")):
            return


async def run_script(url: str, lines: Sequence[str], *, timeout: float, write: Write) -> None:
    """Plays `lines` as customer turns against the server at `url`, writing the transcript.

    Raises:
        ChatError: unreachable server, or a turn without an answer within `timeout` seconds.
    """
    client = ChatClient(url, timeout=timeout)
    try:
        await client.connect()
        transcript = _Transcript(write)
        for line in lines:
            await _turn(client, transcript, line)
    finally:
        await client.close()


async def _stdin_lines() -> asyncio.StreamReader | None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    try:
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    except (ValueError, OSError):
        return None  # a regular file: read it with blocking readline in a thread instead
    return reader


async def _interactive(url: str, *, timeout: float, write: Write) -> None:
    client = ChatClient(url, timeout=timeout)
    try:
        session_id = await client.connect()
        write(f"connected to {url} (session {session_id[:8]}…)")
        write("type a message and press Enter; a number picks a quick reply; Ctrl-D quits")
        transcript = _Transcript(write)

        async def printer() -> None:
            while True:
                name, data = await client.events.get()
                if name == "disconnect":
                    write("-- disconnected --")
                    return
                transcript.show(name, data)

        printing = asyncio.create_task(printer())
        reader = await _stdin_lines()
        loop = asyncio.get_running_loop()
        while not printing.done():
            if reader is not None:
                raw = (await reader.readline()).decode()
            else:
                raw = await loop.run_in_executor(None, sys.stdin.readline)
            if not raw:
                break
            if raw.strip():
                message, _ = resolve_input(raw, transcript.choices)
                await client.send(message)
        printing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await printing
    finally:
        await client.close()


# ---------------------------------------------------------------------- command


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "chat", help="chat with the bot from a terminal, as a customer would in the widget"
    )
    p.add_argument("url", nargs="?", default=DEFAULT_URL, help=f"server (default {DEFAULT_URL})")
    p.add_argument(
        "--script",
        metavar="FILE",
        help="send each non-empty line of FILE ('-' for stdin) as a turn, print the transcript",
    )
    p.add_argument(
        "--timeout", type=float, default=15.0, help="seconds to wait for each answer (default 15)"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    def write(line: str) -> None:
        print(line, flush=True)

    script = args.script
    if script is None and not sys.stdin.isatty():
        script = "-"  # piped: turn by turn, each answer printed before the next line goes
    try:
        if script:
            source = sys.stdin.read() if script == "-" else Path(script).read_text()
            lines = read_script(source)
            asyncio.run(run_script(args.url, lines, timeout=args.timeout, write=write))
        else:
            asyncio.run(_interactive(args.url, timeout=args.timeout, write=write))
    except (OSError, ChatError) as exc:
        print(f"chatbot chat: {exc}", file=sys.stderr)
        return 1
    return 0
