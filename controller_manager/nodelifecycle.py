"""Node lifecycle: notice nodes that stopped reporting, taint them, move their pods away.

A kubelet proves it is alive by renewing its Lease in ``kube-node-lease`` (and by the
``lastHeartbeatTime`` of its Ready condition). This controller turns silence into the
signals the rest of the cluster acts on, as Kubernetes' node lifecycle controller and
its taint manager do:

* **health.** Each time a node's Lease ``renewTime`` or Ready heartbeat changes, the
  controller notes *when it saw the change* on its own clock (so clocks of other
  machines never matter). A node not heard from for ``--node-monitor-grace-period`` gets
  every condition set to ``Unknown`` (reason ``NodeStatusUnknown``, "Kubelet stopped
  posting node status."), and event ``NodeNotReady``.
* **taints.** Ready ``Unknown`` -> ``node.kubernetes.io/unreachable`` with effects
  ``NoExecute`` and ``NoSchedule``; Ready ``False`` (the kubelet says so) ->
  ``node.kubernetes.io/not-ready``; Ready ``True`` removes both. ``spec.unschedulable``
  and the pressure conditions get their usual ``NoSchedule`` taints.
* **pods.** On a node that is not Ready, pods' Ready condition is set to ``False``
  (``MarkPodsNotReady``), so Endpoints drop them at once.
* **eviction.** A pod on a node with a ``NoExecute`` taint it does not tolerate is
  deleted once the taint is older than ``--pod-eviction-timeout`` (for the controller's
  own not-ready/unreachable taints; another NoExecute taint evicts at once), or after
  its toleration's ``tolerationSeconds``; a toleration without seconds keeps it there.
  DaemonSet pods stay (they belong on every node), and so do StatefulSet pods on an
  *unreachable* node: the pod may still be running, and a StatefulSet must never run two
  pods of the same identity, so it stays until the node comes back, is deleted, or
  someone force-deletes it.
* **deleted nodes.** Pods bound to a node that no longer exists are force-deleted
  (PodGC's rule): no kubelet is left to confirm their end.

``sync(node)`` is level-triggered and re-queues itself for the moment the node's grace
period or a pod's eviction deadline runs out; ``--node-monitor-period`` re-checks every
node as a safety net. Time comes from the context's clock, so tests use a FakeClock.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from apimachinery.coordination_v1 import Lease
from apimachinery.core_v1 import Node, NodeCondition, Pod, PodCondition, Taint, Toleration
from apimachinery.errors import NotFound
from apimachinery.timeutil import parse_time
from client import NORMAL, WARNING, format_time, split_key
from controller_manager.controller import Controller, ControllerContext

__all__ = [
    "NODE_LEASE_NAMESPACE",
    "TAINT_NOT_READY",
    "TAINT_UNREACHABLE",
    "NodeLifecycleController",
    "eviction_deadline",
    "tolerates",
]

log = logging.getLogger(__name__)

NODE_LEASE_NAMESPACE = "kube-node-lease"
TAINT_NOT_READY = "node.kubernetes.io/not-ready"
TAINT_UNREACHABLE = "node.kubernetes.io/unreachable"
TAINT_UNSCHEDULABLE = "node.kubernetes.io/unschedulable"
NO_EXECUTE, NO_SCHEDULE = "NoExecute", "NoSchedule"
# Conditions a kubelet reports that the controller sets to Unknown when it goes silent.
CONDITION_TYPES = ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure")
PRESSURE_TAINTS = {
    "MemoryPressure": "node.kubernetes.io/memory-pressure",
    "DiskPressure": "node.kubernetes.io/disk-pressure",
    "PIDPressure": "node.kubernetes.io/pid-pressure",
    "NetworkUnavailable": "node.kubernetes.io/network-unavailable",
}
# Every (key, effect) this controller owns on a node; others' taints are left alone.
MANAGED_TAINTS = frozenset(
    {(TAINT_NOT_READY, NO_EXECUTE), (TAINT_NOT_READY, NO_SCHEDULE),
     (TAINT_UNREACHABLE, NO_EXECUTE), (TAINT_UNREACHABLE, NO_SCHEDULE),
     (TAINT_UNSCHEDULABLE, NO_SCHEDULE)}
    | {(key, NO_SCHEDULE) for key in PRESSURE_TAINTS.values()})
# Taints whose untolerated pods get --pod-eviction-timeout (the role Kubernetes'
# DefaultTolerationSeconds admission plays) instead of leaving at once.
DEFAULT_TOLERATED = frozenset({TAINT_NOT_READY, TAINT_UNREACHABLE})
# Re-check a little after a deadline, so the clock has surely passed it.
SLACK = 0.05


@dataclass
class _Health:
    """When the controller last heard from a node, on its own monotonic clock."""

    probe: float
    heartbeat: str | None
    renew: str | None


def condition(node: Node, type_: str) -> NodeCondition | None:
    return next((c for c in node.status.conditions or () if c.type == type_), None)


def _pod_ready(pod: Pod) -> PodCondition | None:
    return next((c for c in pod.status.conditions or () if c.type == "Ready"), None)


def controller_kind(pod: Pod) -> str | None:
    for ref in pod.metadata.owner_references or ():
        if ref.controller:
            return ref.kind
    return None


def tolerates(toleration: Toleration, taint: Taint) -> bool:
    """``Toleration.ToleratesTaint``."""
    if toleration.effect and toleration.effect != taint.effect:
        return False
    if toleration.key and toleration.key != taint.key:
        return False
    operator = toleration.operator or "Equal"
    if operator == "Exists":
        return True
    if operator == "Equal":
        return (toleration.value or "") == (taint.value or "")
    return False


def eviction_deadline(pod: Pod, taints: Iterable[Taint], timeout: float,
                      now: datetime) -> datetime | None:
    """When the pod must leave a node with these NoExecute taints; None = never."""
    deadline: datetime | None = None
    for taint in taints:
        added = parse_time(taint.time_added) if taint.time_added else now
        matching = [t for t in pod.spec.tolerations or () if tolerates(t, taint)]
        if not matching:
            seconds = timeout if taint.key in DEFAULT_TOLERATED else 0.0
        elif any(t.toleration_seconds is None for t in matching):
            continue  # tolerated for ever
        else:
            seconds = max(0.0, float(min(t.toleration_seconds or 0 for t in matching)))
        at = added + timedelta(seconds=seconds)
        deadline = at if deadline is None else min(deadline, at)
    return deadline


class NodeLifecycleController(Controller):
    """Marks silent nodes Unknown, taints unhealthy ones and evicts their pods."""

    name = "nodelifecycle"
    workers = 2

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.grace = ctx.options.node_monitor_grace_period
        self.eviction_timeout = ctx.options.pod_eviction_timeout
        self.resync_period = ctx.options.node_monitor_period
        self.nodes = self.watch(ctx.informers.informer(Node), on_add=self.enqueue,
                                on_update=lambda old, new: self.enqueue(new),
                                on_delete=self.enqueue)
        # All namespaces, filtered here: the garbage collector watches every Lease anyway,
        # so the process keeps one Lease watch instead of two.
        self.leases = self.watch(ctx.informers.informer(Lease), on_add=self._lease_changed,
                                 on_update=lambda old, new: self._lease_changed(new))
        self.pods = self.watch(ctx.informers.informer(Pod), on_add=self._pod_changed,
                               on_update=lambda old, new: self._pod_changed(new))
        self._health: dict[str, _Health] = {}

    # -- handlers ---------------------------------------------------------------------

    def _lease_changed(self, lease: Lease) -> None:
        if lease.namespace == NODE_LEASE_NAMESPACE:
            self.queue.add(lease.name)

    def _pod_changed(self, pod: Pod) -> None:
        """A pod on an unhealthy node must be marked not ready or evicted too."""
        node = self.nodes.store.get(pod.spec.node_name or "")
        if node is None:
            return
        ready = condition(node, "Ready")
        if (ready is not None and ready.status != "True") or any(
                t.effect == NO_EXECUTE for t in node.spec.taints or ()):
            self.queue.add(node.name)

    def resync(self) -> None:
        for name in self.nodes.store.keys():
            self.queue.add(name)

    # -- sync -------------------------------------------------------------------------

    async def sync(self, key: str) -> None:
        _, name = split_key(key)
        node = self.nodes.store.get(name)
        if node is None:
            self._health.pop(name, None)
            await self._delete_pods_of_deleted_node(name)
            return
        node = await self._check_health(node)
        ready = condition(node, "Ready")
        node = await self._update_taints(node, ready)
        pods = sorted(self.pods.store.by_node(name), key=lambda p: p.key)
        if ready is not None and ready.status != "True":
            await self._mark_pods_not_ready(node, pods)
        await self._evict(node, pods)

    # -- health -----------------------------------------------------------------------

    def _observe(self, node: Node) -> _Health:
        lease = self.leases.store.get_by_name(NODE_LEASE_NAMESPACE, node.name)
        renew = lease.spec.renew_time if lease is not None else None
        ready = condition(node, "Ready")
        heartbeat = ready.last_heartbeat_time if ready is not None else None
        now = self.clock.monotonic()
        health = self._health.get(node.name)
        if health is None:
            health = self._health[node.name] = _Health(now, heartbeat, renew)
        elif (renew and renew != health.renew) or (heartbeat and heartbeat != health.heartbeat):
            health.probe, health.heartbeat, health.renew = now, heartbeat, renew
        return health

    async def _check_health(self, node: Node) -> Node:
        health = self._observe(node)
        silent_for = self.clock.monotonic() - health.probe
        if silent_for < self.grace:
            self.queue.add_after(node.name, self.grace - silent_for + SLACK)
            return node
        return await self._mark_unknown(node)

    async def _mark_unknown(self, node: Node) -> Node:
        new = node.copy_deep()
        now = format_time(self.clock.now())
        conditions = list(new.status.conditions or ())
        by_type = {c.type: c for c in conditions}
        changed = False
        for type_ in CONDITION_TYPES:
            cond = by_type.get(type_)
            if cond is None:
                conditions.append(NodeCondition(
                    type=type_, status="Unknown", reason="NodeStatusNeverUpdated",
                    message="Kubelet never posted node status.",
                    last_heartbeat_time=node.metadata.creation_timestamp,
                    last_transition_time=now))
                changed = True
            elif cond.status != "Unknown":
                cond.status, cond.reason = "Unknown", "NodeStatusUnknown"
                cond.message = "Kubelet stopped posting node status."
                cond.last_transition_time = now
                changed = True
        if not changed:
            return node
        new.status.conditions = conditions
        updated = await self.client.resource(Node).update_status(new)
        log.info("node %s: not heard from for %.0fs, marked Unknown", node.name, self.grace)
        return updated

    # -- taints -----------------------------------------------------------------------

    def _desired_taints(self, node: Node, ready: NodeCondition | None) -> set[tuple[str, str]]:
        wanted: set[tuple[str, str]] = set()
        if ready is not None and ready.status == "False":
            wanted |= {(TAINT_NOT_READY, NO_EXECUTE), (TAINT_NOT_READY, NO_SCHEDULE)}
        elif ready is not None and ready.status == "Unknown":
            wanted |= {(TAINT_UNREACHABLE, NO_EXECUTE), (TAINT_UNREACHABLE, NO_SCHEDULE)}
        if node.spec.unschedulable:
            wanted.add((TAINT_UNSCHEDULABLE, NO_SCHEDULE))
        for type_, key in PRESSURE_TAINTS.items():
            cond = condition(node, type_)
            if cond is not None and cond.status == "True":
                wanted.add((key, NO_SCHEDULE))
        return wanted

    async def _update_taints(self, node: Node, ready: NodeCondition | None) -> Node:
        current = list(node.spec.taints or ())
        wanted = self._desired_taints(node, ready)
        have = {(t.key, t.effect) for t in current if (t.key, t.effect) in MANAGED_TAINTS}
        if have == wanted:
            return node
        now = format_time(self.clock.now())
        kept = [t for t in current if (t.key, t.effect) not in MANAGED_TAINTS
                or (t.key, t.effect) in wanted]
        added = [Taint(key=key, effect=effect, time_added=now if effect == NO_EXECUTE else None)
                 for key, effect in sorted(wanted - have)]
        new = node.copy_deep()
        new.spec.taints = kept + added or None
        updated = await self.client.resource(Node).update(new)
        self._record_taint_change(updated, have, wanted)
        return updated

    def _record_taint_change(self, node: Node, had: set[tuple[str, str]],
                             has: set[tuple[str, str]]) -> None:
        was_out = any(e == NO_EXECUTE for _, e in had)
        is_out = any(e == NO_EXECUTE for _, e in has)
        if is_out and not was_out:
            self.recorder.event(node, NORMAL, "NodeNotReady",
                                f"Node {node.name} status is now: NodeNotReady")
        elif was_out and not is_out:
            self.recorder.event(node, NORMAL, "NodeReady",
                                f"Node {node.name} status is now: NodeReady")

    # -- pods -------------------------------------------------------------------------

    async def _mark_pods_not_ready(self, node: Node, pods: list[Pod]) -> None:
        now = format_time(self.clock.now())
        for pod in pods:
            ready = _pod_ready(pod)
            if ready is None or ready.status != "True":
                continue
            new = pod.copy_deep()
            new.status.conditions = [
                c.model_copy(update={"status": "False", "last_transition_time": now})
                if c.type == "Ready" else c for c in new.status.conditions or ()]
            try:
                await self.client.resource(Pod, pod.namespace).update_status(new)
            except NotFound:
                continue
            self.recorder.event(pod, WARNING, "NodeNotReady", "Node is not ready")

    async def _evict(self, node: Node, pods: list[Pod]) -> None:
        taints = [t for t in node.spec.taints or () if t.effect == NO_EXECUTE]
        if not taints:
            return
        unreachable = any(t.key == TAINT_UNREACHABLE for t in taints)
        now = self.clock.now()
        next_deadline: datetime | None = None
        for pod in pods:
            if pod.metadata.deletion_timestamp is not None:
                continue
            kind = controller_kind(pod)
            if kind == "DaemonSet" or (kind == "StatefulSet" and unreachable):
                continue
            deadline = eviction_deadline(pod, taints, self.eviction_timeout, now)
            if deadline is None:
                continue
            if deadline > now:
                next_deadline = deadline if next_deadline is None else min(next_deadline,
                                                                           deadline)
                continue
            await self._delete_pod(pod, node)
        if next_deadline is not None:
            self.queue.add_after(node.name, (next_deadline - now).total_seconds() + SLACK)

    async def _delete_pod(self, pod: Pod, node: Node) -> None:
        try:
            await self.client.resource(Pod, pod.namespace).delete(pod.name)
        except NotFound:
            return
        log.info("evicted pod %s from node %s", pod.key, node.name)
        self.recorder.event(pod, NORMAL, "TaintManagerEviction",
                            f"Marking for deletion Pod {pod.key}")

    async def _node_exists(self, name: str) -> bool:
        try:
            await self.client.resource(Node).get(name)
        except NotFound:
            return False
        return True

    async def _delete_pods_of_deleted_node(self, name: str) -> None:
        pods = self.pods.store.by_node(name)
        if not pods or await self._node_exists(name):
            return  # nothing bound to it, or it is back (our cache was behind)
        for pod in pods:
            try:
                await self.client.resource(Pod, pod.namespace).delete(pod.name,
                                                                      grace_period_seconds=0)
            except NotFound:
                continue
            log.info("force-deleted pod %s of deleted node %s", pod.key, name)
            self.recorder.event(pod, WARNING, "NodeLost",
                                f"Node {name} which was running pod {pod.name} was deleted")
