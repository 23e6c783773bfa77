"""NodeResourcesLeastAllocated: prefer the node with the most room left.

Per resource, ``(allocatable - requested) * 100 / allocatable`` after placing the pod,
0 when it would not fit; the node's score is the weighted mean over the resources (cpu
and memory, weight 1 each, unless ``args.resources`` says otherwise). Requests here
count containers without cpu/memory requests as 100m/200Mi, so empty pods spread too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from scheduler.framework.interface import MAX_NODE_SCORE, CycleState, Handle
from scheduler.framework.types import CPU, EPHEMERAL_STORAGE, MEMORY, NodeInfo, PodInfo, Resource

__all__ = ["NAME", "LeastAllocated", "least_requested_score", "new"]

NAME = "NodeResourcesLeastAllocated"
DEFAULT_RESOURCES = ({"name": CPU, "weight": 1}, {"name": MEMORY, "weight": 1})


def least_requested_score(requested: int, capacity: int) -> int:
    if capacity == 0 or requested > capacity:
        return 0
    return (capacity - requested) * MAX_NODE_SCORE // capacity


def amount(resource: Resource, name: str) -> int:
    if name == CPU:
        return resource.milli_cpu
    if name == MEMORY:
        return resource.memory
    if name == EPHEMERAL_STORAGE:
        return resource.ephemeral_storage
    return resource.scalar.get(name, 0)


class LeastAllocated:
    name = NAME

    def __init__(self, resources: tuple[tuple[str, int], ...]) -> None:
        self.resources = resources
        self.weight_sum = sum(weight for _, weight in resources)
        self._default = resources == ((CPU, 1), (MEMORY, 1))

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        if self._default:
            return self.score_nodes(state, pod, (node,))[0]
        return self._weighted(pod, node)

    def score_nodes(self, state: CycleState, pod: PodInfo,
                    nodes: Sequence[NodeInfo]) -> list[int]:
        """Every node at once: the default cpu+memory case in one tight loop."""
        if not self._default:
            return [self._weighted(pod, node) for node in nodes]
        cpu, memory = pod.non_zero.milli_cpu, pod.non_zero.memory
        scores = []
        for node in nodes:
            allocatable, used = node.allocatable, node.non_zero_requested
            have, want = allocatable.milli_cpu, used.milli_cpu + cpu
            cpu_score = (have - want) * MAX_NODE_SCORE // have if 0 < have >= want else 0
            have, want = allocatable.memory, used.memory + memory
            memory_score = (have - want) * MAX_NODE_SCORE // have if 0 < have >= want else 0
            scores.append((cpu_score + memory_score) // 2)
        return scores

    def _weighted(self, pod: PodInfo, node: NodeInfo) -> int:
        allocatable, used, wanted = node.allocatable, node.non_zero_requested, pod.non_zero
        if not self.weight_sum:
            return 0
        total = 0
        for name, weight in self.resources:
            if name in (CPU, MEMORY):
                requested = amount(used, name) + amount(wanted, name)
            else:  # only cpu and memory have non-zero defaults
                requested = amount(node.requested, name) + amount(pod.request, name)
            total += least_requested_score(requested, amount(allocatable, name)) * weight
        return total // self.weight_sum


def parse_resources(args: Mapping[str, Any]) -> tuple[tuple[str, int], ...]:
    resources: Any = args.get("resources") or DEFAULT_RESOURCES
    try:
        return tuple((str(r["name"]), int(r.get("weight", 1))) for r in resources)
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise ValueError(f"{NAME}: args.resources must be a list of {{name, weight}}: "
                         f"{err}") from err


def new(args: Mapping[str, Any], handle: Handle) -> LeastAllocated:
    return LeastAllocated(parse_resources(args))
