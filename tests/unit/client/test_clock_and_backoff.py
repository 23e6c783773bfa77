"""The fake clock and the backoff every retry loop uses."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from client import Backoff, FakeClock, format_micro_time, format_time, parse_time


def test_backoff_doubles_up_to_its_cap_and_starts_over_after_quiet(clock: FakeClock) -> None:
    backoff = Backoff(initial=0.8, cap=30, jitter=0, reset_after=120, clock=clock)
    assert [backoff.next() for _ in range(7)] == pytest.approx(
        [0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 30])
    clock.step(121)
    assert backoff.next() == 0.8
    backoff.next()
    backoff.reset()
    assert backoff.next() == 0.8


def test_jitter_stretches_each_delay_by_up_to_its_factor(clock: FakeClock) -> None:
    assert Backoff(initial=1, jitter=1.0, clock=clock, rand=lambda: 0.999).next() == (
        pytest.approx(1.999))
    assert Backoff(initial=1, jitter=1.0, clock=clock, rand=lambda: 0.0).next() == 1


async def test_the_fake_clock_fires_timers_in_order_at_their_own_time(
        clock: FakeClock) -> None:
    fired: list[tuple[str, float]] = []
    clock.call_later(3, lambda: fired.append(("c", clock.monotonic())))
    clock.call_later(1, lambda: fired.append(("a", clock.monotonic())))
    cancelled = clock.call_later(2, lambda: fired.append(("x", clock.monotonic())))
    cancelled.cancel()
    clock.step(5)
    assert fired == [("a", 1), ("c", 3)] and clock.monotonic() == 5
    assert clock.now() == datetime(2024, 1, 1, 0, 0, 5, tzinfo=UTC)


async def test_sleepers_wake_only_when_time_is_advanced(clock: FakeClock) -> None:
    sleeper = asyncio.create_task(clock.sleep(10))
    await clock.advance(0)  # let the sleeper start and set its timer
    await clock.advance(9.9)
    assert not sleeper.done() and clock.pending == 1
    await clock.advance(0.1)
    assert sleeper.done() and clock.pending == 0


def test_wire_timestamps() -> None:
    moment = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    assert format_micro_time(moment) == "2024-05-06T07:08:09.123456Z"
    assert format_time(moment) == "2024-05-06T07:08:09Z"
    assert parse_time("2024-05-06T07:08:09.123456Z") == moment
    assert parse_time(None) is None
