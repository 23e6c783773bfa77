"""Pod workers: one sync at a time per pod, updates during a sync coalesce into one more."""

from __future__ import annotations

import asyncio

from client import FakeClock
from client.clock import settle
from kubelet.workers import PodWorkers


async def test_updates_during_a_sync_coalesce_into_one_more_sync(clock: FakeClock) -> None:
    gate = asyncio.Event()
    runs: list[str] = []
    active = 0
    most = 0

    async def sync(uid: str) -> float | None:
        nonlocal active, most
        active += 1
        most = max(most, active)
        runs.append(uid)
        await gate.wait()
        active -= 1
        return None

    workers = PodWorkers(sync, clock)
    workers.update("a")
    await settle()
    for _ in range(5):
        workers.update("a")  # while "a" is syncing
    workers.update("b")
    await settle()
    assert runs == ["a", "b"] and most == 2  # different pods in parallel
    gate.set()
    await settle()
    assert runs == ["a", "b", "a"]  # exactly one more for the five updates
    assert workers.busy() == 0


async def test_a_sync_can_ask_to_run_again_later_and_failures_are_retried(clock: FakeClock) -> None:
    results: list[float | Exception | None] = [5.0, RuntimeError("docker hiccup"), None]
    runs = 0

    async def sync(uid: str) -> float | None:
        nonlocal runs
        runs += 1
        result = results.pop(0)
        if isinstance(result, Exception):
            raise result
        return result

    workers = PodWorkers(sync, clock)
    workers.update("a")
    await settle()
    assert runs == 1
    await clock.advance(5)
    assert runs == 2  # asked for 5 s later; this one fails
    await clock.advance(2)  # retried with backoff (1 s, jittered up to 2 s)
    assert runs == 3
    await clock.advance(60)
    assert runs == 3 and workers.known() == []
