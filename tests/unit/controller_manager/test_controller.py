"""The shared controller loop: caches first, then workers; retries with backoff; hooks."""

from __future__ import annotations

import asyncio

from apimachinery.core_v1 import ConfigMap
from controller_manager.controller import (
    DURATION_BUCKETS,
    MAX_RETRIES,
    Controller,
    ControllerContext,
    ControllerMetrics,
)
from tests.unit.controller_manager.cluster_harness import Harness, until


class Recording(Controller):
    """Syncs ConfigMaps by recording keys; fails a key as often as ``failures`` says."""

    name = "recording"
    workers = 1
    resync_period = 60.0

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.configmaps = self.watch(ctx.informers.informer(ConfigMap), on_add=self.enqueue)
        self.calls: list[str] = []
        self.failures: dict[str, int] = {}
        self.synced_at_start: list[str] | None = None
        self.resyncs = 0

    async def on_synced(self) -> None:
        self.synced_at_start = list(self.calls)

    def resync(self) -> None:
        self.resyncs += 1

    async def sync(self, key: str) -> None:
        self.calls.append(key)
        if self.failures.get(key, 0) > 0:
            self.failures[key] -= 1
            raise RuntimeError(f"{key} is broken")


def configmap(name: str) -> ConfigMap:
    return ConfigMap.model_validate({"metadata": {"name": name, "namespace": "ns"}})


async def test_run_syncs_every_cached_object_after_the_caches_are_full() -> None:
    async with Harness.start(Recording, configmap("a"), configmap("b")) as h:
        task = asyncio.create_task(h.controller.run())
        try:
            await until(lambda: len(h.controller.calls) == 2)
            assert sorted(h.controller.calls) == ["ns/a", "ns/b"]
            assert h.controller.synced_at_start == []  # the hook ran before any sync
            assert h.controller.started.is_set()
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


async def test_a_failed_sync_is_retried_with_backoff_then_forgotten_on_success() -> None:
    async with Harness.start(Recording, configmap("a")) as h:
        h.controller.failures["ns/a"] = 2
        h.drain()
        await h.controller.process("ns/a")
        assert h.controller.queue.waiting == 1  # not at once: after its backoff
        assert h.controller.queue.num_requeues("ns/a") == 1
        h.clock.step(0.005)
        assert h.queued() == {"ns/a"}
        h.drain()
        await h.controller.process("ns/a")
        h.clock.step(0.010)  # the backoff doubled
        h.drain()
        await h.controller.process("ns/a")
        assert h.controller.calls == ["ns/a"] * 3
        assert h.controller.queue.num_requeues("ns/a") == 0
        metrics = h.controller.metrics
        assert (metrics.syncs, metrics.failures, metrics.retries) == (3, 2, 2)


async def test_a_key_that_keeps_failing_is_dropped_after_the_retry_limit() -> None:
    async with Harness.start(Recording, configmap("a")) as h:
        h.controller.failures["ns/a"] = 100
        for _ in range(MAX_RETRIES + 1):
            await h.controller.process("ns/a")
        assert h.controller.queue.num_requeues("ns/a") == 0
        assert h.controller.metrics.retries == MAX_RETRIES


async def test_resync_runs_every_period() -> None:
    async with Harness.start(Recording) as h:
        task = asyncio.create_task(h.controller.run())
        try:
            await until(lambda: h.clock.pending > 0)  # the resync loop is asleep
            await h.clock.advance(60)
            await h.clock.advance(60)
            assert h.controller.resyncs == 2
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


async def test_adds_count_only_keys_not_already_queued() -> None:
    async with Harness.start(Recording) as h:
        before = h.controller.metrics.adds
        h.controller.queue.add("ns/x")
        h.controller.queue.add("ns/x")
        h.controller.queue.add("ns/y")
        assert h.controller.metrics.adds - before == 2


def test_sync_durations_fill_cumulative_buckets() -> None:
    metrics = ControllerMetrics()
    metrics.observe_sync(0.005, ok=True)
    metrics.observe_sync(5.0, ok=False)
    by_bound = dict(zip(DURATION_BUCKETS, metrics.sync_buckets, strict=True))
    assert by_bound[0.001] == 0
    assert by_bound[0.01] == 1
    assert by_bound[10.0] == 2
    assert (metrics.syncs, metrics.failures) == (2, 1)
