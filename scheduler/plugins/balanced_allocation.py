"""NodeResourcesBalancedAllocation: prefer the node whose cpu and memory would be used in
the most even proportion after placing the pod.

``score = (1 - std) * 100`` where ``std`` is the standard deviation of the requested /
allocatable fractions (for two resources, half their difference). It counts actual
requests, and skips pods that request nothing (Kubernetes does since 1.32, so that
best-effort pods do not all pile onto one node).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from scheduler.framework.interface import MAX_NODE_SCORE, CycleState, Handle, Status
from scheduler.framework.types import CPU, MEMORY, NodeInfo, PodInfo
from scheduler.plugins.least_allocated import amount, parse_resources

__all__ = ["NAME", "BalancedAllocation", "balanced_score", "new"]

NAME = "NodeResourcesBalancedAllocation"


def balanced_score(fractions: Sequence[float]) -> int:
    if len(fractions) == 2:
        std = abs(fractions[0] - fractions[1]) / 2
    elif len(fractions) > 2:
        mean = sum(fractions) / len(fractions)
        std = math.sqrt(sum((f - mean) ** 2 for f in fractions) / len(fractions))
    else:
        std = 0.0
    return int((1 - std) * MAX_NODE_SCORE)


class BalancedAllocation:
    name = NAME

    def __init__(self, resources: tuple[str, ...]) -> None:
        self.resources = resources
        self._default = resources == (CPU, MEMORY)

    def pre_score(self, state: CycleState, pod: PodInfo,
                  nodes: Sequence[NodeInfo]) -> Status | None:
        if all(amount(pod.request, name) == 0 for name in self.resources):
            return Status.skip()
        return None

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        return self.score_nodes(state, pod, (node,))[0]

    def score_nodes(self, state: CycleState, pod: PodInfo,
                    nodes: Sequence[NodeInfo]) -> list[int]:
        """Every node at once: the default cpu+memory case in one tight loop."""
        if not self._default:
            return [self._general(pod, node) for node in nodes]
        cpu, memory = pod.request.milli_cpu, pod.request.memory
        scores = []
        for node in nodes:
            allocatable, requested = node.allocatable, node.requested
            have_cpu, have_memory = allocatable.milli_cpu, allocatable.memory
            if not (have_cpu and have_memory):
                scores.append(self._general(pod, node))
                continue
            cpu_fraction = (requested.milli_cpu + cpu) / have_cpu
            memory_fraction = (requested.memory + memory) / have_memory
            if cpu_fraction > 1.0:
                cpu_fraction = 1.0
            if memory_fraction > 1.0:
                memory_fraction = 1.0
            scores.append(int((1 - abs(cpu_fraction - memory_fraction) / 2) * MAX_NODE_SCORE))
        return scores

    def _general(self, pod: PodInfo, node: NodeInfo) -> int:
        allocatable, requested, request = node.allocatable, node.requested, pod.request
        fractions = []
        for name in self.resources:
            capacity = amount(allocatable, name)
            if capacity:
                used = amount(requested, name) + amount(request, name)
                fractions.append(min(used / capacity, 1.0))
        return balanced_score(fractions)


def new(args: Mapping[str, Any], handle: Handle) -> BalancedAllocation:
    return BalancedAllocation(tuple(name for name, _ in parse_resources(args)))
