"""Time, injectable, so that nothing in skiff has to sleep in a test.

Work queues, informer backoff, leader election and event aggregation all wait on time.
They take a :class:`Clock` instead of calling ``asyncio.sleep`` or ``time.monotonic``
directly; production code gets :class:`RealClock`, tests get :class:`FakeClock` and move
time forward by hand (the role ``k8s.io/utils/clock/testing`` plays for client-go).

A clock has two readings: ``monotonic()`` for intervals and deadlines, and ``now()``
(timezone-aware UTC) for timestamps written into API objects such as a Lease's
``renewTime``. The fake clock keeps both moving together.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

__all__ = [
    "Clock",
    "FakeClock",
    "RealClock",
    "TimerHandle",
    "format_micro_time",
    "format_time",
    "parse_time",
    "settle",
]


class TimerHandle(Protocol):
    def cancel(self) -> None: ...


class Clock(Protocol):
    """What time-dependent client code needs from the clock."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards (for intervals)."""
        ...

    def now(self) -> datetime:
        """The wall-clock time in UTC (for timestamps written to the API)."""
        ...

    async def sleep(self, seconds: float) -> None: ...

    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle:
        """Run ``callback`` (a plain function) after ``delay`` seconds on the event loop."""
        ...


class RealClock:
    """The clock of the running event loop."""

    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))

    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle:
        return asyncio.get_running_loop().call_later(max(0.0, delay), callback)


class _FakeTimer:
    def __init__(self, when: float, callback: Callable[[], None]) -> None:
        self.when = when
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class FakeClock:
    """Virtual time: nothing happens until a test calls :meth:`step` or :meth:`advance`.

    Sleepers and timers fire in deadline order, each with the clock set to its own
    deadline, so code that reads the clock inside a callback sees the time it was due.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._t = 0.0
        self._epoch = start or datetime(2024, 1, 1, tzinfo=UTC)
        self._timers: list[tuple[float, int, _FakeTimer]] = []
        self._seq = itertools.count()

    def monotonic(self) -> float:
        return self._t

    def now(self) -> datetime:
        return self._epoch + timedelta(seconds=self._t)

    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle:
        timer = _FakeTimer(self._t + max(0.0, delay), callback)
        heapq.heappush(self._timers, (timer.when, next(self._seq), timer))
        return timer

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def wake() -> None:
            if not future.done():
                future.set_result(None)

        timer = self.call_later(seconds, wake)
        try:
            await future
        finally:
            timer.cancel()

    @property
    def pending(self) -> int:
        """How many timers and sleepers are waiting (lets a test see a task is parked)."""
        return sum(1 for _, _, t in self._timers if not t.cancelled)

    def next_deadline(self) -> float | None:
        self._drop_cancelled()
        return self._timers[0][0] if self._timers else None

    def step(self, seconds: float) -> None:
        """Move time forward, firing every timer that falls due on the way."""
        target = self._t + seconds
        while True:
            self._drop_cancelled()
            if not self._timers or self._timers[0][0] > target:
                break
            when, _, timer = heapq.heappop(self._timers)
            self._t = max(self._t, when)
            timer.callback()
        self._t = target

    async def advance(self, seconds: float) -> None:
        """:meth:`step`, then let the woken tasks run until the loop is quiet again."""
        self.step(seconds)
        await settle()

    def _drop_cancelled(self) -> None:
        while self._timers and self._timers[0][2].cancelled:
            heapq.heappop(self._timers)


async def settle(rounds: int = 20) -> None:
    """Yield to the event loop enough times for woken tasks to reach their next wait."""
    for _ in range(rounds):
        await asyncio.sleep(0)


def format_micro_time(value: datetime) -> str:
    """RFC 3339 with microseconds, in UTC: the wire form of a ``MicroTime``."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def format_time(value: datetime) -> str:
    """RFC 3339 to the second, in UTC: the wire form of a ``Time``."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: str | None) -> datetime | None:
    """An RFC 3339 ``Time`` or ``MicroTime`` from the wire (``None`` if absent)."""
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
