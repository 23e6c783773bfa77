"""The scheduling queue: order, backoff, the unschedulable pool and its flushes."""

from __future__ import annotations

import asyncio

import pytest

from client import FakeClock
from scheduler.queue import ACTIVE, BACKOFF, UNSCHEDULABLE, SchedulingQueue
from tests.unit.scheduler.builders import make_pod


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def queue(clock: FakeClock) -> SchedulingQueue:
    return SchedulingQueue(clock)


async def pop_names(queue: SchedulingQueue, count: int) -> list[str]:
    return [(await queue.pop()).pod_info.name for _ in range(count)]


async def fail(queue: SchedulingQueue, name: str, *, error: bool = False) -> None:
    """Pop ``name`` (it must be next) and hand it back as a failure of its cycle."""
    queued = await queue.pop()
    assert queued.pod_info.name == name
    queue.add_unschedulable(queued, queue.scheduling_cycle, error=error)


async def test_higher_priority_pops_first_then_the_older_pod(queue: SchedulingQueue) -> None:
    queue.add(make_pod("new-low", priority=0, created="2024-01-01T00:00:09Z"))
    queue.add(make_pod("old-low", priority=0, created="2024-01-01T00:00:01Z"))
    queue.add(make_pod("high", priority=100, created="2024-01-01T00:00:10Z"))
    assert await pop_names(queue, 3) == ["high", "old-low", "new-low"]


async def test_a_priority_raised_while_queued_moves_the_pod_up(queue: SchedulingQueue) -> None:
    queue.add(make_pod("a", created="2024-01-01T00:00:01Z"))
    queue.add(make_pod("b", created="2024-01-01T00:00:02Z"))
    queue.update(make_pod("b", priority=10, created="2024-01-01T00:00:02Z"))
    assert await pop_names(queue, 2) == ["b", "a"]


async def test_pop_waits_until_a_pod_is_added(queue: SchedulingQueue) -> None:
    popping = asyncio.create_task(queue.pop())
    await asyncio.sleep(0)
    assert not popping.done()
    queue.add(make_pod("late"))
    assert (await asyncio.wait_for(popping, 1)).pod_info.name == "late"


def test_backoff_doubles_per_attempt_up_to_ten_seconds(queue: SchedulingQueue) -> None:
    queue.add(make_pod("p"))
    queued = queue._active["default/p"]
    durations = []
    for attempts in range(1, 7):
        queued.attempts = attempts
        durations.append(queue.backoff_duration(queued))
    assert durations == [1, 2, 4, 8, 10, 10]


async def test_an_errored_pod_waits_out_its_backoff(queue: SchedulingQueue,
                                                    clock: FakeClock) -> None:
    queue.add(make_pod("p"))
    await fail(queue, "p", error=True)
    assert queue.where("default/p") == BACKOFF
    clock.step(0.9)
    queue.flush_backoff_completed()
    assert queue.where("default/p") == BACKOFF
    clock.step(0.1)
    queue.flush_backoff_completed()
    assert queue.where("default/p") == ACTIVE


async def test_the_second_failure_backs_off_twice_as_long(queue: SchedulingQueue,
                                                          clock: FakeClock) -> None:
    queue.add(make_pod("p"))
    await fail(queue, "p", error=True)
    clock.step(1)
    queue.flush_backoff_completed()
    await fail(queue, "p", error=True)
    clock.step(1.5)
    queue.flush_backoff_completed()
    assert queue.where("default/p") == BACKOFF
    clock.step(0.5)
    queue.flush_backoff_completed()
    assert queue.where("default/p") == ACTIVE


async def test_an_unschedulable_pod_waits_for_a_cluster_change(queue: SchedulingQueue,
                                                               clock: FakeClock) -> None:
    queue.add(make_pod("p"))
    await fail(queue, "p")
    assert queue.where("default/p") == UNSCHEDULABLE
    clock.step(5)
    queue.flush_backoff_completed()
    assert queue.where("default/p") == UNSCHEDULABLE  # time alone does not help
    queue.move_all_to_active_or_backoff("NodeAdd")
    assert queue.where("default/p") == ACTIVE


