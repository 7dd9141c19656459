"""``chatbot serve`` with the two knobs a benchmark needs and the config file lacks.

- ``--no-limits``: the per-IP and per-session limits (``chatserver.ops.limits.ChatLimits``,
  20 connections and 60 messages a minute per address) would refuse a load generator on
  127.0.0.1 after a second. The limits stay in the code path, with numbers no benchmark
  reaches. ``app[LIMITS]`` is the hook the application offers for this.
- ``--latency API=SECONDS`` (repeatable): in demo mode, the sandbox of API answers that
  much later (``Faults.latency``), e.g. ``--latency usps=2.0``.
- ``--shopify-bucket SIZE/RATE``: the Shopify sandbox's query-cost bucket. By default it
  has the Standard plan's 1000 points restored at 50/s, which caps the whole demo shop at a
  few order lookups a second: a load test of the server lifts it.

Everything else is exactly ``chatbot serve --config FILE --port P``:

    python -m bench.server --config bench.yml --port 8180 --no-limits --latency usps=2
"""

from __future__ import annotations

import argparse
import logging
import resource
import sys

from aiohttp import web

__all__ = ["main", "parse_latency"]

log = logging.getLogger(__name__)

UNLIMITED = 10**9


def parse_latency(items: list[str]) -> dict[str, float]:
    """``["usps=2.0", ...]`` → ``{"usps": 2.0}``; raises ValueError on a malformed item."""
    out: dict[str, float] = {}
    for item in items:
        api, sep, seconds = item.partition("=")
        if not sep or not api:
            raise ValueError(f"expected API=SECONDS, got {item!r}")
        out[api.strip()] = float(seconds)
    return out


def raise_fd_limit() -> int:
    """Lift the soft open-files limit to the hard one; returns the new limit."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=None)
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--config", default=None)
    parser.add_argument("--no-limits", action="store_true", help="limits no benchmark reaches")
    parser.add_argument("--latency", action="append", default=[], metavar="API=SECONDS")
    parser.add_argument("--shopify-bucket", metavar="SIZE/RATE", help="e.g. 1e9/1e9")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    from chatserver.app import create_app
    from chatserver.keys import LIMITS, SANDBOXES
    from chatserver.ops.limits import ChatLimits
    from chatserver.settings import load_settings

    latency = parse_latency(args.latency)
    settings = load_settings(args.config, host=args.host, port=args.port)
    raise_fd_limit()
    app = create_app(settings)
    if args.no_limits:
        app[LIMITS] = ChatLimits(
            messages_per_minute_per_session=UNLIMITED,
            messages_per_minute_per_ip=UNLIMITED,
            connections_per_ip=UNLIMITED,
        )
    if (latency or args.shopify_bucket) and not settings.demo:
        print("--latency and --shopify-bucket need demo mode (sandboxes here)", file=sys.stderr)
        return 2
    if args.shopify_bucket:
        size, _, rate = args.shopify_bucket.partition("/")
        app[SANDBOXES].shopify.bucket_size = float(size)
        app[SANDBOXES].shopify.restore_rate = float(rate or size)
    if latency:
        boxes = app[SANDBOXES].by_name()
        unknown = sorted(set(latency) - set(boxes))
        if unknown:
            print(f"unknown sandbox(es): {', '.join(unknown)}", file=sys.stderr)
            return 2
        for api, seconds in latency.items():
            boxes[api].faults.latency = seconds
    web.run_app(app, host=settings.host, port=settings.port, print=None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
