"""v1 types (stub: spec and status kept as plain data until the full models land)."""

from __future__ import annotations

from typing import Any

from apimachinery.base import KubeObject, Model


class NamespaceSpec(Model):
    finalizers: list[str] | None = None


class NamespaceStatus(Model):
    phase: str | None = None


class PodCondition(Model):
    type: str
    status: str
    last_transition_time: str | None = None


class PodStatus(Model):
    phase: str | None = None
    qos_class: str | None = None
    conditions: list[PodCondition] | None = None


class ResourceRequirements(Model):
    requests: dict[str, str] | None = None
    limits: dict[str, str] | None = None


class Container(Model):
    name: str
    image: str | None = None
    resources: ResourceRequirements | None = None


class PodSpec(Model):
    node_name: str | None = None
    containers: list[Container] | None = None
    init_containers: list[Container] | None = None
    termination_grace_period_seconds: int | None = None


class Namespace(KubeObject):
    api_version: str | None = "v1"
    kind: str | None = "Namespace"
    spec: NamespaceSpec | None = None
    status: NamespaceStatus | None = None


class Pod(KubeObject):
    api_version: str | None = "v1"
    kind: str | None = "Pod"
    spec: PodSpec | None = None
    status: PodStatus | None = None


class Node(KubeObject):
    api_version: str | None = "v1"
    kind: str | None = "Node"
    spec: dict[str, Any] | None = None
    status: dict[str, Any] | None = None


class Service(KubeObject):
    api_version: str | None = "v1"
    kind: str | None = "Service"
    spec: dict[str, Any] | None = None
    status: dict[str, Any] | None = None


class Endpoints(KubeObject):
    api_version: str | None = "v1"
    kind: str | None = "Endpoints"
    spec: dict[str, Any] | None = None
    status: dict[str, Any] | None = None


class ReplicationController(KubeObject):
    api_version: str | None = "v1"
    kind: str | None = "ReplicationController"
    spec: dict[str, Any] | None = None
    status: dict[str, Any] | None = None


class ConfigMap(KubeObject):
    api_version: str | None = "v1"
    kind: str | None = "ConfigMap"
    spec: dict[str, Any] | None = None
    status: dict[str, Any] | None = None


class Secret(KubeObject):
    api_version: str | None = "v1"
    kind: str | None = "Secret"
    spec: dict[str, Any] | None = None
    status: dict[str, Any] | None = None


class ServiceAccount(KubeObject):
    api_version: str | None = "v1"
    kind: str | None = "ServiceAccount"
    spec: dict[str, Any] | None = None
    status: dict[str, Any] | None = None


class Event(KubeObject):
    api_version: str | None = "v1"
    kind: str | None = "Event"
    spec: dict[str, Any] | None = None
    status: dict[str, Any] | None = None


class ResourceQuota(KubeObject):
    api_version: str | None = "v1"
    kind: str | None = "ResourceQuota"
    spec: dict[str, Any] | None = None
    status: dict[str, Any] | None = None


class LimitRange(KubeObject):
    api_version: str | None = "v1"
    kind: str | None = "LimitRange"
    spec: dict[str, Any] | None = None
    status: dict[str, Any] | None = None


class Binding(KubeObject):
    api_version: str | None = "v1"
    kind: str | None = "Binding"
    spec: dict[str, Any] | None = None
    status: dict[str, Any] | None = None
