"""One worker per pod: syncs of a pod never overlap, syncs of different pods do.

Anything that may change what a pod needs (its API object, a Docker event about one of
its containers, a probe result, a backoff running out) calls :meth:`PodWorkers.update`
with the pod's uid. If the pod's worker is idle it starts a sync; if it is busy the
update is remembered and exactly one more sync follows, however many updates came in
meanwhile (level-triggered: the sync reads the current state, not the events). A sync
may ask to be run again after a delay; a failed one is retried with backoff. A worker
with nothing to do ends; the next update starts a new one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from client import Backoff, Clock
from client.clock import TimerHandle

__all__ = ["PodWorkers"]

log = logging.getLogger(__name__)

Sync = Callable[[str], Awaitable[float | None]]


@dataclass
class _Worker:
    dirty: bool = True
    task: asyncio.Task[None] | None = None
    timer: TimerHandle | None = None
    backoff: Backoff | None = None


@dataclass
class PodWorkers:
    sync: Sync
    clock: Clock
    #: At most this many pods sync at once (Docker and the apiserver set the pace anyway).
    concurrency: int = 32
    _workers: dict[str, _Worker] = field(default_factory=dict)
    _slots: asyncio.Semaphore | None = None
    syncs: int = 0

    def update(self, uid: str) -> None:
        """Sync pod ``uid`` soon (again, if it is syncing right now)."""
        if not uid:
            return
        worker = self._workers.get(uid)
        if worker is None:
            worker = self._workers[uid] = _Worker()
        worker.dirty = True
        if worker.task is None or worker.task.done():
            worker.task = asyncio.get_running_loop().create_task(self._run(uid, worker),
                                                                 name=f"pod worker {uid}")

    def update_after(self, uid: str, delay: float) -> None:
        """Sync pod ``uid`` after ``delay`` seconds (replacing an earlier timer)."""
        worker = self._workers.setdefault(uid, _Worker(dirty=False))
        if worker.timer is not None:
            worker.timer.cancel()

        def fire() -> None:
            worker.timer = None
            self.update(uid)

        worker.timer = self.clock.call_later(delay, fire)

    def known(self) -> list[str]:
        return list(self._workers)

    def busy(self) -> int:
        return sum(1 for w in self._workers.values() if w.task is not None and not w.task.done())

    async def _run(self, uid: str, worker: _Worker) -> None:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.concurrency)
        while worker.dirty:
            worker.dirty = False
            async with self._slots:
                again = await self._sync_once(uid, worker)
            if again is not None:
                self.update_after(uid, again)
        if worker.timer is None and self._workers.get(uid) is worker:
            del self._workers[uid]

    async def _sync_once(self, uid: str, worker: _Worker) -> float | None:
        self.syncs += 1
        try:
            again = await self.sync(uid)
        except asyncio.CancelledError:
            raise
        except Exception:
            worker.backoff = worker.backoff or Backoff(initial=1.0, cap=60.0, clock=self.clock)
            delay = worker.backoff.next()
            log.exception("syncing pod %s failed; retrying in %.1fs", uid, delay)
            return delay
        worker.backoff = None
        return again

    async def stop(self) -> None:
        tasks = []
        for worker in self._workers.values():
            if worker.timer is not None:
                worker.timer.cancel()
            if worker.task is not None:
                worker.task.cancel()
                tasks.append(worker.task)
        await asyncio.gather(*tasks, return_exceptions=True)
        self._workers.clear()
