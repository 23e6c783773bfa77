"""The scheduling queue: which pending pod to try next, and when to try a failed one again.

kube-scheduler's ``PriorityQueue`` with its three parts:

* the **active queue**, a heap ordered by priority (higher first), then creation time:
  the pods to schedule now;
* the **backoff queue**: pods that failed recently wait 1 s, doubling per attempt up to
  10 s, before they become active again (a bind error lands here directly);
* the **unschedulable pool**: pods no node fits. Trying them again is useless until the
  cluster changes, so they wait here until a node is added or changes in a way that
  may help (allocatable, labels, taints, cordon) or a bound pod goes away, and then move
  back (to backoff if their backoff has not run out). A flush every 30 s moves pods that
  have waited 60 s anyway, a safety net for changes no event announces.

A pod that was being scheduled when such a change happened would miss it, so the queue
counts scheduling cycles: a pod whose cycle started before the last "move" request goes
to backoff instead of the pool. Pods being scheduled are "in flight" and known by key,
so updates and deletes that arrive meanwhile are not lost.

All methods except :meth:`pop` are synchronous and called from the event loop, so the
queue needs no lock.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
from dataclasses import dataclass, field

from apimachinery.core_v1 import Pod
from client import Clock, RealClock
from scheduler.framework.types import PodInfo

__all__ = ["ACTIVE", "BACKOFF", "UNSCHEDULABLE", "QueuedPodInfo", "SchedulingQueue"]

log = logging.getLogger(__name__)

ACTIVE, BACKOFF, UNSCHEDULABLE = "active", "backoff", "unschedulable"
BACKOFF_FLUSH_PERIOD = 1.0
UNSCHEDULABLE_FLUSH_PERIOD = 30.0
MAX_UNSCHEDULABLE_DURATION = 60.0


@dataclass(eq=False, slots=True)
class QueuedPodInfo:
    """A pod in the queue and its scheduling history."""

    pod_info: PodInfo
    timestamp: float  # when it last entered a queue
    first_seen: float  # when the scheduler first queued it (end-to-end latency)
    attempts: int = 0
    unschedulable_plugins: set[str] = field(default_factory=set)
    seq: int = 0
    deleted: bool = False

    @property
    def key(self) -> str:
        return self.pod_info.key


def pod_updated(old: Pod, new: Pod) -> bool:
    """Did anything the scheduler decides on change? Status and resourceVersion do not
    count: the scheduler's own condition write must not requeue the pod."""
    return (old.spec != new.spec or old.metadata.labels != new.metadata.labels
            or old.metadata.annotations != new.metadata.annotations)


