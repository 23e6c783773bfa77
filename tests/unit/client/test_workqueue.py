"""The work queue: dedupe, never two workers on one key, delays and backoff on a fake clock."""

from __future__ import annotations

import asyncio

import pytest

from client import (
    BucketRateLimiter,
    DelayingQueue,
    FakeClock,
    ItemExponentialFailureRateLimiter,
    MaxOfRateLimiter,
    RateLimitingQueue,
    ShutDown,
    WorkQueue,
    default_controller_rate_limiter,
)
from client.clock import settle


async def test_keys_come_out_in_order_and_duplicates_are_queued_once() -> None:
    queue: WorkQueue[str] = WorkQueue()
    for key in ("a", "b", "a", "c", "b"):
        queue.add(key)
    assert len(queue) == 3
    assert [await queue.get() for _ in range(3)] == ["a", "b", "c"]
    assert len(queue) == 0


async def test_a_key_added_while_processing_waits_for_done() -> None:
    queue: WorkQueue[str] = WorkQueue()
    queue.add("a")
    key = await queue.get()
    queue.add("a")
    queue.add("a")
    assert len(queue) == 0  # not handed to a second worker while the first holds it
    waiter = asyncio.create_task(queue.get())
    await settle()
    assert not waiter.done()
    queue.done(key)
    assert await asyncio.wait_for(waiter, 1) == "a"
    queue.done("a")
    assert len(queue) == 0  # processed once more, not twice more


async def test_two_workers_never_hold_the_same_key() -> None:
    queue: WorkQueue[int] = WorkQueue()
    holding: set[int] = set()
    overlaps: list[int] = []
    processed: list[int] = []

    async def worker() -> None:
        async for key in queue:
            if key in holding:
                overlaps.append(key)
            holding.add(key)
            await asyncio.sleep(0)
            processed.append(key)
            holding.discard(key)
            queue.done(key)

    workers = [asyncio.create_task(worker()) for _ in range(4)]
    for round_ in range(20):
        for key in range(5):
            queue.add(key)
        if round_ % 2:
            await asyncio.sleep(0)
    await settle(50)
    queue.shutdown()
    await asyncio.gather(*workers)
    assert overlaps == []
    assert set(processed) == set(range(5))


async def test_get_waits_for_a_key() -> None:
    queue: WorkQueue[str] = WorkQueue()
    getter = asyncio.create_task(queue.get())
    await settle()
    assert not getter.done()
    queue.add("x")
    assert await asyncio.wait_for(getter, 1) == "x"


async def test_a_cancelled_getter_does_not_swallow_a_key() -> None:
    queue: WorkQueue[str] = WorkQueue()
    first = asyncio.create_task(queue.get())
    second = asyncio.create_task(queue.get())
    await settle()
    queue.add("x")
    first.cancel()
    await settle()
    assert await asyncio.wait_for(second, 1) == "x"


async def test_shutdown_drains_then_stops_getters_and_ignores_adds() -> None:
    queue: WorkQueue[str] = WorkQueue()
    idle = asyncio.create_task(queue.get())
    await settle()
    queue.shutdown()
    with pytest.raises(ShutDown):
        await idle
    queue2: WorkQueue[str] = WorkQueue()
    queue2.add("a")
    queue2.shutdown()
    queue2.add("b")
    assert [key async for key in queue2] == ["a"]


async def test_shutdown_with_drain_waits_for_keys_in_flight() -> None:
    queue: WorkQueue[str] = WorkQueue()
    queue.add("a")
    key = await queue.get()
    drain = asyncio.create_task(queue.shutdown_with_drain())
    await settle()
    assert not drain.done()
    queue.done(key)
    await asyncio.wait_for(drain, 1)


async def test_add_after_queues_the_key_once_its_delay_passed(clock: FakeClock) -> None:
    queue: DelayingQueue[str] = DelayingQueue(clock=clock)
    queue.add_after("a", 5)
    queue.add_after("b", 2)
    await clock.advance(1.9)
    assert len(queue) == 0 and queue.waiting == 2
    await clock.advance(0.1)
    assert [await queue.get()] == ["b"]
    await clock.advance(3)
    assert await queue.get() == "a"
    assert queue.waiting == 0


async def test_the_earlier_of_two_delays_wins(clock: FakeClock) -> None:
    queue: DelayingQueue[str] = DelayingQueue(clock=clock)
    queue.add_after("a", 10)
    queue.add_after("a", 3)
    queue.add_after("a", 8)  # later than what is pending: ignored
    await clock.advance(3)
    assert len(queue) == 1
    queue.done(await queue.get())
    await clock.advance(10)
    assert len(queue) == 0  # fired once, not three times


async def test_a_zero_delay_adds_at_once_and_shutdown_cancels_timers(clock: FakeClock) -> None:
    queue: DelayingQueue[str] = DelayingQueue(clock=clock)
    queue.add_after("now", 0)
    assert len(queue) == 1
    queue.add_after("later", 1)
    queue.shutdown()
    await clock.advance(2)
    assert [k async for k in queue] == ["now"]


def test_per_key_backoff_doubles_from_5ms_to_1000s() -> None:
    limiter: ItemExponentialFailureRateLimiter[str] = ItemExponentialFailureRateLimiter()
    delays = [limiter.when("a") for _ in range(20)]
    assert delays[:4] == [0.005, 0.01, 0.02, 0.04]
    assert delays[17] == pytest.approx(655.36)
    assert delays[18:] == [1000.0, 1000.0]
    assert limiter.when("b") == 0.005  # keys back off independently
    assert limiter.num_requeues("a") == 20
    limiter.forget("a")
    assert limiter.num_requeues("a") == 0 and limiter.when("a") == 0.005
    for _ in range(500):
        limiter.when("c")
    assert limiter.when("c") == 1000.0


def test_the_token_bucket_allows_a_burst_then_paces(clock: FakeClock) -> None:
    bucket: BucketRateLimiter[str] = BucketRateLimiter(qps=10, burst=100, clock=clock)
    assert [bucket.when(str(i)) for i in range(100)] == [0.0] * 100
    assert bucket.when("x") == pytest.approx(0.1)
    assert bucket.when("y") == pytest.approx(0.2)
    clock.step(10)  # refills, but never beyond the burst
    assert bucket.when("z") == 0.0


def test_the_default_limiter_takes_the_longer_of_both(clock: FakeClock) -> None:
    limiter: MaxOfRateLimiter[str] = default_controller_rate_limiter(clock)
    assert limiter.when("a") == 0.005
    for i in range(100):
        limiter.when(f"k{i}")
    assert limiter.when("fresh") == pytest.approx(0.2)  # bucket empty: its pace wins


async def test_rate_limited_requeue_backs_off_and_forget_resets(clock: FakeClock) -> None:
    queue: RateLimitingQueue[str] = RateLimitingQueue(clock=clock)
    queue.add("a")
    for expected in (0.005, 0.01, 0.02):
        key = await queue.get()
        queue.add_rate_limited(key)
        queue.done(key)
        await clock.advance(expected * 0.99)
        assert len(queue) == 0
        await clock.advance(expected * 0.01 + 1e-9)
        assert len(queue) == 1
    assert queue.num_requeues("a") == 3
    queue.forget("a")
    assert queue.num_requeues("a") == 0
