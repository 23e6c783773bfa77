"""coordination.k8s.io/v1: Leases, the cheap heartbeat and leader-election record.

``acquireTime`` and ``renewTime`` are MicroTime (RFC 3339 with microseconds) kept as
text; leader election compares them through the clock it was given, not here.
"""

from __future__ import annotations

from pydantic import Field

from apimachinery.base import KubeObject, ListObject, Model

__all__ = ["Lease", "LeaseList", "LeaseSpec"]


class LeaseSpec(Model):
    holder_identity: str | None = None
    lease_duration_seconds: int | None = None
    acquire_time: str | None = None
    renew_time: str | None = None
    lease_transitions: int | None = None
    strategy: str | None = None
    preferred_holder: str | None = None


class Lease(KubeObject):
    api_version: str | None = "coordination.k8s.io/v1"
    kind: str | None = "Lease"
    spec: LeaseSpec = Field(default_factory=LeaseSpec)


class LeaseList(ListObject):
    api_version: str | None = "coordination.k8s.io/v1"
    kind: str | None = "LeaseList"
    items: list[Lease] = Field(default_factory=list)
