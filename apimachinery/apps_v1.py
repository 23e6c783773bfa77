"""apps/v1 types (stub: spec and status kept as plain data until the full models land)."""

from __future__ import annotations

from typing import Any

from apimachinery.base import KubeObject


class Deployment(KubeObject):
    api_version: str | None = "apps/v1"
    kind: str | None = "Deployment"
    spec: dict[str, Any] | None = None
    status: dict[str, Any] | None = None


class ReplicaSet(KubeObject):
    api_version: str | None = "apps/v1"
    kind: str | None = "ReplicaSet"
    spec: dict[str, Any] | None = None
    status: dict[str, Any] | None = None


class DaemonSet(KubeObject):
    api_version: str | None = "apps/v1"
    kind: str | None = "DaemonSet"
    spec: dict[str, Any] | None = None
    status: dict[str, Any] | None = None


class StatefulSet(KubeObject):
    api_version: str | None = "apps/v1"
    kind: str | None = "StatefulSet"
    spec: dict[str, Any] | None = None
    status: dict[str, Any] | None = None


class ControllerRevision(KubeObject):
    api_version: str | None = "apps/v1"
    kind: str | None = "ControllerRevision"
    spec: dict[str, Any] | None = None
    status: dict[str, Any] | None = None
