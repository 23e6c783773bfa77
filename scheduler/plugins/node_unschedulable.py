"""NodeUnschedulable: a cordoned node (``spec.unschedulable``) takes no new pods, unless
the pod tolerates the ``node.kubernetes.io/unschedulable:NoSchedule`` taint."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from apimachinery.core_v1 import Taint
from scheduler.framework.interface import CycleState, Handle, Status
from scheduler.framework.types import NodeInfo, PodInfo
from scheduler.plugins.helper import tolerates

__all__ = ["ERR_REASON", "NAME", "NodeUnschedulable", "new"]

NAME = "NodeUnschedulable"
ERR_REASON = "node(s) were unschedulable"
UNSCHEDULABLE_TAINT = Taint(key="node.kubernetes.io/unschedulable", effect="NoSchedule")


class NodeUnschedulable:
    name = NAME

    def __init__(self, handle: Handle) -> None:
        self.nodes = handle.nodes
        self._rejected = Status.unresolvable(ERR_REASON, plugin=NAME)

    def pre_filter(self, state: CycleState, pod: PodInfo) -> Status | None:
        return None if self.nodes.cordoned_nodes else Status.skip()

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        if not node.unschedulable or tolerates(pod.tolerations, UNSCHEDULABLE_TAINT):
            return None
        return self._rejected


def new(args: Mapping[str, Any], handle: Handle) -> NodeUnschedulable:
    return NodeUnschedulable(handle)
