"""Work queues with client-go's semantics, the spine of every skiff controller.

Event handlers put ``namespace/name`` keys in; workers take them out and run
``sync(key)``. The queue gives the guarantees that make level-triggered controllers
simple (``k8s.io/client-go/util/workqueue``):

* a key is queued at most once however often it is added (the *dirty* set);
* a key is never handed to two workers at once: one added while being processed is
  parked and queued again when the worker calls :meth:`WorkQueue.done` (the
  *processing* set);
* :meth:`DelayingQueue.add_after` queues a key later (the earliest request wins);
* :meth:`RateLimitingQueue.add_rate_limited` retries with per-key exponential backoff
  (5 ms doubling to 1000 s) capped overall by a token bucket (10 qps, burst 100), and
  :meth:`RateLimitingQueue.forget` resets a key's backoff once it synced cleanly.

The worker loop reads::

    async for key in queue:
        try:
            await sync(key)
        except Exception:
            queue.add_rate_limited(key)
        else:
            queue.forget(key)
        finally:
            queue.done(key)

Everything but :meth:`WorkQueue.get` is a plain function call with no ``await``, so it
is atomic on the event loop and safe to call from informer handlers. Time comes from a
:class:`client.clock.Clock`, so tests drive delays with a fake clock.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Hashable
from functools import partial
from typing import Generic, Protocol, TypeVar

from client.clock import Clock, RealClock, TimerHandle

__all__ = [
    "BucketRateLimiter",
    "DelayingQueue",
    "ItemExponentialFailureRateLimiter",
    "MaxOfRateLimiter",
    "RateLimiter",
    "RateLimitingQueue",
    "ShutDown",
    "WorkQueue",
    "default_controller_rate_limiter",
]

K = TypeVar("K", bound=Hashable)
K_contra = TypeVar("K_contra", bound=Hashable, contravariant=True)


class ShutDown(Exception):
    """The queue was shut down and has nothing left to hand out."""


class WorkQueue(Generic[K]):
    """A FIFO of keys with dedupe and the never-twice-at-once guarantee."""

    def __init__(self, name: str = "") -> None:
        self.name = name
        self._queue: deque[K] = deque()
        self._dirty: set[K] = set()
        self._processing: set[K] = set()
        self._getters: deque[asyncio.Future[None]] = deque()
        self._shutting_down = False
        self._idle: asyncio.Event | None = None

    def __len__(self) -> int:
        """How many keys wait to be handed out (not counting those being processed)."""
        return len(self._queue)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({self.name!r}, queued={len(self._queue)}, "
                f"processing={len(self._processing)})")

    @property
    def shutting_down(self) -> bool:
        return self._shutting_down

    def add(self, key: K) -> None:
        """Queue ``key`` unless it is queued already; ignored after shutdown."""
        if self._shutting_down or key in self._dirty:
            return
        self._dirty.add(key)
        if key in self._processing:
            return  # queued again by done(), so no two workers ever hold it
        self._queue.append(key)
        self._wakeup_one()

    async def get(self) -> K:
        """The next key, waiting for one; raises :class:`ShutDown` once shut down and
        drained. The caller owns the key until it calls :meth:`done`."""
        while not self._queue:
            if self._shutting_down:
                raise ShutDown(self.name)
            await self._wait()
        key = self._queue.popleft()
        self._processing.add(key)
        self._dirty.discard(key)
        return key

    def done(self, key: K) -> None:
        """The worker is finished with ``key``; queue it again if it was re-added."""
        self._processing.discard(key)
        if key in self._dirty:
            self._queue.append(key)
            self._wakeup_one()
        elif not self._processing and self._idle is not None:
            self._idle.set()

    def shutdown(self) -> None:
        """Stop accepting keys; waiting getters see :class:`ShutDown` once it drains."""
        self._shutting_down = True
        while self._getters:
            waiter = self._getters.popleft()
            if not waiter.done():
                waiter.set_result(None)

    async def shutdown_with_drain(self) -> None:
        """Shut down, then wait until every key being processed is :meth:`done`."""
        self.shutdown()
        while self._processing:
            self._idle = asyncio.Event()
            await self._idle.wait()

    async def __aiter__(self) -> AsyncIterator[K]:
        """Keys until shutdown; call :meth:`done` for each one."""
        while True:
            try:
                key = await self.get()
            except ShutDown:
                return
            yield key

    async def _wait(self) -> None:
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._getters.append(waiter)
        try:
            await waiter
        except BaseException:
            # Cancelled: do not swallow a wake-up meant for someone (asyncio.Queue's rule).
            waiter.cancel()
            if waiter in self._getters:
                self._getters.remove(waiter)
            if self._queue and not waiter.cancelled():
                self._wakeup_one()
            raise

    def _wakeup_one(self) -> None:
        while self._getters:
            waiter = self._getters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return


class DelayingQueue(WorkQueue[K]):
    """A :class:`WorkQueue` that can also queue a key after a delay."""

    def __init__(self, name: str = "", *, clock: Clock | None = None) -> None:
        super().__init__(name)
        self.clock: Clock = clock or RealClock()
        self._waiting: dict[K, tuple[float, TimerHandle]] = {}

    def add_after(self, key: K, delay: float) -> None:
        """Queue ``key`` in ``delay`` seconds; if it is already waiting, the earlier
        time wins."""
        if self._shutting_down:
            return
        if delay <= 0:
            self.add(key)
            return
        ready_at = self.clock.monotonic() + delay
        waiting = self._waiting.get(key)
        if waiting is not None:
            if waiting[0] <= ready_at:
                return
            waiting[1].cancel()
        handle = self.clock.call_later(delay, partial(self._ready, key))
        self._waiting[key] = (ready_at, handle)

    def _ready(self, key: K) -> None:
        self._waiting.pop(key, None)
        self.add(key)

    @property
    def waiting(self) -> int:
        """How many keys wait for their delay to pass."""
        return len(self._waiting)

    def shutdown(self) -> None:
        for _, handle in self._waiting.values():
            handle.cancel()
        self._waiting.clear()
        super().shutdown()


class RateLimiter(Protocol[K_contra]):
    """How long a key should wait before its next retry."""

    def when(self, key: K_contra) -> float: ...
    def forget(self, key: K_contra) -> None: ...
    def num_requeues(self, key: K_contra) -> int: ...


class ItemExponentialFailureRateLimiter(Generic[K]):
    """``base * 2**failures`` per key, capped at ``cap``."""

    def __init__(self, base: float = 0.005, cap: float = 1000.0) -> None:
        self.base = base
        self.cap = cap
        self._failures: dict[K, int] = {}

    def when(self, key: K) -> float:
        exp = self._failures.get(key, 0)
        self._failures[key] = exp + 1
        if exp >= 64:  # 2**64 * base dwarfs any cap; avoid float overflow
            return self.cap
        return min(self.base * 2.0 ** exp, self.cap)

    def forget(self, key: K) -> None:
        self._failures.pop(key, None)

    def num_requeues(self, key: K) -> int:
        return self._failures.get(key, 0)


class BucketRateLimiter(Generic[K]):
    """A token bucket over all keys: each retry reserves a token, waiting if none."""

    def __init__(self, qps: float = 10.0, burst: int = 100, *,
                 clock: Clock | None = None) -> None:
        self.qps = qps
        self.burst = burst
        self.clock: Clock = clock or RealClock()
        self._tokens = float(burst)
        self._last = self.clock.monotonic()

    def when(self, key: K) -> float:
        now = self.clock.monotonic()
        self._tokens = min(float(self.burst), self._tokens + (now - self._last) * self.qps)
        self._last = now
        self._tokens -= 1.0
        return 0.0 if self._tokens >= 0 else -self._tokens / self.qps

    def forget(self, key: K) -> None:
        return None

    def num_requeues(self, key: K) -> int:
        return 0


class MaxOfRateLimiter(Generic[K]):
    """The longest wait any of its limiters asks for."""

    def __init__(self, *limiters: RateLimiter[K]) -> None:
        self.limiters = limiters

    def when(self, key: K) -> float:
        return max(limiter.when(key) for limiter in self.limiters)

    def forget(self, key: K) -> None:
        for limiter in self.limiters:
            limiter.forget(key)

    def num_requeues(self, key: K) -> int:
        return max(limiter.num_requeues(key) for limiter in self.limiters)


def default_controller_rate_limiter(clock: Clock | None = None) -> MaxOfRateLimiter[K]:
    """client-go's ``DefaultControllerRateLimiter``: 5 ms..1000 s per key, 10 qps overall."""
    return MaxOfRateLimiter(ItemExponentialFailureRateLimiter(0.005, 1000.0),
                            BucketRateLimiter(10.0, 100, clock=clock))


class RateLimitingQueue(DelayingQueue[K]):
    """A :class:`DelayingQueue` whose retries back off per key."""

    def __init__(self, rate_limiter: RateLimiter[K] | None = None, name: str = "", *,
                 clock: Clock | None = None) -> None:
        super().__init__(name, clock=clock)
        self.rate_limiter: RateLimiter[K] = (
            rate_limiter or default_controller_rate_limiter(self.clock))

    def add_rate_limited(self, key: K) -> None:
        """Queue ``key`` again after its backoff (the sync failed)."""
        self.add_after(key, self.rate_limiter.when(key))

    def forget(self, key: K) -> None:
        """The key synced: start its backoff over (it stays queued if queued)."""
        self.rate_limiter.forget(key)

    def num_requeues(self, key: K) -> int:
        return self.rate_limiter.num_requeues(key)
