"""NodePorts: two pods cannot hold the same host port (protocol and address) on one
node; 0.0.0.0 (the default) collides with every address."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scheduler.framework.interface import CycleState, Handle, Status
from scheduler.framework.types import NodeInfo, PodInfo

__all__ = ["ERR_REASON", "NAME", "NodePorts", "new"]

NAME = "NodePorts"
ERR_REASON = "node(s) didn't have free ports for the requested pod ports"


class NodePorts:
    name = NAME

    def __init__(self) -> None:
        self._rejected = Status.unschedulable(ERR_REASON, plugin=NAME)

    def pre_filter(self, state: CycleState, pod: PodInfo) -> Status | None:
        return None if pod.host_ports else Status.skip()

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        return self._rejected if node.port_conflict(pod.host_ports) else None


def new(args: Mapping[str, Any], handle: Handle) -> NodePorts:
    return NodePorts()
