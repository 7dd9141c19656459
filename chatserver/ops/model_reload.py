"""Hot reload: a running server switches to a newly promoted model without a restart.

A background task polls ``<model_dir>/CURRENT`` every ``settings.model_reload_seconds``.
When it names another version than the one serving, that version is loaded in an
executor (about a second, off the event loop) and swapped into the app's
``ModelHolder`` (``chatserver.service.classifier``), which the service classifies
through. A turn classifies with one call, so a turn in flight finishes with the model
it started with and the next turn uses the new one; no conversation is interrupted,
and nothing on the service is reassigned. A model that fails to load is logged and the
serving one kept; the same CURRENT is not retried until it changes again. Each worker
process runs its own watcher.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from aiohttp import web

from chatserver.keys import MODEL, SETTINGS
from chatserver.service import Classifier, ModelHolder

__all__ = ["ModelWatcher", "setup_model_reload"]

log = logging.getLogger(__name__)

Loader = Callable[[Path], Classifier]


class ModelWatcher:
    """Swaps the model in ``holder`` when ``model_dir/CURRENT`` names another version.

    Args:
        holder: the serving model's holder.
        model_dir: the model registry.
        load: loads a version directory (blocking; runs in the loop's executor).
    """

    def __init__(self, holder: ModelHolder, model_dir: Path, load: Loader) -> None:
        self.holder = holder
        self.model_dir = Path(model_dir)
        self.load = load
        self._seen: tuple[int, str] | None = None  # CURRENT's (mtime_ns, content) last read

    def _current(self) -> tuple[tuple[int, str] | None, str | None]:
        from nlu.registry import CURRENT_FILE

        file = self.model_dir / CURRENT_FILE
        try:
            stamp = file.stat().st_mtime_ns
            name = file.read_text(encoding="utf-8").strip()
        except (FileNotFoundError, NotADirectoryError):
            return None, None
        return (stamp, name), name or None

    async def check(self) -> bool:
        """Load and swap in the version CURRENT names if it is new; True when swapped."""
        loop = asyncio.get_running_loop()
        seen, version = await loop.run_in_executor(None, self._current)
        if seen is None or seen == self._seen:
            return False
        self._seen = seen
        serving = self.holder.version
        if version is None or version == serving:
            return False
        try:
            # The version directory, not model_dir: CURRENT may change again meanwhile.
            classifier = await loop.run_in_executor(None, self.load, self.model_dir / version)
        except Exception:  # any failure at all: keep answering with the model we have
            log.exception(
                "model %s named by %s could not be loaded: still serving %s",
                version, self.model_dir / "CURRENT", serving,
            )  # fmt: skip
            return False
        self.holder.swap(classifier)  # one assignment: atomic for the turns
        log.info("model reloaded: %s -> %s", serving, classifier.version)
        return True

    async def run(self, interval: float) -> None:
        """Check every ``interval`` seconds until cancelled."""
        while True:
            await asyncio.sleep(interval)
            try:
                await self.check()
            except Exception:  # a poll that fails (disk gone) must not end the watcher
                log.exception("model reload check failed")


def _loader(threshold: float | None) -> Loader:
    def load(version_dir: Path) -> Classifier:
        from nlu.engine import NLU

        return NLU.load(version_dir, threshold=threshold)

    return load


async def _watch(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    interval = settings.model_reload_seconds
    if not interval:
        yield
        return
    watcher = ModelWatcher(app[MODEL], settings.model_dir, _loader(settings.confidence_threshold))
    task = asyncio.create_task(watcher.run(interval), name="model-reload")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def setup_model_reload(app: web.Application) -> None:
    """Watch the model registry for the app's lifetime (add after the service's context)."""
    app.cleanup_ctx.append(_watch)
