"""The scheduler cache: every node's running totals, kept from watch events and from the
scheduler's own decisions.

A pod bound a moment ago must count on its node before the watch reports the binding,
or the next cycles would pile pods onto a node that is already full. So, as in
kube-scheduler's ``internal/cache``, the scheduler *assumes* a pod onto the node it
chose before the bind is even sent; the watch event that shows the pod bound then
*confirms* it (moving it if someone else bound it elsewhere), and a failed bind
*forgets* it. Assumed pods do not expire (Kubernetes' default since 1.27): a deleted
pod's DELETED event removes it whatever its state.

Each node's :class:`NodeInfo` is updated in place, so "taking a snapshot" for a cycle is
just reading the list; a pod whose node is not known yet waits in a node-less NodeInfo
that the node joins when it appears.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from apimachinery.core_v1 import Node, Pod
from scheduler.framework.types import NodeInfo, PodInfo

__all__ = ["Cache", "is_terminal"]

log = logging.getLogger(__name__)


def is_terminal(pod: Pod) -> bool:
    """Succeeded and Failed pods no longer hold their node's resources."""
    return pod.status.phase in ("Succeeded", "Failed")


@dataclass(slots=True)
class _PodState:
    info: PodInfo
    node_name: str
    assumed: bool
    binding_finished: bool = False


class Cache:
    """Nodes and the pods on them; implements the plugins' :class:`NodeInfoLister`."""

    def __init__(self) -> None:
        self._nodes: dict[str, NodeInfo] = {}
        self._pods: dict[str, _PodState] = {}
        self._node_list: list[NodeInfo] | None = None
        # How many nodes are cordoned or tainted: a PreFilter that sees none can skip
        # its Filter for every node of the cycle.
        self.cordoned_nodes = 0
        self.no_schedule_tainted_nodes = 0
        self.prefer_no_schedule_tainted_nodes = 0

    # -- what a cycle reads ----------------------------------------------------------

    def get(self, name: str) -> NodeInfo | None:
        info = self._nodes.get(name)
        return info if info is not None and info.node is not None else None

    def list(self) -> list[NodeInfo]:
        """The nodes a pod may go to, in a stable order (a cycle rotates through it)."""
        if self._node_list is None:
            self._node_list = [i for i in self._nodes.values() if i.node is not None]
        return self._node_list

    def node_count(self) -> int:
        return len(self.list())

    def pod_count(self) -> int:
        return len(self._pods)

    def is_assumed(self, uid: str) -> bool:
        state = self._pods.get(uid)
        return state is not None and state.assumed

    def knows(self, uid: str) -> bool:
        """True for pods assumed or seen bound: they must not be scheduled again."""
        return uid in self._pods

    def node_of(self, uid: str) -> str | None:
        state = self._pods.get(uid)
        return state.node_name if state is not None else None

    # -- nodes -----------------------------------------------------------------------

    def add_node(self, node: Node) -> NodeInfo:
        name = node.metadata.name or ""
        info = self._nodes.get(name)
        if info is None:
            info = self._nodes[name] = NodeInfo(name)
        if info.node is None:
            self._node_list = None
        else:
            self._count(info, -1)
        info.set_node(node)
        self._count(info, +1)
        return info

    def update_node(self, node: Node) -> NodeInfo:
        return self.add_node(node)

    def remove_node(self, name: str) -> None:
        """The node is gone; its pods' accounting stays until their own deletion."""
        info = self._nodes.get(name)
        if info is None or info.node is None:
            return
        self._node_list = None
        self._count(info, -1)
        if info.pods:
            info.node = None
        else:
            del self._nodes[name]

    # -- the scheduler's own decisions -----------------------------------------------

    def assume_pod(self, pod: PodInfo, node_name: str) -> None:
        if pod.uid in self._pods:
            raise ValueError(f"pod {pod.key} ({pod.uid}) is already in the cache")
        self._node_for(node_name).add_pod(pod)
        self._pods[pod.uid] = _PodState(pod, node_name, assumed=True)

    def finish_binding(self, uid: str) -> None:
        state = self._pods.get(uid)
        if state is not None and state.assumed:
            state.binding_finished = True

    def forget_pod(self, uid: str) -> None:
        """Undo :meth:`assume_pod` after a failed bind; confirmed pods stay."""
        state = self._pods.get(uid)
        if state is None or not state.assumed:
            return
        self._remove(uid, state)

    # -- what the watch says ---------------------------------------------------------

    def add_pod(self, pod: Pod) -> None:
        """A bound pod was seen: confirm it if assumed, else start counting it."""
        info = PodInfo(pod)
        state = self._pods.get(info.uid)
        if state is not None:
            if state.assumed and state.node_name != info.node_name:
                log.warning("pod %s was assumed on %s but is bound to %s", info.key,
                            state.node_name, info.node_name)
            self._remove(info.uid, state)
        self._node_for(info.node_name).add_pod(info)
        self._pods[info.uid] = _PodState(info, info.node_name, assumed=False)

    def update_pod(self, pod: Pod) -> None:
        self.add_pod(pod)

    def remove_pod(self, uid: str) -> None:
        state = self._pods.get(uid)
        if state is not None:
            self._remove(uid, state)

    # -- internals -------------------------------------------------------------------

    def _count(self, info: NodeInfo, sign: int) -> None:
        self.cordoned_nodes += sign * info.unschedulable
        self.no_schedule_tainted_nodes += sign * bool(info.no_schedule_taints)
        self.prefer_no_schedule_tainted_nodes += sign * bool(info.prefer_no_schedule_taints)

    def _node_for(self, name: str) -> NodeInfo:
        info = self._nodes.get(name)
        if info is None:
            info = self._nodes[name] = NodeInfo(name)  # the node's own event comes later
        return info

    def _remove(self, uid: str, state: _PodState) -> None:
        del self._pods[uid]
        info = self._nodes.get(state.node_name)
        if info is None:
            return
        info.remove_pod(uid)
        if info.node is None and not info.pods:
            del self._nodes[state.node_name]
