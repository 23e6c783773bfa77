"""apps/v1: the workload controllers (Deployment, ReplicaSet, DaemonSet, StatefulSet).

Same conventions as :mod:`apimachinery.core_v1`: Go values default to their zero value
and are always written, Go pointers are ``None`` when absent. int-or-string fields
(``maxSurge``, ``maxUnavailable``) are ``int | str``: ``1`` and ``"25%"`` both arrive
as the client wrote them, and ``"1"`` stays a string, exactly as Kubernetes reads it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field

from apimachinery.base import PATCH_STRATEGY, KubeObject, ListObject, Model, merge_list
from apimachinery.core_v1 import PersistentVolumeClaim, PodTemplateSpec
from apimachinery.meta import LabelSelector

__all__ = [
    "ControllerRevision",
    "ControllerRevisionList",
    "DaemonSet",
    "DaemonSetCondition",
    "DaemonSetList",
    "DaemonSetSpec",
    "DaemonSetStatus",
    "DaemonSetUpdateStrategy",
    "DaemonSetUpdateStrategyType",
    "Deployment",
    "DeploymentCondition",
    "DeploymentConditionType",
    "DeploymentList",
    "DeploymentSpec",
    "DeploymentStatus",
    "DeploymentStrategy",
    "DeploymentStrategyType",
    "PersistentVolumeClaimRetentionPolicyType",
    "PodManagementPolicyType",
    "ReplicaSet",
    "ReplicaSetCondition",
    "ReplicaSetList",
    "ReplicaSetSpec",
    "ReplicaSetStatus",
    "RollingUpdateDaemonSet",
    "RollingUpdateDeployment",
    "RollingUpdateStatefulSetStrategy",
    "StatefulSet",
    "StatefulSetCondition",
    "StatefulSetList",
    "StatefulSetOrdinals",
    "StatefulSetPersistentVolumeClaimRetentionPolicy",
    "StatefulSetSpec",
    "StatefulSetStatus",
    "StatefulSetUpdateStrategy",
    "StatefulSetUpdateStrategyType",
]


class DeploymentStrategyType(StrEnum):
    RECREATE = "Recreate"
    ROLLING_UPDATE = "RollingUpdate"


class DeploymentConditionType(StrEnum):
    AVAILABLE = "Available"
    PROGRESSING = "Progressing"
    REPLICA_FAILURE = "ReplicaFailure"


class DaemonSetUpdateStrategyType(StrEnum):
    ROLLING_UPDATE = "RollingUpdate"
    ON_DELETE = "OnDelete"


class StatefulSetUpdateStrategyType(StrEnum):
    ROLLING_UPDATE = "RollingUpdate"
    ON_DELETE = "OnDelete"


class PodManagementPolicyType(StrEnum):
    ORDERED_READY = "OrderedReady"
    PARALLEL = "Parallel"


class PersistentVolumeClaimRetentionPolicyType(StrEnum):
    RETAIN = "Retain"
    DELETE = "Delete"


def _retain_keys() -> Any:
    # A patch that changes the strategy type drops the keys of the old type
    # (rollingUpdate when switching to Recreate) instead of merging them in.
    return Field(
        default_factory=DeploymentStrategy, json_schema_extra={PATCH_STRATEGY: "retainKeys"}
    )


# ---------------------------------------------------------------------------
# Deployment
# ---------------------------------------------------------------------------


class RollingUpdateDeployment(Model):
    max_unavailable: int | str | None = None
    max_surge: int | str | None = None


class DeploymentStrategy(Model):
    type: str | None = None
    rolling_update: RollingUpdateDeployment | None = None


class DeploymentSpec(Model):
    replicas: int | None = None
    selector: LabelSelector | None = None
    template: PodTemplateSpec = Field(default_factory=PodTemplateSpec)
    strategy: DeploymentStrategy = _retain_keys()
    min_ready_seconds: int | None = None
    revision_history_limit: int | None = None
    paused: bool | None = None
    progress_deadline_seconds: int | None = None


class DeploymentCondition(Model):
    type: str = ""
    status: str = ""
    last_update_time: str | None = None
    last_transition_time: str | None = None
    reason: str | None = None
    message: str | None = None


class DeploymentStatus(Model):
    observed_generation: int | None = None
    replicas: int | None = None
    updated_replicas: int | None = None
    ready_replicas: int | None = None
    available_replicas: int | None = None
    unavailable_replicas: int | None = None
    terminating_replicas: int | None = None
    conditions: list[DeploymentCondition] | None = merge_list("type")
    collision_count: int | None = None

    def condition(self, type_: str) -> DeploymentCondition | None:
        for cond in self.conditions or ():
            if cond.type == type_:
                return cond
        return None


class Deployment(KubeObject):
    api_version: str | None = "apps/v1"
    kind: str | None = "Deployment"
    spec: DeploymentSpec = Field(default_factory=DeploymentSpec)
    status: DeploymentStatus = Field(default_factory=DeploymentStatus)


class DeploymentList(ListObject):
    api_version: str | None = "apps/v1"
    kind: str | None = "DeploymentList"
    items: list[Deployment] = Field(default_factory=list)


# ---------------------------------------------------------------------------
# ReplicaSet
# ---------------------------------------------------------------------------


class ReplicaSetSpec(Model):
    replicas: int | None = None
    min_ready_seconds: int | None = None
    selector: LabelSelector | None = None
    template: PodTemplateSpec = Field(default_factory=PodTemplateSpec)


class ReplicaSetCondition(Model):
    type: str = ""
    status: str = ""
    last_transition_time: str | None = None
    reason: str | None = None
    message: str | None = None


class ReplicaSetStatus(Model):
    replicas: int = 0
    fully_labeled_replicas: int | None = None
    ready_replicas: int | None = None
    available_replicas: int | None = None
    terminating_replicas: int | None = None
    observed_generation: int | None = None
    conditions: list[ReplicaSetCondition] | None = merge_list("type")


class ReplicaSet(KubeObject):
    api_version: str | None = "apps/v1"
    kind: str | None = "ReplicaSet"
    spec: ReplicaSetSpec = Field(default_factory=ReplicaSetSpec)
    status: ReplicaSetStatus = Field(default_factory=ReplicaSetStatus)


class ReplicaSetList(ListObject):
    api_version: str | None = "apps/v1"
    kind: str | None = "ReplicaSetList"
    items: list[ReplicaSet] = Field(default_factory=list)


# ---------------------------------------------------------------------------
# DaemonSet
# ---------------------------------------------------------------------------


class RollingUpdateDaemonSet(Model):
    max_unavailable: int | str | None = None
    max_surge: int | str | None = None


class DaemonSetUpdateStrategy(Model):
    type: str | None = None
    rolling_update: RollingUpdateDaemonSet | None = None


class DaemonSetSpec(Model):
    selector: LabelSelector | None = None
    template: PodTemplateSpec = Field(default_factory=PodTemplateSpec)
    update_strategy: DaemonSetUpdateStrategy = Field(default_factory=DaemonSetUpdateStrategy)
    min_ready_seconds: int | None = None
    revision_history_limit: int | None = None


class DaemonSetCondition(Model):
    type: str = ""
    status: str = ""
    last_transition_time: str | None = None
    reason: str | None = None
    message: str | None = None


class DaemonSetStatus(Model):
    current_number_scheduled: int = 0
    number_misscheduled: int = 0
    desired_number_scheduled: int = 0
    number_ready: int = 0
    observed_generation: int | None = None
    updated_number_scheduled: int | None = None
    number_available: int | None = None
    number_unavailable: int | None = None
    collision_count: int | None = None
    conditions: list[DaemonSetCondition] | None = merge_list("type")


class DaemonSet(KubeObject):
    api_version: str | None = "apps/v1"
    kind: str | None = "DaemonSet"
    spec: DaemonSetSpec = Field(default_factory=DaemonSetSpec)
    status: DaemonSetStatus = Field(default_factory=DaemonSetStatus)


class DaemonSetList(ListObject):
    api_version: str | None = "apps/v1"
    kind: str | None = "DaemonSetList"
    items: list[DaemonSet] = Field(default_factory=list)


# ---------------------------------------------------------------------------
# StatefulSet
# ---------------------------------------------------------------------------


class RollingUpdateStatefulSetStrategy(Model):
    partition: int | None = None
    max_unavailable: int | str | None = None


class StatefulSetUpdateStrategy(Model):
    type: str | None = None
    rolling_update: RollingUpdateStatefulSetStrategy | None = None


class StatefulSetPersistentVolumeClaimRetentionPolicy(Model):
    when_deleted: str | None = None
    when_scaled: str | None = None


class StatefulSetOrdinals(Model):
    start: int = 0


class StatefulSetSpec(Model):
    replicas: int | None = None
    selector: LabelSelector | None = None
    template: PodTemplateSpec = Field(default_factory=PodTemplateSpec)
    volume_claim_templates: list[PersistentVolumeClaim] | None = None
    service_name: str = ""
    pod_management_policy: str | None = None
    update_strategy: StatefulSetUpdateStrategy = Field(
        default_factory=StatefulSetUpdateStrategy
    )
    revision_history_limit: int | None = None
    min_ready_seconds: int | None = None
    persistent_volume_claim_retention_policy: (
        StatefulSetPersistentVolumeClaimRetentionPolicy | None
    ) = None
    ordinals: StatefulSetOrdinals | None = None


class StatefulSetCondition(Model):
    type: str = ""
    status: str = ""
    last_transition_time: str | None = None
    reason: str | None = None
    message: str | None = None


class StatefulSetStatus(Model):
    observed_generation: int | None = None
    replicas: int = 0
    ready_replicas: int | None = None
    current_replicas: int | None = None
    updated_replicas: int | None = None
    current_revision: str | None = None
    update_revision: str | None = None
    collision_count: int | None = None
    conditions: list[StatefulSetCondition] | None = merge_list("type")
    available_replicas: int = 0


class StatefulSet(KubeObject):
    api_version: str | None = "apps/v1"
    kind: str | None = "StatefulSet"
    spec: StatefulSetSpec = Field(default_factory=StatefulSetSpec)
    status: StatefulSetStatus = Field(default_factory=StatefulSetStatus)


class StatefulSetList(ListObject):
    api_version: str | None = "apps/v1"
    kind: str | None = "StatefulSetList"
    items: list[StatefulSet] = Field(default_factory=list)


# ---------------------------------------------------------------------------
# ControllerRevision
# ---------------------------------------------------------------------------


class ControllerRevision(KubeObject):
    """An immutable snapshot of a DaemonSet or StatefulSet template.

    ``data`` is free-form (a patch the owning controller knows how to apply), so it is
    kept as plain data rather than a typed model.
    """

    api_version: str | None = "apps/v1"
    kind: str | None = "ControllerRevision"
    data: dict[str, Any] | None = None
    revision: int = 0


class ControllerRevisionList(ListObject):
    api_version: str | None = "apps/v1"
    kind: str | None = "ControllerRevisionList"
    items: list[ControllerRevision] = Field(default_factory=list)
