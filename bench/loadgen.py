"""Closed-loop chat load: scripted customers in separate client processes.

Each customer holds one websocket (``bench.sio.RawSocketIO``), opens a session, and plays
its conversation turn by turn: it sends the next message only when the previous turn
ended (``bot_typing`` false, or an ``error`` refusal), then starts a new session and plays
it again. A turn's latency runs from just before the ``user_uttered`` frame is written to
the moment the reader sees the ``bot_typing`` false frame.

The clients run in ``procs`` processes of their own (spawned), so the process under test
keeps its core. They connect first, report ready, and start together on a shared
``time.monotonic()`` (system-wide on Linux).
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import aiohttp

from bench.sio import RawSocketIO

__all__ = [
    "CASE_STUDY",
    "FIRST",
    "SMALL_TALK",
    "Group",
    "LoadResult",
    "Turn",
    "run_load",
    "source_address",
]

FIRST = (
    "Hi, I bought a dress from you last week and I can see the charge on my card, "
    "but I haven't received any information since. Has it shipped?"
)


@dataclass(frozen=True)
class Turn:
    text: str
    kind: str  # the row it is reported under
    expect: str | None = None  # a bot reply of this turn should contain it


CASE_STUDY = (
    Turn("hi", "small talk"),
    Turn(FIRST, "case study", expect="order number"),
    Turn("maria@example.com #1001", "case study", expect="9400111899223456789017"),
    Turn("thanks", "small talk"),
    Turn("bye", "small talk"),
)
SMALL_TALK = (Turn("hi", "small talk"), Turn("thanks", "small talk"), Turn("bye", "small talk"))


@dataclass(frozen=True)
class Group:
    """``clients`` customers who all loop over ``conversation``."""

    name: str
    clients: int
    conversation: tuple[Turn, ...]
    think: float = 0.0  # seconds a customer pauses after each answer (0: closed loop)


@dataclass
class LoadResult:
    """Every turn of every client: ``(group, kind, start, end, outcome)``; outcome is
    ``ok``, ``wrong`` (expected text missing), ``timeout`` or an error code."""

    turns: list[tuple[str, str, float, float, str]] = field(default_factory=list)
    connected: int = 0
    connect_failed: int = 0
    cpu_seconds: float = 0.0  # client processes, from go to the end
    wall_seconds: float = 0.0
    go: float = 0.0  # the shared start, time.monotonic()
    wrong: list[tuple[str, list[str]]] = field(default_factory=list)  # a few, to look at


def source_address(i: int, spread: int) -> str | None:
    """The loopback address client ``i`` connects from (None: the kernel's choice)."""
    if spread <= 1:
        return None
    n = i % spread
    return f"127.1.{n // 250}.{n % 250 + 1}"


class Customer:
    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.sio = RawSocketIO(session, url, self._on_event)
        self.session_id: str | None = None
        self._confirm: asyncio.Future[str] | None = None
        self._done: asyncio.Future[None] | None = None
        self.texts: list[str] = []
        self.error: str | None = None
        self.end = 0.0

    def _on_event(self, name: str, data: Any) -> None:
        if name == "session_confirm":
            if self._confirm is not None and not self._confirm.done():
                self._confirm.set_result(data if isinstance(data, str) else data["session_id"])
        elif name == "bot_uttered":
            self.texts.append(str(data.get("text", "")))
        elif name == "bot_typing":
            if not data.get("typing"):
                self._finish()
        elif name == "error":
            self.error = str(data.get("code", "error"))
            if self.error != "internal_error":  # refusals come without bot_typing false
                self._finish()

    def _finish(self) -> None:
        if self._done is not None and not self._done.done():
            self.end = time.monotonic()
            self._done.set_result(None)

    async def new_session(self, timeout: float) -> None:
        self._confirm = asyncio.get_running_loop().create_future()
        await self.sio.emit("session_request", {"session_id": None, "last_message_id": None})
        self.session_id = await asyncio.wait_for(self._confirm, timeout)

    async def turn(self, turn: Turn, timeout: float) -> tuple[float, float, str]:
        self._done = asyncio.get_running_loop().create_future()
        self.texts, self.error = [], None
        start = time.monotonic()
        await self.sio.emit("user_uttered", {"message": turn.text, "session_id": self.session_id})
        try:
            await asyncio.wait_for(self._done, timeout)
        except TimeoutError:
            return start, time.monotonic(), "timeout"
        if self.error:
            return start, self.end, self.error
        if turn.expect and not any(turn.expect in t for t in self.texts):
            return start, self.end, "wrong"
        return start, self.end, "ok"


async def _play(
    customer: Customer,
    group: Group,
    until: float,
    max_turns: int,
    timeout: float,
    out: list[tuple[str, str, float, float, str]],
    wrong: list[tuple[str, list[str]]],
) -> None:
    done = 0
    conversation = group.conversation
    i = 0  # every client starts a conversation; closed loop spreads them out by itself
    while time.monotonic() < until and (not max_turns or done < max_turns):
        if i == 0 or customer.session_id is None:
            try:
                await customer.new_session(timeout)
            except (TimeoutError, ConnectionError, aiohttp.ClientError):
                out.append((group.name, "session", time.monotonic(), time.monotonic(), "timeout"))
                return
        turn = conversation[i]
        try:
            start, end, outcome = await customer.turn(turn, timeout)
        except (ConnectionError, aiohttp.ClientError):
            out.append((group.name, turn.kind, time.monotonic(), time.monotonic(), "closed"))
            return
        out.append((group.name, turn.kind, start, end, outcome))
        if outcome == "timeout":
            return  # a late answer would end the next turn early: this customer gives up
        if outcome == "wrong" and len(wrong) < 5:
            wrong.append((turn.text, customer.texts))
        done += 1
        i = (i + 1) % len(conversation)
        if group.think:
            await asyncio.sleep(group.think)


async def _worker(conn: Any, plan: dict[str, Any]) -> dict[str, Any]:
    from bench.server import raise_fd_limit

    raise_fd_limit()
    groups = [
        Group(g["name"], g["clients"], tuple(Turn(**t) for t in g["conversation"]), g["think"])
        for g in plan["groups"]
    ]
    urls: list[str] = plan["urls"]
    sessions: dict[str | None, aiohttp.ClientSession] = {}
    members: list[tuple[Customer, Group]] = []
    result = LoadResult()
    gate = asyncio.Semaphore(64)

    def session_for(address: str | None) -> aiohttp.ClientSession:
        if address not in sessions:
            connector = aiohttp.TCPConnector(
                limit=0, local_addr=(address, 0) if address else None, force_close=True
            )
            sessions[address] = aiohttp.ClientSession(connector=connector)
        return sessions[address]

    async def connect(c: Customer) -> None:
        async with gate:
            try:
                await c.sio.connect(plan["timeout"])
                result.connected += 1
            except (TimeoutError, OSError, aiohttp.ClientError, Exception):
                result.connect_failed += 1

    index = plan["first_index"]
    for g in groups:
        for _ in range(g.clients):
            address = source_address(index, plan["spread"])
            members.append((Customer(session_for(address), urls[index % len(urls)]), g))
            index += 1
    await asyncio.gather(*(connect(c) for c, _ in members))
    conn.send(("ready", result.connected, result.connect_failed))
    _, go = await asyncio.get_running_loop().run_in_executor(None, conn.recv)
    await asyncio.sleep(max(0.0, go - time.monotonic()))
    cpu0, wall0 = _cpu(), time.monotonic()
    until = go + plan["seconds"] if plan["seconds"] else float("inf")
    await asyncio.gather(
        *(
            _play(c, g, until, plan["turns"], plan["timeout"], result.turns, result.wrong)
            for c, g in members
            if not c.sio.closed.is_set()
        )
    )
    result.cpu_seconds, result.wall_seconds = _cpu() - cpu0, time.monotonic() - wall0
    await asyncio.gather(*(c.sio.close() for c, _ in members))
    for s in sessions.values():
        await s.close()
    return asdict(result)


def _cpu() -> float:
    t = os.times()
    return t.user + t.system


def _worker_main(conn: Any, plan: dict[str, Any]) -> None:
    try:
        conn.send(("result", asyncio.run(_worker(conn, plan))))
    except BaseException as exc:  # report it to the coordinator, which raises it
        conn.send(("failed", repr(exc)))
    finally:
        conn.close()


def run_load(
    urls: Sequence[str],
    groups: Sequence[Group],
    *,
    seconds: float = 0.0,
    turns: int = 0,
    procs: int = 1,
    spread: int = 1,
    timeout: float = 30.0,
    on_start: Any = None,
) -> LoadResult:
    """Play ``groups`` against ``urls`` (clients round-robin) until ``seconds`` pass or every
    client did ``turns`` turns. ``on_start(go)`` runs in this process once the clients are
    connected, with the shared start time (e.g. to sample the server's CPU)."""
    ctx = mp.get_context("spawn")
    plans: list[dict[str, Any]] = []
    first = 0
    for p in range(procs):
        part = []
        for g in groups:
            n = g.clients // procs + (1 if p < g.clients % procs else 0)
            if n:
                part.append(
                    {
                        "name": g.name,
                        "clients": n,
                        "conversation": [asdict(t) for t in g.conversation],
                        "think": g.think,
                    }
                )
        plans.append({"urls": list(urls), "groups": part, "first_index": first, "spread": spread,
                      "seconds": seconds, "turns": turns, "timeout": timeout})  # fmt: skip
        first += sum(g["clients"] for g in part)
    workers = []
    for plan in plans:
        if not plan["groups"]:
            continue
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_worker_main, args=(child, plan), daemon=True)
        proc.start()
        workers.append((proc, parent))
    total = LoadResult()
    try:
        for _, conn in workers:
            tag, *rest = conn.recv()
            if tag != "ready":
                raise RuntimeError(f"client process failed: {rest}")
            total.connected += rest[0]
            total.connect_failed += rest[1]
        go = total.go = time.monotonic() + 0.3
        for _, conn in workers:
            conn.send(("go", go))
        if on_start is not None:
            on_start(go)
        for _, conn in workers:
            tag, payload = conn.recv()
            if tag != "result":
                raise RuntimeError(f"client process failed: {payload}")
            total.turns += [tuple(t) for t in payload["turns"]]  # type: ignore[misc]
            total.cpu_seconds += payload["cpu_seconds"]
            total.wall_seconds = max(total.wall_seconds, payload["wall_seconds"])
            total.wrong += [tuple(w) for w in payload["wrong"]]  # type: ignore[misc]
    finally:
        for proc, conn in workers:
            conn.close()
            proc.join(10)
            if proc.is_alive():
                proc.kill()
    return total
