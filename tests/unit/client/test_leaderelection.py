"""Leader election on a Lease: acquire, renew, hand over, release, lose; on a fake clock."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from apimachinery import errors
from apimachinery.coordination_v1 import Lease
from client import Client, FakeClock, LeaderElector
from client.testing import FakeApiServer

NS, NAME = "kube-system", "skiff-scheduler"


async def until(condition: Callable[[], bool], rounds: int = 500) -> None:
    for _ in range(rounds):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition never became true")


def lease_spec(fake: FakeApiServer) -> dict[str, Any]:
    lease = fake.get(Lease, NS, NAME)
    assert lease is not None
    return dict(lease["spec"])


def elector(api: Client, clock: FakeClock, identity: str, **kwargs: Any) -> LeaderElector:
    return LeaderElector(api, NS, NAME, identity, clock=clock, rand=lambda: 0.0, **kwargs)


class Candidate:
    """Runs one elector in a task and records what happened to it."""

    def __init__(self, le: LeaderElector) -> None:
        self.le = le
        self.leading = asyncio.Event()
        self.stopped = False
        self.work_cancelled = False
        self.leaders: list[str] = []
        self.task = asyncio.create_task(le.run(self._lead, self._stop, self.leaders.append))

    async def _lead(self) -> None:
        self.leading.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.work_cancelled = True
            raise

    def _stop(self) -> None:
        self.stopped = True

    async def cancel(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


async def walk(clock: FakeClock, seconds: int, done: Callable[[], bool]) -> float:
    """Advance one second at a time until ``done``; returns the time it happened."""
    for _ in range(seconds):
        if done():
            return clock.monotonic()
        await clock.advance(1)
    assert done(), "did not happen in time"
    return clock.monotonic()


def test_timings_must_leave_room_to_renew(api: Client) -> None:
    with pytest.raises(ValueError, match="lease_duration"):
        LeaderElector(api, NS, NAME, "a", lease_duration=10, renew_deadline=10)
    with pytest.raises(ValueError, match="retry_period"):
        LeaderElector(api, NS, NAME, "a", renew_deadline=2, retry_period=2)
    with pytest.raises(ValueError, match="identity"):
        LeaderElector(api, NS, NAME, "")


async def test_the_first_candidate_creates_the_lease_and_renews_it(
        fake: FakeApiServer, clock: FakeClock, api: Client) -> None:
    a = Candidate(elector(api, clock, "a"))
    await asyncio.wait_for(a.leading.wait(), 1)
    assert lease_spec(fake) == {
        "holderIdentity": "a", "leaseDurationSeconds": 15, "leaseTransitions": 0,
        "acquireTime": "2024-01-01T00:00:00.000000Z",
        "renewTime": "2024-01-01T00:00:00.000000Z"}
    assert a.le.is_leader() and a.leaders == ["a"]
    await clock.advance(2)
    await until(lambda: lease_spec(fake)["renewTime"] == "2024-01-01T00:00:02.000000Z")
    assert lease_spec(fake)["acquireTime"] == "2024-01-01T00:00:00.000000Z"
    await a.cancel()


async def test_a_standby_takes_over_only_after_the_lease_expires_on_its_clock(
        fake: FakeApiServer, clock: FakeClock, api: Client) -> None:
    a = Candidate(elector(api, clock, "a", release_on_cancel=False))
    await asyncio.wait_for(a.leading.wait(), 1)
    b = Candidate(elector(api, clock, "b"))
    await clock.advance(3)
    assert not b.leading.is_set() and b.leaders == ["a"]
    last_renewal = clock.monotonic() - 1  # a renewed at t=2
    await a.cancel()  # a crashes: no release, the lease just stops being renewed
    assert a.work_cancelled and a.stopped
    assert lease_spec(fake)["holderIdentity"] == "a"

    took_over = await walk(clock, 30, b.leading.is_set)
    assert last_renewal + 15 <= took_over <= last_renewal + 15 + 2 + 2
    spec = lease_spec(fake)
    assert (spec["holderIdentity"], spec["leaseTransitions"]) == ("b", 1)
    assert spec["acquireTime"] == spec["renewTime"]
    assert b.leaders == ["a", "b"]
    await b.cancel()


async def test_releasing_on_cancel_lets_a_standby_take_over_at_once(
        fake: FakeApiServer, clock: FakeClock, api: Client) -> None:
    a = Candidate(elector(api, clock, "a"))
    await asyncio.wait_for(a.leading.wait(), 1)
    b = Candidate(elector(api, clock, "b"))
    await clock.advance(1)
    await a.cancel()
    assert a.work_cancelled and a.stopped
    spec = lease_spec(fake)
    assert (spec["holderIdentity"], spec["leaseDurationSeconds"]) == ("", 1)
    took_over = await walk(clock, 5, b.leading.is_set)
    assert took_over <= 1 + 2
    assert lease_spec(fake)["leaseTransitions"] == 1
    await b.cancel()


async def test_a_leader_that_cannot_renew_steps_down_after_the_renew_deadline(
        fake: FakeApiServer, clock: FakeClock, api: Client) -> None:
    a = Candidate(elector(api, clock, "a"))
    await asyncio.wait_for(a.leading.wait(), 1)
    fake.down = True
    stepped_down = await walk(clock, 20, lambda: a.task.done())
    assert 10 <= stepped_down <= 12
    assert a.work_cancelled and a.stopped
    assert a.task.result() is None


async def test_work_that_fails_ends_leadership_and_is_reraised(
        fake: FakeApiServer, clock: FakeClock, api: Client) -> None:
    stopped: list[bool] = []

    async def lead() -> None:
        raise RuntimeError("controller crashed")

    le = elector(api, clock, "a")
    with pytest.raises(RuntimeError, match="crashed"):
        await le.run(lead, lambda: stopped.append(True))
    assert stopped == [True]
    assert lease_spec(fake)["holderIdentity"] == ""


async def test_only_one_of_two_racing_candidates_wins(
        fake: FakeApiServer, clock: FakeClock, api: Client) -> None:
    a, b = elector(api, clock, "a"), elector(api, clock, "b")
    results = await asyncio.gather(a.try_acquire_or_renew(), b.try_acquire_or_renew())
    assert sorted(results) == [False, True]
    winner = "a" if results[0] else "b"
    assert lease_spec(fake)["holderIdentity"] == winner


async def test_a_conflicting_write_is_a_lost_round_not_leadership(
        fake: FakeApiServer, clock: FakeClock, api: Client) -> None:
    a = elector(api, clock, "a")
    assert await a.try_acquire_or_renew()
    await a.release()
    fake.fail(errors.Conflict("the object has been modified"), verb="update")
    b = elector(api, clock, "b")
    assert not await b.try_acquire_or_renew()
    assert not b.is_leader()
    assert await b.try_acquire_or_renew()
    assert lease_spec(fake)["holderIdentity"] == "b"


async def test_release_after_a_renewal_it_never_heard_back_from_still_frees_the_lease(
        fake: FakeApiServer, clock: FakeClock, api: Client) -> None:
    a = elector(api, clock, "a")
    assert await a.try_acquire_or_renew()
    # A renewal that reached the server but whose answer was lost (cancelled mid-flight):
    # the stored Lease moved on, the elector's copy did not.
    stored = fake.get(Lease, NS, NAME)
    assert stored is not None
    fake.modify({**stored, "spec": {**stored["spec"], "renewTime": "2030-01-01T00:00:00.000000Z"}})
    assert await a.release()
    assert lease_spec(fake)["holderIdentity"] == ""


async def test_release_leaves_a_lease_someone_else_took_alone(
        fake: FakeApiServer, clock: FakeClock, api: Client) -> None:
    a = elector(api, clock, "a")
    assert await a.try_acquire_or_renew()
    stored = fake.get(Lease, NS, NAME)
    assert stored is not None
    fake.modify({**stored, "spec": {**stored["spec"], "holderIdentity": "b"}})
    assert await a.release()
    assert lease_spec(fake)["holderIdentity"] == "b"
