"""Expectations: what a controller is waiting to see in its cache before it acts again.

A controller that creates three pods reads its pod cache on the next sync. The watch
events for those pods may not have arrived yet, so the cache still shows the old count
and a naive sync would create three more. client-go's answer, kept here, is to remember
what was asked for: before creating ``n`` pods the controller records ``n`` expected
creations under its key; the pod informer's add handler lowers the count as each pod
shows up; ``sync`` only manages replicas when every expectation has been met (or has
waited longer than :data:`EXPECTATIONS_TIMEOUT`, so one lost event cannot wedge a
controller for ever). Deletions are tracked by pod key rather than by count, as in
``UIDTrackingControllerExpectations``: a pod is seen twice on its way out (marked
terminating, then gone) and must be counted once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from client import Clock

__all__ = ["EXPECTATIONS_TIMEOUT", "Expectations"]

log = logging.getLogger(__name__)

# client-go's ExpectationsTimeout: after this long a controller stops waiting and trusts
# its cache again, since an event may have been lost for good (a relist that missed it).
EXPECTATIONS_TIMEOUT = 5 * 60.0


@dataclass
class _Record:
    adds: int
    deleting: set[str] = field(default_factory=set)
    at: float = 0.0

    @property
    def fulfilled(self) -> bool:
        return self.adds <= 0 and not self.deleting


class Expectations:
    """Pending creations (a count) and deletions (pod keys) per controller key."""

    def __init__(self, clock: Clock, timeout: float = EXPECTATIONS_TIMEOUT) -> None:
        self.clock = clock
        self.timeout = timeout
        self._records: dict[str, _Record] = {}

    def satisfied(self, key: str) -> bool:
        """True when the controller may act: nothing pending, or it waited too long."""
        record = self._records.get(key)
        if record is None or record.fulfilled:
            return True
        if self.clock.monotonic() - record.at > self.timeout:
            log.info("expectations of %s expired (adds %d, deletes %d); resyncing", key,
                     record.adds, len(record.deleting))
            return True
        return False

    def expect(self, key: str, creations: int = 0, deletions: Iterable[str] = ()) -> None:
        """Replace what ``key`` waits for (only called once the last wait is over)."""
        self._records[key] = _Record(adds=creations, deleting=set(deletions),
                                     at=self.clock.monotonic())

    def expect_creations(self, key: str, count: int) -> None:
        self.expect(key, creations=count)

    def expect_deletions(self, key: str, pod_keys: Iterable[str]) -> None:
        self.expect(key, deletions=pod_keys)

    def creation_observed(self, key: str) -> None:
        record = self._records.get(key)
        if record is not None:
            record.adds -= 1

    def creations_failed(self, key: str, count: int) -> None:
        """Creations that were asked for but will never show up (the API said no)."""
        record = self._records.get(key)
        if record is not None:
            record.adds -= count

    def deletion_observed(self, key: str, pod_key: str) -> None:
        record = self._records.get(key)
        if record is not None:
            record.deleting.discard(pod_key)

    def forget(self, key: str) -> None:
        """The controller is gone: drop whatever it waited for."""
        self._records.pop(key, None)

    def pending_deletions(self, key: str) -> frozenset[str]:
        """Keys of pods deleted but not yet seen going: status must not count them."""
        record = self._records.get(key)
        return frozenset(record.deleting) if record is not None else frozenset()

    def pending(self, key: str) -> tuple[int, int]:
        """(creations, deletions) still expected, for tests and logs."""
        record = self._records.get(key)
        if record is None:
            return 0, 0
        return max(record.adds, 0), len(record.deleting)
