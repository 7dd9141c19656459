"""Benchmark 3: e-mail through Zendesk — webhooks accepted and replies completed, end to end.

The Zendesk sandbox (and, with it, every other sandbox) runs in this process on a port
of its own, and the server under test is pointed at it through its config, so this
process sees everything without polling: it creates tickets as customers (the web-form
path of ``POST /api/v2/tickets.json``, no credentials), the sandbox delivers the signed
``ticket_created`` webhook to the server's ``POST /webhooks/zendesk`` (timed here through
the delivery client's hooks), and the bot's public comment (its ``PUT /tickets/{id}.json``)
is timed as it arrives. Tickets are created open-loop at each ``--rates`` value.

Because the sandboxes are outside the server, its settings are not demo mode: the Shopify
and carrier sandboxes serve it from this process too, so their CPU is not the server's.

    python -m bench.email_load --rates 5 20 50 --seconds 20 --json email.json
"""

from __future__ import annotations

import argparse
import asyncio
import re
import secrets
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from aiohttp import web

from bench.procs import ServerProcess, demo_config, free_port, machine
from bench.stats import percentile, print_table, write_json
from integrations.sandbox.app import PREFIX, build_sandboxes, create_sandbox_app
from integrations.sandbox.zendesk import AGENT_ID
from integrations.webhooks import INVOCATION_ID_HEADER

__all__ = ["main"]

COLUMNS = ("rate", "tickets", "webhooks_ok", "webhooks_failed", "accepted_per_s", "replies",
           "replies_per_s", "escalated", "unanswered", "p50_ms", "p95_ms", "p99_ms", "max_ms",
           "accept_p99_ms", "server_cpu_%")  # fmt: skip

CUSTOMERS = (
    ("maria@example.com", "Has my dress shipped? I ordered it last week and heard nothing."),
    ("james@example.com", "Where are my running shoes? It's been nearly two weeks."),
    ("priya@example.com", "Has my pour-over set been delivered yet?"),
    ("lukas@example.com", "When will my scarf arrive?"),
)
TICKET_PUT = re.compile(r"/api/v2/tickets/(\d+)\.json$")
APIS = ("shopify", "zendesk", "usps", "fedex", "ups", "dhl")


class Watch:
    """Times of every ticket's life: created, webhook sent and answered, bot reply."""

    def __init__(self) -> None:
        self.created: dict[int, float] = {}
        self.sent: dict[str, float] = {}  # invocation id -> first attempt sent
        self.accepted: dict[str, tuple[float, int]] = {}  # invocation id -> (time, status)
        self.failed = 0
        self.replied: dict[int, float] = {}
        self.escalated: dict[int, float] = {}

    async def on_request(self, request: httpx.Request) -> None:
        self.sent.setdefault(request.headers.get(INVOCATION_ID_HEADER, ""), time.monotonic())

    async def on_response(self, response: httpx.Response) -> None:
        invocation = response.request.headers.get(INVOCATION_ID_HEADER, "")
        if 200 <= response.status_code < 300:
            self.accepted.setdefault(invocation, (time.monotonic(), response.status_code))
        else:
            self.failed += 1


def _watch_replies(sim: Any, current: list[Watch]) -> None:
    """Time the bot's comments as the sandbox stores them (into ``current[0]``)."""
    handle = sim.handle

    async def timed(request: httpx.Request) -> httpx.Response:
        response = await handle(request)
        watch = current[0]
        match = TICKET_PUT.search(request.url.path)
        if request.method == "PUT" and match and response.status_code < 300:
            ticket = sim.tickets.get(int(match.group(1)))
            ours = [c for c in ticket.comments if c.author_id == AGENT_ID] if ticket else []
            now = time.monotonic()
            if any(c.public for c in ours):
                watch.replied.setdefault(ticket.id, now)
            elif ours:
                watch.escalated.setdefault(ticket.id, now)
        return response

    sim.handle = timed


async def _create(sim: Any, base: str, i: int, watch: Watch) -> None:
    email, text = CUSTOMERS[i % len(CUSTOMERS)]
    request = httpx.Request(
        "POST",
        f"{base}/api/v2/tickets.json",
        json={"ticket": {"subject": "My order", "comment": {"body": text},
                         "requester": {"email": email, "name": email.split("@")[0].title()}}},
    )  # fmt: skip
    now = time.monotonic()
    response = await sim.handle(request)
    if response.status_code == 201:
        watch.created[response.json()["ticket"]["id"]] = now


