"""Crash-loop and image-pull backoff: 10 s doubling to 5 min, reset after 10 min."""

from __future__ import annotations

from client import FakeClock
from kubelet.backoff import Backoff


def now(clock: FakeClock) -> float:
    return clock.now().timestamp()


def test_the_first_restart_is_immediate_then_delays_double_up_to_five_minutes(
        clock: FakeClock) -> None:
    backoff = Backoff(clock)
    assert backoff.remaining_since("pod/c", now(clock)) == 0  # never failed: no wait
    delays = []
    for _ in range(8):
        delays.append(backoff.next("pod/c", now(clock)))
        clock.step(backoff.delay("pod/c"))
    assert delays == [10, 20, 40, 80, 160, 300, 300, 300]


def test_a_restart_waits_out_the_delay_counted_from_when_the_container_finished(
        clock: FakeClock) -> None:
    backoff = Backoff(clock)
    backoff.next("pod/c", now(clock))  # the first crash: restarted at once
    clock.step(3)
    finished = now(clock)  # the second crash
    assert backoff.remaining_since("pod/c", finished) == 10
    clock.step(4)
    assert backoff.remaining_since("pod/c", finished) == 6
    clock.step(6)
    assert backoff.remaining_since("pod/c", finished) == 0


def test_ten_minutes_without_a_failure_start_the_sequence_over(clock: FakeClock) -> None:
    backoff = Backoff(clock)
    for _ in range(4):
        backoff.next("pod/c", now(clock))
    assert backoff.delay("pod/c") == 80
    clock.step(601)
    assert backoff.remaining_since("pod/c", now(clock)) == 0
    assert backoff.next("pod/c", now(clock)) == 10


def test_image_pulls_back_off_from_the_last_failure(clock: FakeClock) -> None:
    backoff = Backoff(clock)
    assert backoff.remaining_since_update("uid/img") == 0
    backoff.next("uid/img")
    clock.step(4)
    assert backoff.remaining_since_update("uid/img") == 6
    backoff.forget_prefix("uid/")
    assert backoff.remaining_since_update("uid/img") == 0
