"""A TCP proxy the tests can cut: a database or Redis "restart" without touching the
shared service. ``cut()`` drops every connection and refuses new ones until ``restore()``;
``expect(needle)`` is a future done once the clients sent those bytes (a Redis command,
say) through it: tests wait on it instead of waiting a while.
"""

from __future__ import annotations

import asyncio
import contextlib

__all__ = ["Proxy"]


class Proxy:
    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.up = True
        self.accepted = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._expected: list[tuple[bytes, list[int], asyncio.Future[None]]] = []

    @property
    def port(self) -> int:
        assert self._server is not None
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def start(self) -> Proxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return self

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.up:
            writer.close()  # refused, as a server that is down
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self.accepted += 1
        self._writers |= {writer, up_writer}
        for src, dst, upstream in ((reader, up_writer, True), (up_reader, writer, False)):
            task = asyncio.create_task(self._pipe(src, dst, upstream))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pipe(
        self, src: asyncio.StreamReader, dst: asyncio.StreamWriter, upstream: bool
    ) -> None:
        with contextlib.suppress(OSError, asyncio.CancelledError):
            while data := await src.read(65536):
                dst.write(data)
                await dst.drain()
                if upstream:
                    self._saw(data)
        dst.close()
        self._writers.discard(dst)

    def expect(self, needle: bytes, times: int = 1) -> asyncio.Future[None]:
        """Done once clients have sent ``needle`` ``times`` times, counted from now."""
        done = asyncio.get_running_loop().create_future()
        self._expected.append((needle, [times], done))
        return done

    def _saw(self, data: bytes) -> None:
        for needle, left, done in self._expected:
            left[0] -= data.count(needle)
            if left[0] <= 0 and not done.done():
                done.set_result(None)
        self._expected = [e for e in self._expected if not e[2].done()]

    def cut(self) -> None:
        """Every open connection is dropped; new ones are refused until ``restore``."""
        self.up = False
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    def restore(self) -> None:
        self.up = True

    async def restart(self) -> None:
        """Drop everything and come back: every open connection is dead."""
        self.cut()
        self.restore()

    async def aclose(self) -> None:
        self.cut()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
