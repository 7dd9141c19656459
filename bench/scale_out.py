"""Benchmark 5: scale-out, 2 server processes against 1, under the same chat load.

Starts ``--processes`` demo servers on ports of their own, all with the same config (one
PostgreSQL database, and ``redis_url`` so Socket.IO can use ``AsyncRedisManager`` once the
server does), and spreads the clients over them round-robin; each client keeps to its
server, so its session does too. Then compares turns/s with a single process.

    python -m bench.scale_out --clients 100 --database-url postgresql+asyncpg://postgres@127.0.0.1/bench

On a 2-core machine the second server process competes with the load generator for the
cores, so the ratio there says more about the machine than about the server.
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
from pathlib import Path
from typing import Any

from bench.chat_load import measure
from bench.loadgen import CASE_STUDY, Group
from bench.procs import UNTHROTTLED, fresh_database, machine, start_demo_server
from bench.stats import print_table, write_json

__all__ = ["main"]

COLUMNS = ("processes", "clients", "kind", "turns", "turns_per_s", "p50_ms", "p95_ms", "p99_ms",
           "max_ms", "server_cpu_%", "client_cpu_%", "other_cpu_%", "outcomes")  # fmt: skip


def _bucket(value: str) -> str | None:
    return None if value == "standard" else value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--turns", type=int, default=0, help="instead of --seconds")
    parser.add_argument("--procs", type=int, default=1, help="client processes")
    parser.add_argument("--database-url", default="postgresql+asyncpg://postgres@127.0.0.1/bench")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--shopify-bucket", default=UNTHROTTLED, metavar="SIZE/RATE",
                        help="Shopify sandbox cost bucket; 'standard' keeps the plan's 1000/50")  # fmt: skip
    parser.add_argument("--model-dir")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    opts: dict[str, Any] = {"seconds": 0.0 if args.turns else args.seconds,
                            "warmup": 0.0 if args.turns else args.warmup,
                            "turns": args.turns, "procs": args.procs}  # fmt: skip
    rows = []
    for count in args.processes:
        with (
            tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp,
            fresh_database(args.database_url or None) as database_url,
            contextlib.ExitStack() as stack,
        ):
            servers = [
                stack.enter_context(
                    start_demo_server(
                        Path(tmp),
                        model_dir=args.model_dir,
                        shopify_bucket=_bucket(args.shopify_bucket),
                        database_url=database_url,
                        redis_url=args.redis_url or None,
                    )
                )
                for _ in range(count)
            ]
            run_rows, _ = measure(
                f"{count} proc", servers, [Group("c", args.clients, CASE_STUDY)], **opts
            )
            for row in run_rows:
                row["processes"] = count
            rows += run_rows
    print_table(rows, COLUMNS)
    totals = {r["processes"]: r["turns_per_s"] for r in rows if r["kind"] == "all"}
    ratio = None
    if 1 in totals and 2 in totals and totals[1]:
        ratio = round(totals[2] / totals[1], 2)
        print(f"2 processes / 1 process: {ratio:.2f}x turns/s")
    write_json(args.json, {"benchmark": "scale_out", "machine": machine(), "args": vars(args),
                           "rows": rows, "ratio_2_vs_1": ratio})  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
