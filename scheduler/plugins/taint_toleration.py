"""TaintToleration: a node's NoSchedule and NoExecute taints keep out pods that do not
tolerate them; PreferNoSchedule taints only lower the node's score.

The score counts a node's PreferNoSchedule taints the pod does not tolerate; fewer is
better, so it is normalised in reverse (no such taint = 100).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from operator import attrgetter
from typing import Any

from apimachinery.core_v1 import Toleration
from scheduler.framework.interface import (
    CycleState,
    Handle,
    Status,
    default_normalize_score,
)
from scheduler.framework.types import NodeInfo, PodInfo
from scheduler.plugins.helper import find_untolerated_taint, tolerates

__all__ = ["NAME", "TaintToleration", "new"]

NAME = "TaintToleration"
_PRE_SCORE_KEY = f"PreScore{NAME}"
_PREFER_NO_SCHEDULE = attrgetter("prefer_no_schedule_taints")


class TaintToleration:
    name = NAME

    def __init__(self, handle: Handle) -> None:
        self.nodes = handle.nodes

    def pre_filter(self, state: CycleState, pod: PodInfo) -> Status | None:
        return None if self.nodes.no_schedule_tainted_nodes else Status.skip()

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        if not node.no_schedule_taints:
            return None
        taint = find_untolerated_taint(node.no_schedule_taints, pod.tolerations)
        if taint is None:
            return None
        return Status.unresolvable(
            f"node(s) had untolerated taint {{{taint.key}: {taint.value or ''}}}", plugin=NAME)

    def pre_score(self, state: CycleState, pod: PodInfo,
                  nodes: Sequence[NodeInfo]) -> Status | None:
        # With no PreferNoSchedule taint on any candidate every node scores the same,
        # which cannot change the choice: skip the work.
        if not self.nodes.prefer_no_schedule_tainted_nodes or not any(
                map(_PREFER_NO_SCHEDULE, nodes)):
            return Status.skip()
        state.write(_PRE_SCORE_KEY, [t for t in pod.tolerations
                                     if not t.effect or t.effect == "PreferNoSchedule"])
        return None

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        tolerations: list[Toleration] = state.read(_PRE_SCORE_KEY)
        return sum(1 for taint in node.prefer_no_schedule_taints
                   if not tolerates(tolerations, taint))

    def normalize_score(self, state: CycleState, pod: PodInfo, scores: list[int]) -> None:
        default_normalize_score(scores, reverse=True)


def new(args: Mapping[str, Any], handle: Handle) -> TaintToleration:
    return TaintToleration(handle)
