"""Simulated time: a queue of things due at simulated instants, played in order at a chosen speed."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Awaitable, Callable
from datetime import datetime

Step = Callable[[], Awaitable[None]]


class Pace:
    """Maps simulated time onto the wall clock: `speed` simulated seconds per real second (0: as fast as possible)."""

    def __init__(self, origin: datetime, speed: float) -> None:
        self._origin = origin
        self._speed = speed
        self._started = time.monotonic()

    async def until(self, at: datetime) -> None:
        """Wait for the real moment that matches a simulated one (never when speed is 0)."""
        if self._speed <= 0:
            return
        due = self._started + (at - self._origin).total_seconds() / self._speed
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)


class Agenda:
    """The things a site will do, by simulated time; ties keep the order they were put in."""

    def __init__(self, pace: Pace, start: datetime, on_advance: Callable[[datetime], None] | None = None) -> None:
        self._pace = pace
        self._queue: list[tuple[datetime, int, str, Step]] = []
        self._order = itertools.count()
        self.now = start
        self._on_advance = on_advance

    def at(self, when: datetime, label: str, step: Step) -> None:
        """Do `step` at `when` (never before the current simulated time)."""
        heapq.heappush(self._queue, (max(when, self.now), next(self._order), label, step))

    async def run(self) -> None:
        """Play everything due, in simulated order, until nothing is left."""
        while self._queue:
            when, _, _, step = heapq.heappop(self._queue)
            await self._pace.until(when)
            self.now = when
            if self._on_advance is not None:
                self._on_advance(when)
            await step()
