"""Run a sync when asked, but not too often, and at least now and then.

Informer handlers only call :meth:`SyncRunner.request`; the runner decides when the
sync actually runs (kube-proxy's ``BoundedFrequencyRunner``):

* at most ``burst`` syncs back to back, then one per ``min_interval`` (a token bucket):
  an isolated change is programmed at once, a burst of a hundred changes costs a few
  syncs, because every request made while a sync waits or runs is served by the next one;
* at least one sync per ``max_interval``, so rules someone else deleted come back;
* a failed sync is retried after ``retry_interval``, growing to ``max_interval``.

Time comes from a :class:`client.Clock`, so tests drive it with a ``FakeClock``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from client import Clock, RealClock
from client.clock import TimerHandle

__all__ = ["SyncRunner"]

log = logging.getLogger(__name__)


class SyncRunner:
    def __init__(self, name: str, fn: Callable[[], Awaitable[None]], *, min_interval: float,
                 max_interval: float, burst: int = 2, retry_interval: float = 1.0,
                 clock: Clock | None = None) -> None:
        self.name = name
        self.fn = fn
        self.min_interval = min_interval
        self.max_interval = max_interval
        self.burst = max(1, burst)
        self.retry_interval = retry_interval
        self.clock: Clock = clock or RealClock()
        self.runs = 0  # syncs started, for metrics and tests
        self.failures = 0  # consecutive failed syncs
        self._tokens = float(self.burst)
        self._refilled = self.clock.monotonic()
        self._pending = False
        self._wake = asyncio.Event()
        self._timer: TimerHandle | None = None

    @property
    def pending(self) -> bool:
        """A sync was asked for and has not started yet."""
        return self._pending

    def request(self) -> None:
        """Ask for a sync (cheap, from any handler; many requests coalesce into one sync)."""
        self._pending = True
        self._wake.set()

    async def run(self) -> None:
        """Sync on request until cancelled."""
        self._timer = self.clock.call_later(self.max_interval, self._periodic)
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                if not self._pending:
                    continue
                await self._take_token()
                self._pending = False
                await self._sync_once()
        finally:
            if self._timer is not None:
                self._timer.cancel()

    def _periodic(self) -> None:
        self.request()
        self._timer = self.clock.call_later(self.max_interval, self._periodic)

    async def _take_token(self) -> None:
        now = self.clock.monotonic()
        rate = 1.0 / self.min_interval if self.min_interval > 0 else float("inf")
        self._tokens = min(float(self.burst), self._tokens + (now - self._refilled) * rate)
        self._refilled = now
        if self._tokens < 1.0:
            # Requests made while we wait are served by this very sync.
            await self.clock.sleep((1.0 - self._tokens) / rate)
            self._refilled = self.clock.monotonic()
            self._tokens = 1.0
        self._tokens -= 1.0

    async def _sync_once(self) -> None:
        self.runs += 1
        try:
            await self.fn()
        except asyncio.CancelledError:
            raise
        except Exception:
            self.failures += 1
            delay = min(self.max_interval, self.retry_interval * 2 ** (self.failures - 1))
            log.exception("%s: sync failed (%d in a row); retrying in %.1fs",
                          self.name, self.failures, delay)
            self.clock.call_later(delay, self.request)
        else:
            self.failures = 0
