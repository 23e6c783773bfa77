"""What the runtime says about one pod: its sandboxes and containers, newest first.

Built fresh from a label-filtered list on every sync, never remembered, so a restarted
kubelet sees exactly what a running one would.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kubelet import naming
from kubelet.runtime import RuntimeContainer

__all__ = ["PodObserved"]


def _newest_first(containers: Iterable[RuntimeContainer]) -> list[RuntimeContainer]:
    return sorted(containers, key=lambda c: (c.attempt, c.created_at), reverse=True)


@dataclass(frozen=True)
class PodObserved:
    uid: str
    sandboxes: list[RuntimeContainer]
    containers: list[RuntimeContainer]

    @classmethod
    def of(cls, uid: str, found: Iterable[RuntimeContainer]) -> PodObserved:
        found = list(found)
        return cls(uid,
                   _newest_first(c for c in found if c.type == naming.TYPE_PAUSE),
                   _newest_first(c for c in found if c.type != naming.TYPE_PAUSE))

    @property
    def sandbox(self) -> RuntimeContainer | None:
        """The latest sandbox (running or not)."""
        return self.sandboxes[0] if self.sandboxes else None

    def instances(self, name: str) -> list[RuntimeContainer]:
        """Every instance of the container ``name``, newest first."""
        return [c for c in self.containers if c.name == name]

    def latest(self, name: str) -> RuntimeContainer | None:
        for container in self.containers:
            if container.name == name:
                return container
        return None

    def next_attempt(self, name: str) -> int:
        latest = self.latest(name)
        return 0 if latest is None else latest.attempt + 1

    @property
    def running(self) -> list[RuntimeContainer]:
        return [c for c in (*self.sandboxes, *self.containers) if c.running]
