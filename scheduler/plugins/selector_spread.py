"""SelectorSpread: spread the pods of one workload across nodes.

Pods belong together when they share a controller (the ownerReference with
``controller: true``: the ReplicaSet, StatefulSet, Job ...) or are selected by the same
Service. A node's raw score is how many of the pod's companions (same namespace, not
being deleted) already run there; fewer is better, so scores are normalised in reverse
(kube-scheduler's SelectorSpread at node level; zones are not weighed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from apimachinery.core_v1 import Service
from apimachinery.labels import Selector
from client import Store
from scheduler.framework.interface import (
    CycleState,
    Handle,
    Status,
    default_normalize_score,
)
from scheduler.framework.types import NodeInfo, PodInfo

__all__ = ["NAME", "SelectorSpread", "new"]

NAME = "SelectorSpread"
_PRE_SCORE_KEY = f"PreScore{NAME}"


@dataclass(frozen=True, slots=True)
class _Companions:
    namespace: str
    owner_uid: str
    selectors: tuple[Selector, ...]

    def include(self, other: PodInfo) -> bool:
        if other.namespace != self.namespace or other.pod.metadata.deletion_timestamp:
            return False
        if self.owner_uid and other.owner_uid == self.owner_uid:
            return True
        return any(selector.matches(other.labels) for selector in self.selectors)


class SelectorSpread:
    name = NAME

    def __init__(self, services: Store[Service] | None) -> None:
        self.services = services

    def _selecting_services(self, pod: PodInfo) -> tuple[Selector, ...]:
        if self.services is None:
            return ()
        selectors = []
        for service in self.services.by_namespace(pod.namespace):
            wanted = service.spec.selector if service.spec else None
            if wanted and pod.labels.items() >= wanted.items():
                selectors.append(Selector.from_set(wanted))
        return tuple(selectors)

    def pre_score(self, state: CycleState, pod: PodInfo,
                  nodes: Sequence[NodeInfo]) -> Status | None:
        selectors = self._selecting_services(pod)
        if not pod.owner_uid and not selectors:
            return Status.skip()
        state.write(_PRE_SCORE_KEY, _Companions(pod.namespace, pod.owner_uid, selectors))
        return None

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        companions: _Companions = state.read(_PRE_SCORE_KEY)
        return sum(1 for other in node.pods.values() if companions.include(other))

    def normalize_score(self, state: CycleState, pod: PodInfo, scores: list[int]) -> None:
        default_normalize_score(scores, reverse=True)


def new(args: Mapping[str, Any], handle: Handle) -> SelectorSpread:
    return SelectorSpread(handle.services)
