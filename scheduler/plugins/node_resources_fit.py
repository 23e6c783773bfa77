"""NodeResourcesFit: a pod fits a node when its requests fit in what is left.

What is left is the node's allocatable minus the requests of the pods already there
(assumed ones included). A pod's request is computed once, in :class:`PodInfo`:
containers add up, init containers count as their maximum, the overhead comes on top.
cpu, memory, ephemeral-storage and extended resources are checked; the pod count is
checked against allocatable ``pods``. A resource the pod does not request is not
checked, so a node overcommitted on cpu still takes pods that ask for no cpu.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scheduler.framework.interface import CycleState, Handle, Status
from scheduler.framework.types import NodeInfo, PodInfo

__all__ = ["NAME", "NodeResourcesFit", "insufficient_resources", "new"]

NAME = "NodeResourcesFit"
TOO_MANY_PODS = "Too many pods"


def insufficient_resources(pod: PodInfo, node: NodeInfo) -> list[str]:
    """The reasons ``pod`` does not fit ``node`` (``fitsRequest``), in Kubernetes' order."""
    reasons: list[str] = []
    allocatable, requested, request = node.allocatable, node.requested, pod.request
    if len(node.pods) + 1 > allocatable.allowed_pod_number:
        reasons.append(TOO_MANY_PODS)
    if request.milli_cpu and request.milli_cpu > allocatable.milli_cpu - requested.milli_cpu:
        reasons.append("Insufficient cpu")
    if request.memory and request.memory > allocatable.memory - requested.memory:
        reasons.append("Insufficient memory")
    if (request.ephemeral_storage and request.ephemeral_storage
            > allocatable.ephemeral_storage - requested.ephemeral_storage):
        reasons.append("Insufficient ephemeral-storage")
    for name in sorted(request.scalar):
        amount = request.scalar[name]
        if amount and amount > allocatable.scalar.get(name, 0) - requested.scalar.get(name, 0):
            reasons.append(f"Insufficient {name}")
    return reasons


class NodeResourcesFit:
    name = NAME

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        # The common case, inlined: room for one more pod, cpu and memory, nothing else.
        allocatable, requested, request = node.allocatable, node.requested, pod.request
        if (len(node.pods) < allocatable.allowed_pod_number
                and request.milli_cpu <= allocatable.milli_cpu - requested.milli_cpu
                and request.memory <= allocatable.memory - requested.memory
                and not request.ephemeral_storage and not request.scalar):
            return None
        reasons = insufficient_resources(pod, node)
        return Status.unschedulable(*reasons, plugin=NAME) if reasons else None


def new(args: Mapping[str, Any], handle: Handle) -> NodeResourcesFit:
    return NodeResourcesFit()
