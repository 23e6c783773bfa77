"""The ReplicationController controller: the ReplicaSet controller over core/v1's older kind.

A ReplicationController is a ReplicaSet whose selector is a plain label map and whose
template may be absent; everything else (expectations, slow start, adoption, status,
Events) is :class:`controller_manager.replicaset.ReplicaSetController`, as in Kubernetes.
"""

from __future__ import annotations

from typing import Any

from apimachinery.core_v1 import (
    PodTemplateSpec,
    ReplicationController,
    ReplicationControllerCondition,
    ReplicationControllerStatus,
)
from apimachinery.labels import Selector
from controller_manager.replicaset import ReplicaSetController

__all__ = ["ReplicationControllerController"]


class ReplicationControllerController(ReplicaSetController):
    name = "replicationcontroller"
    kind = "ReplicationController"
    model = ReplicationController

    def selector_of(self, rc: Any) -> Selector:
        # An empty map selects nothing here: the apiserver defaults it to the template's
        # labels, so an empty one can only be a mistake, and it must not grab every pod.
        if not rc.spec.selector:
            return Selector.nothing()
        return Selector.from_set(rc.spec.selector)

    def template_of(self, rc: Any) -> PodTemplateSpec:
        return rc.spec.template or PodTemplateSpec()

    def new_status(self, **fields: Any) -> Any:
        return ReplicationControllerStatus(**fields)

    def new_condition(self, **fields: Any) -> Any:
        return ReplicationControllerCondition(**fields)
