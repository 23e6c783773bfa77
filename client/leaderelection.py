"""Leader election on a coordination.k8s.io/v1 Lease, as client-go does it.

Several schedulers or controller-managers may run for availability, but only one may
act. Each candidate tries to write its identity into one Lease; the apiserver's
optimistic concurrency (the Lease's resourceVersion) lets exactly one write win. The
holder renews ``renewTime`` every ``retry_period``; if it cannot renew within
``renew_deadline`` it stops leading. Others take over once they have seen the same
Lease record unchanged for ``lease_duration`` on *their own* clock (no clock sync
between machines is assumed), and bump ``leaseTransitions``. On a graceful stop the
leader releases the Lease (empty holder, 1 s duration) so a successor need not wait
(client-go's ``ReleaseOnCancel``).

``run(on_started_leading, on_stopped_leading)`` blocks: it acquires, runs
``on_started_leading()`` (a coroutine; it is cancelled when leadership is lost) while
renewing, and returns when leadership ends. Unlike client-go, ``on_stopped_leading`` is
called only if leadership was actually held.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from apimachinery.coordination_v1 import Lease
from apimachinery.errors import AlreadyExists, Conflict, NotFound, StatusError
from apimachinery.meta import ObjectMeta
from client.backoff import jittered
from client.clock import Clock, RealClock, format_micro_time, parse_time
from client.exceptions import ApiConnectionError
from client.rest import Client, ResourceClient

__all__ = ["LeaderElectionRecord", "LeaderElector"]

log = logging.getLogger(__name__)

JITTER_FACTOR = 1.2  # client-go's: retries while acquiring spread over 1x..2.2x


@dataclass(frozen=True)
class LeaderElectionRecord:
    """The election fields of a Lease's spec."""

    holder_identity: str = ""
    lease_duration_seconds: int = 0
    acquire_time: datetime | None = None
    renew_time: datetime | None = None
    lease_transitions: int = 0

    @classmethod
    def from_spec(cls, spec: dict[str, Any] | None) -> LeaderElectionRecord:
        spec = spec or {}
        return cls(
            holder_identity=spec.get("holderIdentity") or "",
            lease_duration_seconds=int(spec.get("leaseDurationSeconds") or 0),
            acquire_time=parse_time(spec.get("acquireTime")),
            renew_time=parse_time(spec.get("renewTime")),
            lease_transitions=int(spec.get("leaseTransitions") or 0),
        )

    def to_spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "holderIdentity": self.holder_identity,
            "leaseDurationSeconds": self.lease_duration_seconds,
            "leaseTransitions": self.lease_transitions,
        }
        if self.acquire_time is not None:
            spec["acquireTime"] = format_micro_time(self.acquire_time)
        if self.renew_time is not None:
            spec["renewTime"] = format_micro_time(self.renew_time)
        return spec


def _lease_spec(lease: Lease) -> dict[str, Any]:
    # Read through the wire form so this works whatever shape the Lease model has.
    spec = lease.to_dict().get("spec")
    return spec if isinstance(spec, dict) else {}


def _with_spec(lease: Lease, record: LeaderElectionRecord) -> Lease:
    data = lease.to_dict()
    data["spec"] = {**(data.get("spec") or {}), **record.to_spec()}
    return type(lease).model_validate(data)


