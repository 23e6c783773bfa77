"""The shape every controller shares: informers enqueue keys, workers ``sync`` them.

This is kubernetes/sample-controller's loop. Event handlers only put a
``namespace/name`` key on a rate-limited work queue; a worker takes a key, calls the
controller's level-triggered :meth:`Controller.sync`, and forgets the key on success or
requeues it with backoff on failure. The queue guarantees a key is never synced by two
workers at once, so ``sync`` can read the caches, compare desired with observed, and act
without locks. ``sync`` never mutates an object from a cache: it copies first.
"""

from __future__ import annotations

import asyncio
import logging
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

__all__ = ["Controller", "ControllerContext", "Options"]

log = logging.getLogger(__name__)

# After this many failed syncs in a row a key is dropped until its objects change again,
# as client-go's controllers do, so a permanently broken object cannot spin a worker.
MAX_RETRIES = 15


@dataclass
class Options:
    """Flags of skiff-controller-manager that controllers read (Kubernetes names)."""

    node_monitor_grace_period: float = 40.0
    node_monitor_period: float = 5.0
    pod_eviction_timeout: float = 30.0
    cluster_cidr: str = "10.244.0.0/16"
    node_cidr_mask_size: int = 24
    service_cluster_ip_range: str = "10.96.0.0/12"
    concurrent_syncs: int = 5
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class ControllerContext:
    """What a controller is built from: the API, shared caches, events, time, flags."""

    client: Client
    informers: SharedInformerFactory
    recorder: EventRecorder
    clock: Clock = field(default_factory=RealClock)
    options: Options = field(default_factory=Options)


class Controller(ABC):
    """A named, level-triggered controller with a work queue and workers."""

    name: ClassVar[str]
    workers: ClassVar[int] = 2

    def __init__(self, ctx: ControllerContext) -> None:
        self.ctx = ctx
        self.client = ctx.client
        self.recorder = ctx.recorder
        self.clock = ctx.clock
        self.queue: RateLimitingQueue = RateLimitingQueue(name=self.name, clock=ctx.clock)
        self._informers: list[Informer[Any]] = []

    # -- wiring -----------------------------------------------------------------------

    def watch(self, informer: Informer[Any], *, on_add: Any = None, on_update: Any = None,
              on_delete: Any = None) -> Informer[Any]:
        """Register handlers on an informer this controller waits for before syncing."""
        informer.add_event_handler(on_add, on_update, on_delete)
        self._informers.append(informer)
        return informer

    def enqueue(self, obj: KubeObject | DeletedFinalStateUnknown[Any]) -> None:
        self.queue.add(meta_namespace_key(obj))

    def enqueue_after(self, obj: KubeObject, delay: float) -> None:
        self.queue.add_after(meta_namespace_key(obj), delay)

    # -- the loop ---------------------------------------------------------------------

    @abstractmethod
    async def sync(self, key: str) -> None:
        """Make the world match the object named ``key``; raise to be retried."""

    async def run(self, workers: int | None = None) -> None:
        """Wait for the caches, then sync keys until cancelled."""
        for informer in self._informers:
            await informer.wait_for_sync()
        log.info("%s controller: caches synced, starting %d workers", self.name,
                 workers or self.workers)
        tasks = [asyncio.create_task(self._worker()) for _ in range(workers or self.workers)]
        try:
            await asyncio.gather(*tasks)
        finally:
            self.queue.shutdown()
            for task in tasks:
                task.cancel()

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
        try:
            await self.sync(key)
        except asyncio.CancelledError:
            raise
        except Exception as err:  # any failure is retried with backoff, never swallowed
            if self.queue.num_requeues(key) < MAX_RETRIES:
                log.warning("%s: syncing %s failed (will retry): %s", self.name, key, err)
                self.queue.add_rate_limited(key)
            else:
                log.error("%s: dropping %s after %d retries: %s", self.name, key,
                          MAX_RETRIES, err)
                self.queue.forget(key)
            return
        self.queue.forget(key)
