"""Waiting for a wake-up or a timeout without losing a cancellation."""

from __future__ import annotations

import asyncio
import contextlib


async def woken(event: asyncio.Event, seconds: float | None) -> bool:
    """Wait until `event` is set or `seconds` pass (None: no limit); whether it was set.

    Python 3.11's `asyncio.wait_for` drops a cancellation that arrives as the awaited event is set, so a loop waiting
    that way could miss its shutdown and be awaited for ever; `asyncio.timeout` does not.
    """
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await event.wait()
            return True
    return False