async def test_a_change_during_backoff_moves_the_pod_to_backoff_not_active(
        queue: SchedulingQueue, clock: FakeClock) -> None:
    queue.add(make_pod("p"))
    await fail(queue, "p")
    clock.step(0.5)
    queue.move_all_to_active_or_backoff("AssignedPodDelete")
    assert queue.where("default/p") == BACKOFF
    clock.step(0.5)
    queue.flush_backoff_completed()
    assert queue.where("default/p") == ACTIVE


async def test_a_change_during_the_pods_own_cycle_is_not_missed(queue: SchedulingQueue) -> None:
    queue.add(make_pod("p"))
    queued = await queue.pop()
    cycle = queue.scheduling_cycle
    queue.move_all_to_active_or_backoff("NodeAdd")  # while "p" was being scheduled
    queue.add_unschedulable(queued, cycle, error=False)
    assert queue.where("default/p") == BACKOFF


async def test_pods_left_unschedulable_for_a_minute_are_flushed(queue: SchedulingQueue,
                                                                clock: FakeClock) -> None:
    queue.add(make_pod("p"))
    await fail(queue, "p")
    clock.step(59)
    queue.flush_unschedulable_left_over()
    assert queue.where("default/p") == UNSCHEDULABLE
    clock.step(2)
    queue.flush_unschedulable_left_over()
    assert queue.where("default/p") == ACTIVE


async def test_the_periodic_flushes_run_on_the_clock(queue: SchedulingQueue,
                                                     clock: FakeClock) -> None:
    queue.add(make_pod("errored"))
    queue.add(make_pod("stuck"))
    await fail(queue, "errored", error=True)
    await fail(queue, "stuck")
    flushes = asyncio.create_task(queue.run())
    await asyncio.sleep(0)  # let it reach its first sleep
    try:
        await clock.advance(1)
        assert queue.where("default/errored") == ACTIVE
        assert queue.where("default/stuck") == UNSCHEDULABLE
        for _ in range(88):  # to t=89: the sweeps at 30 and 60 s found it too young
            await clock.advance(1)
        assert queue.where("default/stuck") == UNSCHEDULABLE
        await clock.advance(1)  # the sweep at 90 s: it has waited over a minute
        assert queue.where("default/stuck") == ACTIVE
    finally:
        flushes.cancel()


async def test_a_status_only_update_leaves_the_pod_in_the_pool(queue: SchedulingQueue) -> None:
    queue.add(make_pod("p"))
    await fail(queue, "p")
    written = make_pod("p")
    written.status.conditions = []  # the scheduler's own condition write
    written.metadata.resource_version = "42"
    queue.update(written)
    assert queue.where("default/p") == UNSCHEDULABLE


async def test_a_spec_update_gives_the_pod_another_try(queue: SchedulingQueue,
                                                       clock: FakeClock) -> None:
    queue.add(make_pod("p", node_selector={"disk": "ssd"}))
    await fail(queue, "p")
    clock.step(1)
    queue.update(make_pod("p"))
    assert queue.where("default/p") == ACTIVE


async def test_a_deleted_pod_leaves_every_queue(queue: SchedulingQueue) -> None:
    queue.add(make_pod("active"))
    queue.add(make_pod("pool"))
    queue.add(make_pod("flight"))
    await fail(queue, "active")  # "active" popped first: all created at the same second
    queue.delete("default/active")
    queue.delete("default/pool")
    in_flight = await queue.pop()
    queue.delete("default/flight")
    queue.add_unschedulable(in_flight, queue.scheduling_cycle, error=True)
    assert [queue.where(k) for k in ("default/active", "default/pool", "default/flight")] == [
        None, None, None]
    assert len(queue) == 0


async def test_a_namesake_created_while_the_old_pod_is_in_flight_is_queued(
        queue: SchedulingQueue) -> None:
    queue.add(make_pod("p", uid="old"))
    old = await queue.pop()
    queue.delete("default/p", "old")
    queue.add(make_pod("p", uid="new"))
    queue.add_unschedulable(old, queue.scheduling_cycle, error=True)
    assert (await queue.pop()).pod_info.uid == "new"
