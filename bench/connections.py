"""Benchmark 2: idle connections held by one server process, and the memory each costs.

Client processes open ``--connections`` websockets (``bench.sio.RawSocketIO``: Engine.IO
v4 handshake, ``40`` namespace connect, pings answered) and then stay silent for
``--hold`` seconds, longer than the 25 s ping interval, so the server keeps every one
alive on its own. The server's resident memory is read before and after; the difference
divided by the connections is the cost of one idle customer. ``--sessions`` also sends a
``session_request`` per connection, as the widget does (a session row and a room each).

    python -m bench.connections --connections 10000 --procs 2 --hold 40 --json conn.json
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.loadgen import Customer, source_address
from bench.procs import machine, start_demo_server
from bench.stats import print_table, write_json

__all__ = ["main", "measure_connections"]

COLUMNS = ("connections", "connected", "failed", "alive_after_hold", "connect_s",
           "rss_before_mib", "rss_after_mib", "kib_per_connection", "rss_closed_mib")  # fmt: skip


async def _hold(conn: Any, plan: dict[str, Any]) -> None:
    from bench.server import raise_fd_limit

    raise_fd_limit()
    sessions: dict[str | None, aiohttp.ClientSession] = {}
    customers = []
    for i in range(plan["first_index"], plan["first_index"] + plan["clients"]):
        address = source_address(i, plan["spread"])
        if address not in sessions:
            connector = aiohttp.TCPConnector(limit=0, local_addr=(address, 0) if address else None)
            sessions[address] = aiohttp.ClientSession(connector=connector)
        customers.append(Customer(sessions[address], plan["url"]))
    gate = asyncio.Semaphore(100)
    failed = 0
    errors: dict[str, int] = {}

    async def connect(c: Customer) -> None:
        nonlocal failed
        async with gate:
            try:
                await c.sio.connect(60.0)
                if plan["sessions"]:
                    await c.new_session(60.0)
            except Exception as exc:  # counted and reported, the run goes on
                failed += 1
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1

    await asyncio.gather(*(connect(c) for c in customers))
    conn.send(("connected", len(customers) - failed, failed, errors))
    await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # "count"
    alive = sum(1 for c in customers if c.sio.ws is not None and not c.sio.closed.is_set())
    conn.send(("alive", alive))
    await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # "close"
    await asyncio.gather(*(c.sio.close() for c in customers))
    for s in sessions.values():
        await s.close()
    conn.send(("closed",))


def _hold_main(conn: Any, plan: dict[str, Any]) -> None:
    try:
        asyncio.run(_hold(conn, plan))
    except BaseException as exc:
        conn.send(("failed", repr(exc)))


def measure_connections(
    url: str,
    rss: Any,
    n: int,
    *,
    procs: int = 1,
    spread: int = 1,
    hold: float = 0.0,
    sessions: bool = False,
) -> dict[str, Any]:
    """Open ``n`` idle connections to ``url``; ``rss()`` reads the server's memory."""
    ctx = mp.get_context("spawn")
    before = rss()
    workers = []
    first = 0
    t0 = time.monotonic()
    for p in range(procs):
        part = n // procs + (1 if p < n % procs else 0)
        if not part:
            continue
        plan = {"url": url, "clients": part, "first_index": first, "spread": spread,
                "sessions": sessions}  # fmt: skip
        first += part
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_hold_main, args=(child, plan), daemon=True)
        proc.start()
        workers.append((proc, parent))
    connected = failed = alive = 0
    errors: dict[str, int] = {}
    try:
        for _, c in workers:
            tag, *rest = c.recv()
            if tag != "connected":
                raise RuntimeError(f"client process failed: {rest}")
            connected += rest[0]
            failed += rest[1]
            for k, v in rest[2].items():
                errors[k] = errors.get(k, 0) + v
        connect_s = time.monotonic() - t0
        time.sleep(max(2.0, hold))  # past a ping round when hold > 25 s
        after = rss()
        for _, c in workers:
            c.send("count")
        for _, c in workers:
            alive += c.recv()[1]
            c.send("close")
        for _, c in workers:
            c.recv()
        time.sleep(2.0)
        closed = rss()
    finally:
        for proc, c in workers:
            c.close()
            proc.join(10)
            if proc.is_alive():
                proc.kill()
    mib = 1024 * 1024
    return {
        "connections": n,
        "connected": connected,
        "failed": failed,
        "errors": errors,
        "alive_after_hold": alive,
        "connect_s": round(connect_s, 1),
        "rss_before_mib": round(before / mib, 1),
        "rss_after_mib": round(after / mib, 1),
        "kib_per_connection": round((after - before) / max(1, connected) / 1024, 1),
        "rss_closed_mib": round(closed / mib, 1),
        "hold_s": hold,
        "sessions": sessions,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, nargs="+", default=[10000])
    parser.add_argument("--procs", type=int, default=2, help="client processes")
    parser.add_argument("--spread", type=int, default=1, help="loopback source addresses")
    parser.add_argument("--hold", type=float, default=40.0, help="idle seconds before measuring")
    parser.add_argument("--sessions", action="store_true", help="also session_request each")
    parser.add_argument("--limits", action="store_true", help="keep the per-IP limits")
    parser.add_argument("--model-dir")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    rows = []
    with (
        tempfile.TemporaryDirectory(prefix="bench-conn-") as tmp,
        start_demo_server(Path(tmp), model_dir=args.model_dir, limits=args.limits) as server,
    ):
        for n in args.connections:
            rows.append(measure_connections(server.url, server.rss_bytes, n, procs=args.procs,
                                            spread=args.spread, hold=args.hold,
                                            sessions=args.sessions))  # fmt: skip
            if rows[-1]["errors"]:
                print(f"connect errors: {rows[-1]['errors']}; server log: {server.tail(5)}")
    print_table(rows, COLUMNS)
    write_json(args.json, {"benchmark": "connections", "machine": machine(), "args": vars(args),
                           "rows": rows})  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