class LeaderElector:
    """One candidate in the election for one Lease."""

    def __init__(self, client: Client, namespace: str, name: str, identity: str, *,
                 lease_duration: float = 15.0, renew_deadline: float = 10.0,
                 retry_period: float = 2.0, release_on_cancel: bool = True,
                 clock: Clock | None = None,
                 rand: Callable[[], float] = random.random) -> None:
        if lease_duration <= renew_deadline:
            raise ValueError("lease_duration must be greater than renew_deadline")
        if renew_deadline <= JITTER_FACTOR * retry_period:
            raise ValueError("renew_deadline must be greater than retry_period*1.2")
        if not identity:
            raise ValueError("the leader election identity must not be empty")
        self.leases: ResourceClient[Lease] = client.resource(Lease, namespace)
        self.namespace = namespace
        self.name = name
        self.identity = identity
        self.lease_duration = lease_duration
        self.renew_deadline = renew_deadline
        self.retry_period = retry_period
        self.release_on_cancel = release_on_cancel
        self.clock: Clock = clock or RealClock()
        self._rand = rand
        self._lease: Lease | None = None
        self._observed = LeaderElectionRecord()
        self._observed_at = 0.0
        self._on_new_leader: Callable[[str], None] | None = None

    def __repr__(self) -> str:
        return f"LeaderElector({self.namespace}/{self.name}, identity={self.identity!r})"

    @property
    def leader(self) -> str:
        """The holder as last observed ("" if none)."""
        return self._observed.holder_identity

    def is_leader(self) -> bool:
        return self._observed.holder_identity == self.identity

    async def run(self, on_started_leading: Callable[[], Awaitable[None]],
                  on_stopped_leading: Callable[[], None] | None = None,
                  on_new_leader: Callable[[str], None] | None = None) -> None:
        """Acquire, lead until the lease is lost (or the work ends), then stop.

        Cancel the task running this to step down; with ``release_on_cancel`` the Lease
        is released first. An exception raised by ``on_started_leading`` is re-raised.
        """
        self._on_new_leader = on_new_leader
        await self._acquire()
        log.info("%r: became leader", self)
        work = asyncio.create_task(_as_coroutine(on_started_leading), name=f"{self!r} work")
        renew = asyncio.create_task(self._renew_until_lost(), name=f"{self!r} renew")
        try:
            await asyncio.wait({work, renew}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            work.cancel()
            renew.cancel()
            await asyncio.gather(work, renew, return_exceptions=True)
            if self.release_on_cancel:
                await self.release()
            log.info("%r: stopped leading", self)
            if on_stopped_leading is not None:
                on_stopped_leading()
        if not work.cancelled() and work.exception() is not None:
            raise work.exception()  # type: ignore[misc]

    async def _acquire(self) -> None:
        while not await self.try_acquire_or_renew():
            await self.clock.sleep(jittered(self.retry_period, JITTER_FACTOR, self._rand))

    async def _renew_until_lost(self) -> None:
        while await self._renew_within_deadline():
            await self.clock.sleep(self.retry_period)
        log.warning("%r: failed to renew the lease within %.0fs", self, self.renew_deadline)

    async def _renew_within_deadline(self) -> bool:
        deadline = self.clock.monotonic() + self.renew_deadline
        while True:
            if await self.try_acquire_or_renew():
                return True
            if self.clock.monotonic() + self.retry_period >= deadline:
                return False
            await self.clock.sleep(self.retry_period)

    async def try_acquire_or_renew(self) -> bool:
        """One attempt to take or keep the Lease; False if someone else holds it or
        the apiserver could not be reached."""
        try:
            async with asyncio.timeout(self.renew_deadline):
                return await self._try_acquire_or_renew()
        except (StatusError, ApiConnectionError, TimeoutError) as err:
            log.info("%r: lease attempt failed: %s", self, err)
            return False

    async def _try_acquire_or_renew(self) -> bool:
        now = self.clock.now()
        desired = LeaderElectionRecord(self.identity, math.ceil(self.lease_duration),
                                       now, now, 0)
        try:
            lease = await self.leases.get(self.name)
        except NotFound:
            return await self._create(desired)
        old = LeaderElectionRecord.from_spec(_lease_spec(lease))
        self._observe(old)
        if old.holder_identity and self._lease_valid(old) and not self.is_leader():
            return False
        if self.is_leader():
            desired = LeaderElectionRecord(self.identity, desired.lease_duration_seconds,
                                           old.acquire_time, now, old.lease_transitions)
        else:
            desired = LeaderElectionRecord(self.identity, desired.lease_duration_seconds,
                                           now, now, old.lease_transitions + 1)
        self._lease = await self.leases.update(_with_spec(lease, desired))
        self._observe(desired)
        return True

    async def _create(self, record: LeaderElectionRecord) -> bool:
        lease = Lease.model_validate({
            "metadata": ObjectMeta(name=self.name, namespace=self.namespace).to_dict(),
            "spec": record.to_spec(),
        })
        try:
            self._lease = await self.leases.create(lease)
        except AlreadyExists:
            return False  # another candidate created it first; compete next round
        self._observe(record)
        return True

    def _observe(self, record: LeaderElectionRecord) -> None:
        """Remember when the record last changed, on our own clock."""
        if record == self._observed:
            return
        changed_holder = record.holder_identity != self._observed.holder_identity
        self._observed = record
        self._observed_at = self.clock.monotonic()
        if changed_holder and record.holder_identity and self._on_new_leader is not None:
            self._on_new_leader(record.holder_identity)

    def _lease_valid(self, record: LeaderElectionRecord) -> bool:
        return self._observed_at + record.lease_duration_seconds > self.clock.monotonic()

    async def release(self) -> bool:
        """Give the Lease up if we hold it: empty holder, 1 s duration."""
        if not self.is_leader() or self._lease is None:
            return True
        now = self.clock.now()
        record = LeaderElectionRecord("", 1, now, now, self._observed.lease_transitions)
        try:
            try:
                self._lease = await self.leases.update(_with_spec(self._lease, record))
            except Conflict:
                # A renewal cancelled mid-flight may have landed without us seeing its
                # answer: read the Lease again and release it if it is still ours.
                fresh = await self.leases.get(self.name)
                if LeaderElectionRecord.from_spec(_lease_spec(fresh)).holder_identity != self.identity:
                    return True
                self._lease = await self.leases.update(_with_spec(fresh, record))
        except (StatusError, ApiConnectionError) as err:
            log.warning("%r: failed to release the lease: %s", self, err)
            return False
        self._observe(record)
        return True


async def _as_coroutine(func: Callable[[], Awaitable[None]]) -> None:
    await func()