async def _run_rate(
    sim: Any,
    base: str,
    server: ServerProcess,
    current: list[Watch],
    rate: float,
    seconds: float,
    drain: float,
) -> dict[str, Any]:
    watch = current[0] = Watch()
    sim.webhooks._http.event_hooks = {
        "request": [watch.on_request],
        "response": [watch.on_response],
    }
    count = max(1, int(rate * seconds))
    cpu0, t0 = server.cpu_seconds(), time.monotonic()
    tasks = []
    for i in range(count):
        await asyncio.sleep(max(0.0, t0 + i / rate - time.monotonic()))
        tasks.append(asyncio.create_task(_create(sim, base, i, watch)))
    await asyncio.gather(*tasks)
    deadline = time.monotonic() + drain
    while time.monotonic() < deadline and len(watch.replied) + len(watch.escalated) < len(
        watch.created
    ):
        await asyncio.sleep(0.05)
    t_end = max([*watch.replied.values(), *watch.escalated.values()], default=time.monotonic())
    cpu = server.cpu_seconds() - cpu0
    invocations = {inv.id: inv.ticket_id for inv in sim.invocations}
    sent_by_ticket: dict[int, float] = {}
    accept_ms = []
    for inv, sent in watch.sent.items():
        tid = invocations.get(inv)
        if tid in watch.created:
            sent_by_ticket.setdefault(tid, sent)
            if inv in watch.accepted:
                accept_ms.append((watch.accepted[inv][0] - sent) * 1000)
    latency = [
        (watch.replied[t] - sent_by_ticket[t]) * 1000 for t in watch.replied if t in sent_by_ticket
    ]
    last_accept = max((a for a, _ in watch.accepted.values()), default=t0)
    span = t_end - t0
    return {
        "rate": rate,
        "tickets": len(watch.created),
        "webhooks_ok": len(watch.accepted),
        "webhooks_failed": watch.failed,
        "accepted_per_s": round(len(watch.accepted) / max(1e-3, last_accept - t0), 1),
        "replies": len(watch.replied),
        "replies_per_s": round(len(watch.replied) / max(1e-3, span), 1),
        "escalated": len(watch.escalated),
        "unanswered": len(watch.created) - len(watch.replied) - len(watch.escalated),
        "p50_ms": round(percentile(latency, 50), 1),
        "p95_ms": round(percentile(latency, 95), 1),
        "p99_ms": round(percentile(latency, 99), 1),
        "max_ms": round(max(latency), 1) if latency else float("nan"),
        "accept_p99_ms": round(percentile(accept_ms, 99), 1),
        "server_cpu_%": round(100 * cpu / max(1e-3, span), 1),
    }


async def run(args: argparse.Namespace, workdir: Path) -> list[dict[str, Any]]:
    server_port, sandbox_port = free_port(), free_port()
    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    http = httpx.AsyncClient(limits=httpx.Limits(max_connections=200))
    # Production mode (real API URLs) refuses demo secrets: one per run, shared with the
    # Zendesk sandbox that signs the webhooks.
    secret = secrets.token_urlsafe(48)
    boxes = build_sandboxes(
        webhook_url=f"http://127.0.0.1:{server_port}/webhooks/zendesk",
        webhook_secret=secret,
        public_url=sandbox_url,
        http=http,
    )
    boxes.zendesk.rate_limit = args.zendesk_rate_limit
    runner = web.AppRunner(create_sandbox_app(boxes))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", sandbox_port).start()
    config = demo_config(
        workdir,
        server_port,
        model_dir=args.model_dir,
        database_url=args.database_url,
        identity_secret=secrets.token_urlsafe(48),
        cookie_secret=secrets.token_urlsafe(48),
        **{
            api: {"base_url": f"{sandbox_url}{PREFIX}/{api}"}
            | ({"webhook_secret": secret} if api == "zendesk" else {})
            for api in APIS
        },
    )
    cmd = [
        __import__("sys").executable,
        "-m",
        "bench.server",
        "--config",
        str(config),
        "--no-limits",
    ]
    server = ServerProcess(cmd, f"http://127.0.0.1:{server_port}", workdir / "server.log")
    rows = []
    try:
        await asyncio.to_thread(server.start)
        current = [Watch()]
        _watch_replies(boxes.zendesk, current)
        for rate in args.rates:
            rows.append(await _run_rate(boxes.zendesk, sandbox_url, server, current, rate,
                                        args.seconds, args.drain))  # fmt: skip
    finally:
        await asyncio.to_thread(server.stop)
        await runner.cleanup()
        await http.aclose()
    if any(r["unanswered"] for r in rows):
        print(f"server log tail:\n{server.tail(10)}")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rates", type=float, nargs="+", default=[5.0, 20.0, 50.0], help="tickets/s"
    )
    parser.add_argument("--seconds", type=float, default=20.0, help="creating tickets, per rate")
    parser.add_argument("--drain", type=float, default=60.0, help="then wait this long for replies")
    parser.add_argument("--zendesk-rate-limit", type=int, default=100_000,
                        help="sandbox API requests/minute (a real plan: 700)")  # fmt: skip
    parser.add_argument("--database-url")
    parser.add_argument("--model-dir")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-email-") as tmp:
        rows = asyncio.run(run(args, Path(tmp)))
    print_table(rows, COLUMNS)
    write_json(args.json, {"benchmark": "email_load", "machine": machine(), "args": vars(args),
                           "rows": rows})  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
