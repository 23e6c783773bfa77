"""rbac.authorization.k8s.io/v1 types (stub: spec and status kept as plain data until the full models land)."""

from __future__ import annotations

from typing import Any

from apimachinery.base import KubeObject


class Role(KubeObject):
    api_version: str | None = "rbac.authorization.k8s.io/v1"
    kind: str | None = "Role"
    spec: dict[str, Any] | None = None
    status: dict[str, Any] | None = None


class RoleBinding(KubeObject):
    api_version: str | None = "rbac.authorization.k8s.io/v1"
    kind: str | None = "RoleBinding"
    spec: dict[str, Any] | None = None
    status: dict[str, Any] | None = None


class ClusterRole(KubeObject):
    api_version: str | None = "rbac.authorization.k8s.io/v1"
    kind: str | None = "ClusterRole"
    spec: dict[str, Any] | None = None
    status: dict[str, Any] | None = None


class ClusterRoleBinding(KubeObject):
    api_version: str | None = "rbac.authorization.k8s.io/v1"
    kind: str | None = "ClusterRoleBinding"
    spec: dict[str, Any] | None = None
    status: dict[str, Any] | None = None
