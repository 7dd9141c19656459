"""Real server processes (``python -m chatserver serve``), for the tests that need two of
them or a restart, with the outside APIs' sandboxes served by the test process.

``ServerProcess.start`` returns when the server logs "serving on" (once its port is
bound), read from its output as it comes: nothing polls, nothing sleeps. The sandboxes
run here, so a test reads what the server did to them (tickets opened, replies posted)
and can hold a request open while it kills the server.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from aiohttp import web

from chatserver.settings import PROJECT_ROOT
from integrations.sandbox.app import Sandboxes, build_sandboxes, mount_sandboxes

__all__ = [
    "APIS",
    "SECRETS",
    "WEBHOOK_SECRET",
    "ServerProcess",
    "agent_cookie",
    "serve_sandboxes",
    "write_config",
]

APIS = ("shopify", "zendesk", "usps", "fedex", "ups", "dhl")
# Production mode refuses to start without real secrets (chatserver.settings.unsafe_secrets).
WEBHOOK_SECRET = "test-webhook-secret-0123456789abcdefghij"
SECRETS = {
    "identity_secret": "test-identity-secret-0123456789abcdefghij",
    "cookie_secret": "test-cookie-secret-0123456789abcdefghijkl",
}
READY = "serving on"
START_WAIT = 90.0  # seconds; a safety net for a hung start, never an assertion


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def serve_sandboxes(aiohttp_server: Any) -> tuple[Sandboxes, str]:
    """Every sandbox on a loopback port of this process; their base URL (``…/sandbox``)."""
    boxes = build_sandboxes(webhook_secret=WEBHOOK_SECRET)
    app = web.Application(client_max_size=4 * 1024 * 1024)
    mount_sandboxes(app, boxes)
    server = await aiohttp_server(app)
    return boxes, str(server.make_url("/sandbox")).rstrip("/")


def write_config(path: Path, sandboxes: str, **values: Any) -> Path:
    """A config file whose outside APIs are the sandboxes at ``sandboxes`` (production
    mode, with test secrets unless ``values`` name others); its data and, unless
    ``database_url`` names another, a SQLite database live in the file's folder."""
    values = {"data_dir": path.parent,
              "database_url": f"sqlite+aiosqlite:///{path.parent / 'chat.db'}", **values}  # fmt: skip
    config: dict[str, Any] = {api: {"base_url": f"{sandboxes}/{api}"} for api in APIS}
    config["zendesk"]["webhook_secret"] = WEBHOOK_SECRET
    config.update(SECRETS)
    config.update({k: str(v) if isinstance(v, Path) else v for k, v in values.items()})
    path.write_text(yaml.safe_dump(config))
    return path


class ServerProcess:
    """``python -m chatserver serve --config CONFIG --port PORT`` as a child process."""

    def __init__(self, config: Path, log: Path, port: int | None = None) -> None:
        self.config, self.log = config, log
        self.port = port or free_port()
        self.proc: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._watch: list[tuple[str, asyncio.Future[None]]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    async def start(self) -> ServerProcess:
        """Start it and wait until it serves; fails with its log if it exits first."""
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "chatserver", "serve",
            "--port", str(self.port), "--config", str(self.config),
            cwd=PROJECT_ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        ready = asyncio.get_running_loop().create_future()
        self._reader = asyncio.create_task(self._copy_output(self.proc, ready))
        try:
            await asyncio.wait_for(ready, START_WAIT)
        except TimeoutError:
            raise AssertionError(f"the server did not start:\n{self.tail()}") from None
        return self

    async def _copy_output(self, proc: asyncio.subprocess.Process, ready: Any) -> None:
        """Keep the log (the pipe must be drained) and say when the server serves."""
        assert proc.stdout is not None
        with self.log.open("ab") as log:
            async for line in proc.stdout:
                log.write(line)
                log.flush()
                text = line.decode(errors="replace")
                if READY in text and not ready.done():
                    ready.set_result(None)
                for wanted, seen in self._watch:
                    if wanted in text and not seen.done():
                        seen.set_result(None)
        if not ready.done():
            ready.set_exception(AssertionError(f"the server exited:\n{self.tail()}"))

    def line(self, text: str) -> asyncio.Future[None]:
        """Done when the server logs a line holding ``text`` (from now on)."""
        seen: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._watch.append((text, seen))
        return seen

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    async def kill(self) -> None:
        """SIGKILL: no shutdown at all, as a crash or the OOM killer does it."""
        await self._end(signal.SIGKILL)

    async def stop(self) -> None:
        await self._end(signal.SIGTERM)

    async def _end(self, sig: int) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.returncode is None:
            proc.send_signal(sig)
            try:
                await asyncio.wait_for(proc.wait(), 30)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        if self._reader is not None:
            await self._reader


async def agent_cookie(url: str, username: str, password: str) -> str:
    """Sign in at ``/agent/login`` like the console does; the session cookie's header."""
    import re

    from chatserver.web.auth import SESSION_COOKIE

    jar = aiohttp.CookieJar(unsafe=True)  # keep cookies for 127.0.0.1, like a browser
    async with aiohttp.ClientSession(cookie_jar=jar) as http:
        async with http.get(f"{url}agent/login") as page:
            found = re.search(r'name="csrf_token" value="([^"]+)"', await page.text())
            assert found, "no login form"
        form = {"csrf_token": found.group(1), "username": username, "password": password}
        async with http.post(f"{url}agent/login", data=form, allow_redirects=False) as resp:
            assert resp.status == 303, await resp.text()
        cookie = next(c.value for c in jar if c.key == SESSION_COOKIE)
    return f"{SESSION_COOKIE}={cookie}"
