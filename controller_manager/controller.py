"""The shape every controller shares: informers enqueue keys, workers ``sync`` them.

This is kubernetes/sample-controller's loop. Event handlers only put a
``namespace/name`` key on a rate-limited work queue; a worker takes a key, calls the
controller's level-triggered :meth:`Controller.sync`, and forgets the key on success or
requeues it with backoff on failure. The queue guarantees a key is never synced by two
workers at once, so ``sync`` can read the caches, compare desired with observed, and act
without locks. ``sync`` never mutates an object from a cache: it copies first.

Two optional hooks cover what a plain key loop cannot: :meth:`Controller.on_synced`
runs once when the caches are full and before the first sync (the node IPAM controller
rebuilds its allocation map there), and :meth:`Controller.resync` runs every
``resync_period`` seconds (the node lifecycle controller re-checks every node).

Each controller counts what its queue and workers do in :class:`ControllerMetrics`;
``skiff-controller-manager`` serves them on ``/metrics`` with client-go's metric names.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

from apimachinery.base import KubeObject
from client import (
    Client,
    Clock,
    DeletedFinalStateUnknown,
    EventRecorder,
    Informer,
    RateLimitingQueue,
    RealClock,
    SharedInformerFactory,
    ShutDown,
    meta_namespace_key,
)

__all__ = ["Controller", "ControllerContext", "ControllerMetrics", "Options"]

log = logging.getLogger(__name__)

# After this many failed syncs in a row a key is dropped until its objects change again,
# as client-go's controllers do, so a permanently broken object cannot spin a worker.
MAX_RETRIES = 15

# Seconds; the buckets of client-go's workqueue_work_duration_seconds.
DURATION_BUCKETS: tuple[float, ...] = (
    0.000001, 0.00001, 0.0001, 0.001, 0.01, 0.1, 1.0, 10.0)


@dataclass
class Options:
    """Flags of skiff-controller-manager that controllers read (Kubernetes names)."""

    node_monitor_grace_period: float = 40.0
    node_monitor_period: float = 5.0
    pod_eviction_timeout: float = 30.0
    cluster_cidr: str = "10.244.0.0/16"
    node_cidr_mask_size: int = 24
    allocate_node_cidrs: bool = True
    service_cluster_ip_range: str = "10.96.0.0/12"
    resource_quota_sync_period: float = 300.0
    concurrent_syncs: int = 5
    # --concurrent-<name>-syncs by controller name; absent = the controller's default.
    concurrency: dict[str, int] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def workers_for(self, name: str) -> int | None:
        return self.concurrency.get(name)


@dataclass
class ControllerContext:
    """What a controller is built from: the API, shared caches, events, time, flags."""

    client: Client
    informers: SharedInformerFactory
    recorder: EventRecorder
    clock: Clock = field(default_factory=RealClock)
    options: Options = field(default_factory=Options)


@dataclass
class ControllerMetrics:
    """What one controller's queue and workers did, for ``/metrics``."""

    adds: int = 0
    retries: int = 0
    syncs: int = 0
    failures: int = 0
    sync_seconds_sum: float = 0.0
    # Cumulative counts per DURATION_BUCKETS entry, as a Prometheus histogram has them.
    sync_buckets: list[int] = field(default_factory=lambda: [0] * len(DURATION_BUCKETS))

    def observe_sync(self, seconds: float, ok: bool) -> None:
        self.syncs += 1
        self.failures += not ok
        self.sync_seconds_sum += seconds
        for index in range(bisect.bisect_left(DURATION_BUCKETS, seconds),
                           len(DURATION_BUCKETS)):
            self.sync_buckets[index] += 1


class _MeteredQueue(RateLimitingQueue[str]):
    """The work queue, counting real adds and retries."""

    def __init__(self, metrics: ControllerMetrics, name: str, clock: Clock) -> None:
        super().__init__(name=name, clock=clock)
        self.metrics = metrics

    def add(self, key: str) -> None:
        if not self.shutting_down and key not in self._dirty:
            self.metrics.adds += 1
        super().add(key)

    def add_rate_limited(self, key: str) -> None:
        self.metrics.retries += 1
        super().add_rate_limited(key)