class SchedulingQueue:
    def __init__(self, clock: Clock | None = None, *, initial_backoff: float = 1.0,
                 max_backoff: float = 10.0,
                 max_unschedulable_duration: float = MAX_UNSCHEDULABLE_DURATION) -> None:
        self.clock: Clock = clock or RealClock()
        self.initial_backoff = initial_backoff
        self.max_backoff = max_backoff
        self.max_unschedulable_duration = max_unschedulable_duration
        self._seq = itertools.count()
        self._active_heap: list[tuple[int, str, int, str]] = []
        self._active: dict[str, QueuedPodInfo] = {}
        self._backoff_heap: list[tuple[float, int, str]] = []
        self._backoff: dict[str, QueuedPodInfo] = {}
        self._unschedulable: dict[str, QueuedPodInfo] = {}
        self._in_flight: dict[str, QueuedPodInfo] = {}
        self._nonempty = asyncio.Event()
        self.scheduling_cycle = 0
        self._move_request_cycle = -1

    # -- sizes -----------------------------------------------------------------------

    def lengths(self) -> dict[str, int]:
        return {ACTIVE: len(self._active), BACKOFF: len(self._backoff),
                UNSCHEDULABLE: len(self._unschedulable)}

    def where(self, key: str) -> str | None:
        """Which part holds the pod (``"in flight"`` while it is being scheduled)."""
        for name, part in ((ACTIVE, self._active), (BACKOFF, self._backoff),
                           (UNSCHEDULABLE, self._unschedulable),
                           ("in flight", self._in_flight)):
            if key in part:
                return name
        return None

    def __len__(self) -> int:
        return len(self._active) + len(self._backoff) + len(self._unschedulable)

    # -- informer events -------------------------------------------------------------

    def add(self, pod: Pod) -> None:
        """A pending pod was seen (added, updated or listed again): queue it, or refresh
        the copy the queue holds."""
        info = PodInfo(pod)
        key = info.key
        queued = self._find(key)
        if queued is not None and queued.pod_info.uid == info.uid and not queued.deleted:
            self._refresh(queued, info)
            return
        if queued is not None and key not in self._in_flight:
            self.delete(key)  # a different pod of the same name: the old one is gone
        elif queued is not None:
            queued.deleted = True  # in flight under the old uid: drop it when it lands
        now = self.clock.monotonic()
        self._push_active(QueuedPodInfo(info, now, now))

    update = add

    def _find(self, key: str) -> QueuedPodInfo | None:
        for part in (self._active, self._backoff, self._unschedulable, self._in_flight):
            queued = part.get(key)
            if queued is not None:
                return queued
        return None

    def _refresh(self, queued: QueuedPodInfo, info: PodInfo) -> None:
        old = queued.pod_info
        queued.pod_info = info
        key = info.key
        if key in self._active:
            if (old.priority, old.created) != (info.priority, info.created):
                self._push_active(queued)  # the old heap entry goes stale
        elif key in self._unschedulable and pod_updated(old.pod, info.pod):
            del self._unschedulable[key]
            self._requeue(queued)

    def delete(self, key: str, uid: str | None = None) -> None:
        """The pod is gone or was bound: forget it wherever it is (only the pod with
        ``uid``, when given, so a namesake created since is kept)."""
        for part in (self._active, self._backoff, self._unschedulable):
            queued = part.get(key)
            if queued is not None and uid in (None, queued.pod_info.uid):
                del part[key]  # a heap entry left behind goes stale
        queued = self._in_flight.get(key)
        if queued is not None and uid in (None, queued.pod_info.uid):
            queued.deleted = True

    def move_all_to_active_or_backoff(self, event: str) -> None:
        """The cluster changed in a way that may help: give every unschedulable pod
        another chance (through backoff if it is still backing off)."""
        moved = list(self._unschedulable.values())
        self._unschedulable.clear()
        for queued in moved:
            self._requeue(queued)
        self._move_request_cycle = self.scheduling_cycle
        if moved:
            log.debug("%s: moved %d unschedulable pods", event, len(moved))

    # -- the scheduler's side --------------------------------------------------------

    async def pop(self) -> QueuedPodInfo:
        """The next pod to schedule; waits while none is active."""
        while True:
            while self._active_heap:
                _, _, seq, key = heapq.heappop(self._active_heap)
                queued = self._active.get(key)
                if queued is None or queued.seq != seq:
                    continue  # deleted or re-pushed since: a stale entry
                del self._active[key]
                queued.attempts += 1
                self.scheduling_cycle += 1
                self._in_flight[key] = queued
                return queued
            self._nonempty.clear()
            await self._nonempty.wait()

    def done(self, queued: QueuedPodInfo) -> None:
        """The pod left the scheduler's hands (bound, or dropped)."""
        if self._in_flight.get(queued.key) is queued:
            del self._in_flight[queued.key]

    def add_unschedulable(self, queued: QueuedPodInfo, cycle: int, *, error: bool) -> None:
        """Put a pod that failed in cycle ``cycle`` back: to backoff after an error or
        when the cluster changed during its cycle, else to the unschedulable pool."""
        key = queued.key
        self.done(queued)
        if queued.deleted or self._find(key) is not None:
            return  # gone, or a namesake has taken its place
        queued.timestamp = self.clock.monotonic()
        if error or self._move_request_cycle >= cycle:
            self._push_backoff(queued)
        else:
            self._unschedulable[key] = queued

    def backoff_duration(self, queued: QueuedPodInfo) -> float:
        """1 s, doubling per failed attempt, at most 10 s (``calculateBackoffDuration``)."""
        duration = self.initial_backoff
        for _ in range(1, queued.attempts):
            duration *= 2
            if duration >= self.max_backoff:
                return self.max_backoff
        return duration

    def backoff_expiry(self, queued: QueuedPodInfo) -> float:
        return queued.timestamp + self.backoff_duration(queued)

    # -- periodic flushes ------------------------------------------------------------

    def flush_backoff_completed(self) -> None:
        now = self.clock.monotonic()
        while self._backoff_heap and self._backoff_heap[0][0] <= now:
            _, seq, key = heapq.heappop(self._backoff_heap)
            queued = self._backoff.get(key)
            if queued is None or queued.seq != seq:
                continue
            del self._backoff[key]
            self._push_active(queued)

    def flush_unschedulable_left_over(self) -> None:
        now = self.clock.monotonic()
        stale = [q for q in self._unschedulable.values()
                 if now - q.timestamp > self.max_unschedulable_duration]
        for queued in stale:
            del self._unschedulable[queued.key]
            self._requeue(queued)

    async def run(self) -> None:
        """The periodic flushes, until cancelled."""
        waited = 0.0
        while True:
            await self.clock.sleep(BACKOFF_FLUSH_PERIOD)
            self.flush_backoff_completed()
            waited += BACKOFF_FLUSH_PERIOD
            if waited >= UNSCHEDULABLE_FLUSH_PERIOD:
                waited = 0.0
                self.flush_unschedulable_left_over()

    # -- internals -------------------------------------------------------------------

    def _requeue(self, queued: QueuedPodInfo) -> None:
        if self.backoff_expiry(queued) > self.clock.monotonic():
            self._push_backoff(queued)
        else:
            self._push_active(queued)

    def _push_active(self, queued: QueuedPodInfo) -> None:
        queued.seq = next(self._seq)
        info = queued.pod_info
        self._active[info.key] = queued
        heapq.heappush(self._active_heap, (-info.priority, info.created, queued.seq, info.key))
        self._nonempty.set()

    def _push_backoff(self, queued: QueuedPodInfo) -> None:
        queued.seq = next(self._seq)
        self._backoff[queued.key] = queued
        heapq.heappush(self._backoff_heap, (self.backoff_expiry(queued), queued.seq, queued.key))
