"""The coalescing sync runner, on virtual time: bursts become a few syncs, nothing is lost."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from client import FakeClock
from client.clock import settle
from proxy.runner import SyncRunner


class Recorder:
    def __init__(self, clock: FakeClock, duration: float = 0.0, failures: int = 0) -> None:
        self.clock = clock
        self.duration = duration
        self.failures = failures
        self.times: list[float] = []

    async def __call__(self) -> None:
        self.times.append(self.clock.monotonic())
        if self.duration:
            await self.clock.sleep(self.duration)
        if self.failures:
            self.failures -= 1
            raise RuntimeError("iptables-restore failed")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def started(clock: FakeClock) -> AsyncIterator[list[asyncio.Task[None]]]:
    tasks: list[asyncio.Task[None]] = []
    yield tasks
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def start(runner: SyncRunner, tasks: list[asyncio.Task[None]]) -> SyncRunner:
    tasks.append(asyncio.create_task(runner.run()))
    await settle()
    return runner


async def run_for(clock: FakeClock, seconds: float, tick: float = 0.01) -> None:
    """Advance virtual time in small steps, so each woken task runs when it is due."""
    for _ in range(round(seconds / tick)):
        await clock.advance(tick)


async def change(runner: SyncRunner) -> None:
    """A change arrives: the informer handler asks, then the loop runs what is ready."""
    runner.request()
    await settle()


async def test_a_lone_change_is_synced_at_once(clock: FakeClock, started: list[asyncio.Task[None]]) -> None:
    sync = Recorder(clock)
    runner = await start(SyncRunner("t", sync, min_interval=1, max_interval=30, clock=clock), started)
    assert sync.times == []
    await change(runner)
    assert sync.times == [0.0]


async def test_a_burst_of_a_hundred_changes_is_a_few_syncs(clock: FakeClock,
                                                            started: list[asyncio.Task[None]]) -> None:
    sync = Recorder(clock, duration=0.05)
    runner = await start(SyncRunner("t", sync, min_interval=1, max_interval=30, clock=clock), started)
    for _ in range(100):  # one change every 20 ms for 2 s
        await change(runner)
        await run_for(clock, 0.02)
    await run_for(clock, 5)
    # two syncs from the burst allowance, then one a second while changes keep coming
    assert len(sync.times) <= 5
    assert sync.times[:2] == [0.0, pytest.approx(0.05, abs=0.011)]
    assert not runner.pending  # the last change was synced too


async def test_syncs_are_never_closer_than_min_interval_once_the_burst_is_spent(
        clock: FakeClock, started: list[asyncio.Task[None]]) -> None:
    sync = Recorder(clock)
    runner = await start(SyncRunner("t", sync, min_interval=0.5, max_interval=30, burst=1, clock=clock),
                         started)
    for _ in range(50):
        await change(runner)
        await run_for(clock, 0.1)
    gaps = [b - a for a, b in zip(sync.times, sync.times[1:], strict=False)]
    assert gaps and min(gaps) >= 0.5 - 1e-9


async def test_a_change_during_a_sync_gets_its_own_sync_after_it(
        clock: FakeClock, started: list[asyncio.Task[None]]) -> None:
    sync = Recorder(clock, duration=0.3)
    runner = await start(SyncRunner("t", sync, min_interval=1, max_interval=30, clock=clock), started)
    await change(runner)
    await run_for(clock, 0.1)
    await change(runner)  # arrives while the first sync runs
    await run_for(clock, 2)
    assert sync.times == [0.0, pytest.approx(0.3, abs=0.011)]


async def test_without_changes_it_still_syncs_every_max_interval(
        clock: FakeClock, started: list[asyncio.Task[None]]) -> None:
    sync = Recorder(clock)
    await start(SyncRunner("t", sync, min_interval=1, max_interval=30, clock=clock), started)
    await run_for(clock, 29, tick=0.5)
    assert sync.times == []
    await run_for(clock, 31.5, tick=0.5)
    assert sync.times == pytest.approx([30.0, 60.0])


async def test_a_failed_sync_is_retried_with_growing_delays(
        clock: FakeClock, started: list[asyncio.Task[None]]) -> None:
    sync = Recorder(clock, failures=2)
    runner = await start(SyncRunner("t", sync, min_interval=0.1, max_interval=30, retry_interval=1,
                              clock=clock), started)
    await change(runner)
    await run_for(clock, 10)
    assert sync.times == pytest.approx([0.0, 1.0, 3.0], abs=0.011)
    assert runner.failures == 0 and runner.runs == 3
