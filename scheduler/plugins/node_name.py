"""NodeName (``PodFitsHost``): a pod that names its node in ``spec.nodeName`` fits only
there. Pods created with a node name skip the scheduler, so this mostly skips itself."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scheduler.framework.interface import CycleState, Handle, Status
from scheduler.framework.types import NodeInfo, PodInfo

__all__ = ["ERR_REASON", "NAME", "NodeName", "new"]

NAME = "NodeName"
ERR_REASON = "node(s) didn't match the requested node name"


class NodeName:
    name = NAME

    def __init__(self) -> None:
        self._rejected = Status.unresolvable(ERR_REASON, plugin=NAME)

    def pre_filter(self, state: CycleState, pod: PodInfo) -> Status | None:
        return None if pod.node_name else Status.skip()

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        return None if node.name == pod.node_name else self._rejected


def new(args: Mapping[str, Any], handle: Handle) -> NodeName:
    return NodeName()
