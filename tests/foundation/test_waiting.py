"""A loop that waits for a wake-up or a timeout still stops when cancelled at the moment it is woken."""

from __future__ import annotations

import asyncio

import pytest

from shared.waiting import woken


async def test_a_cancellation_that_comes_as_the_wake_up_comes_is_not_lost() -> None:
    event = asyncio.Event()
    waiting = asyncio.create_task(woken(event, 30.0))
    await asyncio.sleep(0)  # it waits now
    event.set()
    waiting.cancel()  # a shutdown in the same instant (asyncio.wait_for on 3.11 returned instead)
    with pytest.raises(asyncio.CancelledError):
        await waiting


async def test_woken_tells_a_wake_up_from_a_timeout() -> None:
    event = asyncio.Event()
    assert await woken(event, 0.01) is False
    event.set()
    assert await woken(event, None) is True
