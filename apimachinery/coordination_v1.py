"""coordination.k8s.io/v1 types (stub: spec and status kept as plain data until the full models land)."""

from __future__ import annotations

from typing import Any

from apimachinery.base import KubeObject


class Lease(KubeObject):
    api_version: str | None = "coordination.k8s.io/v1"
    kind: str | None = "Lease"
    spec: dict[str, Any] | None = None
    status: dict[str, Any] | None = None
