"""Why a pod fits no node, in the words ``kubectl describe pod`` shows.

kube-scheduler's ``FitError.Error()``: ``0/3 nodes are available: 1 node(s) didn't match
Pod's node affinity/selector, 2 Insufficient cpu.`` Every node that failed contributes
each of its reasons once; the "count reason" strings are sorted as plain strings (Go's
``sort.Strings``), which is why "1 node(s)..." comes before "2 Insufficient cpu". A
PreFilter rejection replaces the per-node reasons; a PostFilter message is appended.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from scheduler.framework.interface import Status

__all__ = ["NO_NODE_AVAILABLE_MSG", "Diagnosis", "FitError", "NoNodesAvailable"]

NO_NODE_AVAILABLE_MSG = "0/{} nodes are available"


@dataclass
class Diagnosis:
    """What each node said, by node name, and which plugins turned the pod away."""

    node_to_status: dict[str, Status] = field(default_factory=dict)
    unschedulable_plugins: set[str] = field(default_factory=set)
    pre_filter_msg: str = ""
    post_filter_msg: str = ""


class FitError(Exception):
    """No node passed the filters."""

    def __init__(self, pod_key: str, num_all_nodes: int, diagnosis: Diagnosis) -> None:
        self.pod_key = pod_key
        self.num_all_nodes = num_all_nodes
        self.diagnosis = diagnosis
        super().__init__(self.message())

    def message(self) -> str:
        text = NO_NODE_AVAILABLE_MSG.format(self.num_all_nodes) + ":"
        diagnosis = self.diagnosis
        if diagnosis.pre_filter_msg:
            text += f" {diagnosis.pre_filter_msg}."
        else:
            counts = Counter(reason for status in diagnosis.node_to_status.values()
                             for reason in status.reasons)
            histogram = sorted(f"{count} {reason}" for reason, count in counts.items())
            if histogram:
                text += f" {', '.join(histogram)}."
        if diagnosis.post_filter_msg:
            text += f" {diagnosis.post_filter_msg}"
        return text


class NoNodesAvailable(Exception):
    """The cluster has no nodes at all (``ErrNoNodesAvailable``)."""

    def __init__(self) -> None:
        super().__init__("no nodes available to schedule pods")
