"""batch/v1 types (stub: spec and status kept as plain data until the full models land)."""

from __future__ import annotations

from typing import Any

from apimachinery.base import KubeObject


class Job(KubeObject):
    api_version: str | None = "batch/v1"
    kind: str | None = "Job"
    spec: dict[str, Any] | None = None
    status: dict[str, Any] | None = None
