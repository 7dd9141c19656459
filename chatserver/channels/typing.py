"""The typing indicator, shown only for a turn that takes a while.

Most turns are answered within milliseconds: a ``bot_typing`` true before the reply
would be an emit no one sees. ``Typing`` emits it only once the turn has run for
``TYPING_AFTER`` seconds (a slow carrier, a hand-off); ``done`` then makes sure it went
out before the replies. ``bot_typing`` false is always sent at the end of a turn: the
terminal client and the load generator read it as "turn done" (docs/protocol.md).
"""

from __future__ import annotations

import asyncio

from chatserver.channels.notifier import Notifier

__all__ = ["TYPING_AFTER", "Typing"]

TYPING_AFTER = 0.1  # seconds a turn runs before the customer sees "typing…"


class Typing:
    """Starts counting when made; ``done`` before the replies, ``off`` after them."""

    def __init__(self, notifier: Notifier, session_id: str, after: float = TYPING_AFTER) -> None:
        self.notifier = notifier
        self.session_id = session_id
        self._shown: asyncio.Task[None] | None = None
        self._timer = asyncio.get_running_loop().call_later(after, self._show)

    def _show(self) -> None:
        self._shown = asyncio.create_task(self.notifier.typing(self.session_id, True))

    async def done(self) -> None:
        """The turn is decided: no indicator from now on, and one started has been sent."""
        self._timer.cancel()
        if self._shown is not None:
            await asyncio.gather(self._shown, return_exceptions=True)

    async def off(self) -> None:
        """The turn ended (answered or failed): "typing" false, "turn done"."""
        await self.done()
        await self.notifier.typing(self.session_id, False)