class Controller(ABC):
    """A named, level-triggered controller with a work queue and workers."""

    name: ClassVar[str]
    workers: ClassVar[int] = 2
    # Seconds between calls to resync(); None = never.
    resync_period: float | None = None

    def __init__(self, ctx: ControllerContext) -> None:
        self.ctx = ctx
        self.client = ctx.client
        self.recorder = ctx.recorder
        self.clock = ctx.clock
        self.options = ctx.options
        self.metrics = ControllerMetrics()
        self.queue: RateLimitingQueue[str] = _MeteredQueue(self.metrics, self.name, ctx.clock)
        self._informers: list[Informer[Any]] = []
        self.started = asyncio.Event()

    # -- wiring -----------------------------------------------------------------------

    def watch(self, informer: Informer[Any], *, on_add: Any = None, on_update: Any = None,
              on_delete: Any = None) -> Informer[Any]:
        """Register handlers on an informer this controller waits for before syncing."""
        informer.add_event_handler(on_add, on_update, on_delete)
        if informer not in self._informers:
            self._informers.append(informer)
        return informer

    def enqueue(self, obj: KubeObject | DeletedFinalStateUnknown[Any]) -> None:
        self.queue.add(meta_namespace_key(obj))

    def enqueue_after(self, obj: KubeObject, delay: float) -> None:
        self.queue.add_after(meta_namespace_key(obj), delay)

    # -- hooks ------------------------------------------------------------------------

    @abstractmethod
    async def sync(self, key: str) -> None:
        """Make the world match the object named ``key``; raise to be retried."""

    async def on_synced(self) -> None:
        """Called once the caches are full, before the first sync."""
        return None

    def resync(self) -> None:
        """Called every ``resync_period`` seconds; usually enqueues every key."""
        return None

    # -- the loop ---------------------------------------------------------------------

    async def wait_for_caches(self) -> None:
        for informer in self._informers:
            await informer.wait_for_sync()

    async def run(self, workers: int | None = None) -> None:
        """Wait for the caches, then sync keys until cancelled."""
        count = workers or self.workers
        await self.wait_for_caches()
        await self.on_synced()
        log.info("%s controller: caches synced, starting %d workers", self.name, count)
        tasks = [asyncio.create_task(self._worker(), name=f"{self.name} worker {i}")
                 for i in range(count)]
        if self.resync_period:
            tasks.append(asyncio.create_task(self._resync_loop(self.resync_period),
                                             name=f"{self.name} resync"))
        self.started.set()
        try:
            await asyncio.gather(*tasks)
        finally:
            self.queue.shutdown()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _resync_loop(self, period: float) -> None:
        while True:
            await self.clock.sleep(period)
            self.resync()

    async def _worker(self) -> None:
        while True:
            try:
                key = await self.queue.get()
            except ShutDown:
                return
            try:
                await self.process(key)
            finally:
                self.queue.done(key)

    async def process(self, key: str) -> None:
        """One key through ``sync``: forget on success, back off on failure."""
        start = time.perf_counter()
        try:
            await self.sync(key)
        except asyncio.CancelledError:
            raise
        except Exception as err:  # any failure is retried with backoff, never swallowed
            self.metrics.observe_sync(time.perf_counter() - start, ok=False)
            if self.queue.num_requeues(key) < MAX_RETRIES:
                log.warning("%s: syncing %s failed (will retry): %s", self.name, key, err)
                self.queue.add_rate_limited(key)
            else:
                log.error("%s: dropping %s after %d retries: %s", self.name, key,
                          MAX_RETRIES, err)
                self.queue.forget(key)
            return
        self.metrics.observe_sync(time.perf_counter() - start, ok=True)
        self.queue.forget(key)
