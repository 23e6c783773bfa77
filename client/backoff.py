"""Exponential backoff with jitter, the only way skiff's client code retries.

A fleet of informers whose apiserver restarts must not come back in lock-step and
hammer it, and a component whose server is down must not spin. Every retry loop in
:mod:`client` waits on a :class:`Backoff`: delays double from ``initial`` up to ``cap``,
each one stretched by a random jitter, and the sequence starts over once things have
gone well for ``reset_after`` seconds (client-go's ``ExponentialBackoffManager`` with the
reflector's 800 ms .. 30 s, factor 2, jitter 1.0, reset after 2 min).
"""

from __future__ import annotations

import random
from collections.abc import Callable

from client.clock import Clock, RealClock

__all__ = ["Backoff", "jittered"]


def jittered(duration: float, max_factor: float, rand: Callable[[], float] = random.random
             ) -> float:
    """``duration`` stretched by up to ``max_factor`` times itself (client-go's ``Jitter``)."""
    if max_factor <= 0:
        return duration
    return duration + rand() * max_factor * duration


class Backoff:
    """The delays to wait between failed attempts."""

    def __init__(self, initial: float = 0.8, cap: float = 30.0, factor: float = 2.0,
                 jitter: float = 1.0, reset_after: float = 120.0, *,
                 clock: Clock | None = None,
                 rand: Callable[[], float] = random.random) -> None:
        self.initial = initial
        self.cap = cap
        self.factor = factor
        self.jitter = jitter
        self.reset_after = reset_after
        self._clock = clock or RealClock()
        self._rand = rand
        self._current = initial
        self._last: float | None = None

    def next(self) -> float:
        """The delay before the next attempt; each call lengthens the following one."""
        now = self._clock.monotonic()
        if self._last is not None and now - self._last > self.reset_after:
            self._current = self.initial
        self._last = now
        delay = self._current
        self._current = min(self._current * self.factor, self.cap)
        return jittered(delay, self.jitter, self._rand)

    def reset(self) -> None:
        """Things went well: the next failure waits ``initial`` again."""
        self._current = self.initial
        self._last = None

    async def wait(self) -> float:
        """Sleep for :meth:`next` on the clock; returns how long it slept."""
        delay = self.next()
        await self._clock.sleep(delay)
        return delay
