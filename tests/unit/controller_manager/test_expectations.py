"""Expectations: a controller waits for its own creations and deletions, but not for ever."""

from __future__ import annotations

from client import FakeClock
from controller_manager.expectations import EXPECTATIONS_TIMEOUT, Expectations


def test_a_controller_with_no_record_may_act() -> None:
    assert Expectations(FakeClock()).satisfied("ns/web")


def test_creations_are_awaited_one_observed_pod_at_a_time() -> None:
    e = Expectations(FakeClock())
    e.expect_creations("ns/web", 2)
    assert not e.satisfied("ns/web")
    e.creation_observed("ns/web")
    assert not e.satisfied("ns/web")
    e.creation_observed("ns/web")
    assert e.satisfied("ns/web")


def test_creations_the_api_refused_are_not_awaited() -> None:
    e = Expectations(FakeClock())
    e.expect_creations("ns/web", 5)
    e.creations_failed("ns/web", 4)
    e.creation_observed("ns/web")
    assert e.satisfied("ns/web")


def test_a_deletion_seen_twice_counts_once() -> None:
    e = Expectations(FakeClock())
    e.expect_deletions("ns/web", ["ns/a", "ns/b"])
    e.deletion_observed("ns/web", "ns/a")  # marked terminating
    e.deletion_observed("ns/web", "ns/a")  # then gone
    assert not e.satisfied("ns/web")
    assert e.pending_deletions("ns/web") == {"ns/b"}
    e.deletion_observed("ns/web", "ns/b")
    assert e.satisfied("ns/web")


def test_a_lost_event_stops_blocking_after_the_timeout() -> None:
    clock = FakeClock()
    e = Expectations(clock)
    e.expect("ns/web", 1, ["ns/a"])
    clock.step(EXPECTATIONS_TIMEOUT - 1)
    assert not e.satisfied("ns/web")
    clock.step(2)
    assert e.satisfied("ns/web")


def test_forgetting_a_controller_drops_its_record() -> None:
    e = Expectations(FakeClock())
    e.expect("ns/web", 3)
    e.forget("ns/web")
    assert e.satisfied("ns/web") and e.pending("ns/web") == (0, 0)
