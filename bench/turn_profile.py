"""A chat turn stage by stage: microseconds per stage, in one process, one customer.

The demo server runs in this process (SQLite in a temp dir, sandboxes, the installed
intent model); one websocket customer (``bench.sio``) plays a conversation again and
again, one turn at a time, so no turn waits behind another. The stages of the turn
(``ConversationService`` and the notifier) are wrapped with timers; "rest of the turn"
is the wall time of the worker's turn minus the stages, and "before the turn" is the
socket handler (validation, limits, the queue). Times are wall time: on SQLite the
transactions run in the store's thread, so their figures include the hop there and back.

    python -m bench.turn_profile --turns 300 --json profile.json

Two conversations: small talk ("hello" / "thanks") and a tracked order (the case study's
question, then "maria@example.com #1001", which looks the order up in the sandboxes).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiohttp

from bench.loadgen import CASE_STUDY, Customer, Turn
from bench.procs import demo_config, free_port, machine
from bench.stats import print_table, write_json

__all__ = ["CONVERSATIONS", "main", "profile"]

SMALL_TALK = (Turn("hello", ""), Turn("thanks", ""))
CONVERSATIONS: dict[str, tuple[Turn, ...]] = {
    "small talk": SMALL_TALK,
    "tracked order": (CASE_STUDY[1], CASE_STUDY[2]),
}
COLUMNS = ("conversation", "stage", "us_per_turn", "share_%")


class Stages:
    """Wall time per stage name, summed over the measured turns."""

    def __init__(self) -> None:
        self.ns: dict[str, int] = defaultdict(int)
        self.on = False

    @contextmanager
    def timed(self, name: str) -> Iterator[None]:
        start = time.perf_counter_ns()
        try:
            yield
        finally:
            if self.on:
                self.ns[name] += time.perf_counter_ns() - start

    def wrap_async(self, owner: Any, attr: str, name: str) -> None:
        inner = getattr(owner, attr)

        async def timed(*args: Any, **kwargs: Any) -> Any:
            with self.timed(name):
                return await inner(*args, **kwargs)

        setattr(owner, attr, timed)

    def wrap(self, owner: Any, attr: str, name: str) -> None:
        inner: Callable[..., Any] = getattr(owner, attr)

        def timed(*args: Any, **kwargs: Any) -> Any:
            with self.timed(name):
                return inner(*args, **kwargs)

        setattr(owner, attr, timed)


def _instrument(app: Any, stages: Stages) -> None:
    import chatserver.service.conversations as conversations
    from chatserver.keys import NOTIFIER, SERVICE, SOCKETIO

    service = app[SERVICE]
    chat = app[SOCKETIO].namespace_handlers["/"]
    stages.wrap_async(chat, "_turn", "turn (worker, whole)")
    stages.wrap_async(chat, "on_user_uttered", "socket handler (validate, queue)")
    stages.wrap(service, "_classify", "classify")
    stages.wrap_async(service.storage, "start_turn", "start_turn transaction")
    stages.wrap_async(service.storage, "finish_turn", "finish_turn transaction")
    stages.wrap(conversations, "offered_article", "help-center lookup")
    stages.wrap_async(conversations, "run_turn", "dialogue + effects (run_turn)")
    stages.wrap(service.renderer, "render_turn", "render replies (templates)")
    stages.wrap(service, "_prediction", "prediction row")
    notifier = app[NOTIFIER]
    stages.wrap_async(notifier, "typing", "emits: bot_typing on/off")
    stages.wrap_async(notifier, "turn", "emits: message, replies, agents' row")


async def _run(turns: int, workdir: Path, model_dir: str | None) -> list[dict[str, Any]]:
    from aiohttp.test_utils import TestServer

    from chatserver.app import create_app
    from chatserver.settings import load_settings

    port = free_port()  # the demo's sandboxes are reached at the server's own address
    config = demo_config(workdir, port, model_dir=model_dir, limits=_NO_LIMITS)
    app = create_app(load_settings(config))
    stages = Stages()
    server = TestServer(app, host="127.0.0.1", port=port)
    await server.start_server()
    _instrument(app, stages)  # the service exists once the app has started
    rows: list[dict[str, Any]] = []
    try:
        async with aiohttp.ClientSession() as http:
            for name, script in CONVERSATIONS.items():
                customer = Customer(http, str(server.make_url("/")))
                await customer.sio.connect()
                for _ in range(5):  # warm-up
                    await customer.new_session(30.0)
                    for turn in script:
                        await customer.turn(turn, 30.0)
                stages.ns.clear()
                stages.on = True
                done = 0
                while done < turns:
                    await customer.new_session(30.0)  # each pass a new conversation
                    for turn in script:
                        _, _, outcome = await customer.turn(turn, 30.0)
                        if outcome != "ok":
                            raise RuntimeError(f"{turn.text!r}: {outcome}")
                        done += 1
                stages.on = False
                await customer.sio.close()
                rows += _rows(name, dict(stages.ns), done)
    finally:
        await server.close()
    return rows


_NO_LIMITS = {
    "connections_per_ip": 0,
    "messages_per_minute_per_ip": 0,
    "messages_per_minute_per_session": 0,
}


def _rows(name: str, ns: dict[str, int], turns: int) -> list[dict[str, Any]]:
    whole = ns.pop("turn (worker, whole)", 0)
    before = ns.pop("socket handler (validate, queue)", 0)
    rest = whole - sum(ns.values())
    ns["rest of the turn (lock, service, counting)"] = rest
    ns["socket handler (validate, queue)"] = before
    total = whole + before
    out = [
        {"conversation": name, "stage": stage, "us_per_turn": round(v / turns / 1000, 1),
         "share_%": round(100 * v / total, 1) if total else 0.0}
        for stage, v in ns.items()
    ]  # fmt: skip
    out.append(
        {"conversation": name, "stage": "TOTAL (handler + turn)",
         "us_per_turn": round(total / turns / 1000, 1), "share_%": 100.0}
    )  # fmt: skip
    return out


def profile(turns: int, model_dir: str | None = None) -> list[dict[str, Any]]:
    """Per-stage rows for each conversation, ``turns`` measured turns each."""
    with tempfile.TemporaryDirectory() as tmp:
        return asyncio.run(_run(turns, Path(tmp), model_dir))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=300, help="measured turns per conversation")
    parser.add_argument("--model-dir", help="intent model directory (default: the installed one)")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args(argv)
    rows = profile(args.turns, args.model_dir)
    print_table(rows, COLUMNS)
    if args.json:
        write_json(args.json, {"machine": machine(), "rows": rows})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
