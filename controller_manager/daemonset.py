"""The DaemonSet controller: one pod on every node that should run it.

It watches DaemonSets, pods, nodes and ControllerRevisions. A node is eligible when it
matches the template's ``nodeSelector`` and required node affinity and every
``NoSchedule``/``NoExecute`` taint on it is tolerated; daemon pods get Kubernetes'
standard tolerations (``not-ready`` and ``unreachable`` NoExecute; ``disk-pressure``,
``memory-pressure``, ``pid-pressure``, ``unschedulable`` NoSchedule; and
``network-unavailable`` for host-network pods), so they keep running through those
conditions. ``sync`` creates the missing pods, deletes pods on nodes that should not run
one (a pod tolerating the node's NoExecute taints may stay), duplicates (the oldest
stays) and failed pods, then rolls out template changes.

Placement, as Kubernetes does since 1.12: a daemon pod is created *unbound*, with a
required node affinity ``matchFields metadata.name In [node]``, and the scheduler binds
it. Resource accounting and preemption then stay in one place, the scheduler; the
controller finds a pod's node from ``spec.nodeName`` or, before binding, from that term.

Each template the DaemonSet has run is a ControllerRevision ``<name>-<hash>``
(``controller-revision-hash`` on it and on its pods); ``revisionHistoryLimit`` old ones
not used by any pod are kept. ``RollingUpdate`` either deletes old pods while at most
``maxUnavailable`` nodes lack an available pod, or, with ``maxSurge``, starts the new
pod beside the old one and deletes the old one once the new one is available;
``OnDelete`` waits for users to delete pods.

Events on the DaemonSet: ``SuccessfulCreate``, ``FailedCreate``, ``SuccessfulDelete``,
``FailedDelete``, ``FailedDaemonPod``.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from apimachinery.apps_v1 import ControllerRevision, DaemonSet, DaemonSetStatus
from apimachinery.core_v1 import (
    Affinity,
    Node,
    NodeAffinity,
    NodeSelector,
    NodeSelectorRequirement,
    NodeSelectorTerm,
    Pod,
    PodSpec,
    PodTemplateSpec,
    Toleration,
)
from apimachinery.errors import NotFound
from apimachinery.labels import Selector
from client import WARNING, DeletedFinalStateUnknown, meta_namespace_key
from controller_manager import history
from controller_manager.controller import Controller, ControllerContext
from controller_manager.expectations import Expectations
from controller_manager.history import REVISION_HASH_LABEL
from controller_manager.nodeaffinity import NAME_FIELD, fits_node_affinity, untolerated
from controller_manager.podcontrol import (
    PodControl,
    claim,
    controller_of,
    ensure_owner_indexes,
    is_pod_available,
    is_pod_ready,
    is_terminating,
    owned_and_orphans,
    pod_from_template,
    resolve_owner,
    scaled_value,
    slow_start_batch,
    update_status,
)

__all__ = ["DAEMON_TOLERATIONS", "DaemonSetController", "should_run"]

log = logging.getLogger(__name__)

TEMPLATE_GENERATION_LABEL = "pod-template-generation"
BURST_REPLICAS = 250

DAEMON_TOLERATIONS = (
    Toleration(key="node.kubernetes.io/not-ready", operator="Exists", effect="NoExecute"),
    Toleration(key="node.kubernetes.io/unreachable", operator="Exists", effect="NoExecute"),
    Toleration(key="node.kubernetes.io/disk-pressure", operator="Exists", effect="NoSchedule"),
    Toleration(key="node.kubernetes.io/memory-pressure", operator="Exists",
               effect="NoSchedule"),
    Toleration(key="node.kubernetes.io/pid-pressure", operator="Exists", effect="NoSchedule"),
    Toleration(key="node.kubernetes.io/unschedulable", operator="Exists",
               effect="NoSchedule"),
)
NETWORK_UNAVAILABLE = Toleration(key="node.kubernetes.io/network-unavailable",
                                 operator="Exists", effect="NoSchedule")


# -- which nodes --------------------------------------------------------------------------------

def daemon_pod_spec(template: PodTemplateSpec) -> PodSpec:
    """The template's spec with the tolerations every daemon pod gets."""
    spec = template.spec.copy_deep()
    tolerations = list(spec.tolerations or [])
    extra = [*DAEMON_TOLERATIONS, *([NETWORK_UNAVAILABLE] if spec.host_network else [])]
    for toleration in extra:
        if toleration not in tolerations:
            tolerations.append(toleration)
    spec.tolerations = tolerations
    return spec


def should_run(ds: DaemonSet, node: Node, spec: PodSpec | None = None) -> tuple[bool, bool]:
    """(should a daemon pod be placed here, may an existing one keep running here).

    ``spec`` is :func:`daemon_pod_spec` of the template, if the caller has it already.
    """
    spec = spec or daemon_pod_spec(ds.spec.template)
    if spec.node_name and spec.node_name != node.name:
        return False, False
    if not fits_node_affinity(spec, node):
        return False, False
    taints = node.spec.taints or []
    tolerations = spec.tolerations or []
    if untolerated(taints, tolerations, ("NoSchedule", "NoExecute")):
        return False, not untolerated(taints, tolerations, ("NoExecute",))
    return True, True


def target_node(pod: Pod) -> str | None:
    """The node a daemon pod is on, or is meant for before the scheduler binds it."""
    if pod.spec.node_name:
        return pod.spec.node_name
    affinity = pod.spec.affinity.node_affinity if pod.spec.affinity else None
    required = affinity.required_during_scheduling_ignored_during_execution if affinity else None
    for term in (required.node_selector_terms or ()) if required else ():
        for req in term.match_fields or ():
            if req.key == NAME_FIELD and req.operator == "In" and len(req.values or []) == 1:
                return (req.values or [""])[0]
    return None


def _pinned_to(affinity: Affinity | None, node: str) -> Affinity:
    """The pod's affinity with its required node terms replaced by "this node"."""
    term = NodeSelectorTerm(match_fields=[NodeSelectorRequirement(
        key=NAME_FIELD, operator="In", values=[node])])
    affinity = affinity.copy_deep() if affinity is not None else Affinity()
    node_affinity = affinity.node_affinity or NodeAffinity()
    node_affinity.required_during_scheduling_ignored_during_execution = NodeSelector(
        node_selector_terms=[term])
    affinity.node_affinity = node_affinity
    return affinity


# -- the controller ------------------------------------------------------------------------------

_Verdicts = dict[str, tuple[bool, bool]]  # node name -> should_run(...) for one sync


@dataclass
class _Plan:
    create_on: list[str] = field(default_factory=list)
    delete: list[Pod] = field(default_factory=list)


class DaemonSetController(Controller):
    name = "daemonset"
    workers = 2  # --concurrent-daemonset-syncs

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.expectations = Expectations(ctx.clock)
        self.pod_control = PodControl(ctx.client, ctx.recorder)
        self.api = ctx.client.resource(DaemonSet)
        self.pod_api = ctx.client.resource(Pod)
        self.revision_api = ctx.client.resource(ControllerRevision)
        self._failed_backoff: dict[tuple[str, str], tuple[float, float]] = {}
        self.sets = self.watch(ctx.informers.informer(DaemonSet), on_add=self.enqueue,
                               on_update=lambda old, new: self.enqueue(new),
                               on_delete=self._set_deleted)
        self.pods = self.watch(ctx.informers.informer(Pod), on_add=self._pod_added,
                               on_update=self._pod_updated, on_delete=self._pod_deleted)
        self.nodes = self.watch(ctx.informers.informer(Node), on_add=self._enqueue_all,
                                on_update=self._node_updated, on_delete=self._enqueue_all)
        self.revisions = self.watch(ctx.informers.informer(ControllerRevision),
                                    on_add=self._revision_changed,
                                    on_update=lambda old, new: self._revision_changed(new),
                                    on_delete=self._revision_changed)
        ensure_owner_indexes(self.pods)
        ensure_owner_indexes(self.revisions)

    # -- event handlers ---------------------------------------------------------------------------

    def _set_deleted(self, obj: Any) -> None:
        self.expectations.forget(meta_namespace_key(obj))
        self.enqueue(obj)

    def _enqueue_all(self, _: Any = None) -> None:
        for ds in self.sets.store.list():
            self.enqueue(ds)

    def _node_updated(self, old: Node, new: Node) -> None:
        if (old.metadata.labels != new.metadata.labels or old.spec.taints != new.spec.taints
                or old.spec.unschedulable != new.spec.unschedulable):
            self._enqueue_all()

    def _owner_of(self, obj: Any) -> DaemonSet | None:
        return resolve_owner(controller_of(obj), "DaemonSet", self.sets, obj.namespace)

    def _revision_changed(self, obj: Any) -> None:
        revision = obj.obj if isinstance(obj, DeletedFinalStateUnknown) else obj
        owner = self._owner_of(revision)
        if owner is not None:
            self.enqueue(owner)

    def _pod_added(self, pod: Pod) -> None:
        if is_terminating(pod):
            self._pod_deleted(pod)
            return
        owner = self._owner_of(pod)
        if owner is not None:
            self.expectations.creation_observed(owner.key)
            self.enqueue(owner)
        elif controller_of(pod) is None:
            for ds in self._matching(pod):
                self.enqueue(ds)

    def _pod_updated(self, old: Pod, new: Pod) -> None:
        if old.metadata.resource_version == new.metadata.resource_version:
            return
        if is_terminating(new):
            self._pod_deleted(new)
            return
        owner = self._owner_of(new)
        if owner is not None:
            self.enqueue(owner)
            min_ready = owner.spec.min_ready_seconds or 0
            if min_ready > 0 and not is_pod_ready(old) and is_pod_ready(new):
                self.enqueue_after(owner, min_ready + 1)
        elif controller_of(new) is None and old.metadata.labels != new.metadata.labels:
            for ds in self._matching(new):
                self.enqueue(ds)

    def _pod_deleted(self, obj: Pod | DeletedFinalStateUnknown[Pod]) -> None:
        pod = obj.obj if isinstance(obj, DeletedFinalStateUnknown) else obj
        owner = self._owner_of(pod)
        if owner is not None:
            self.expectations.deletion_observed(owner.key, pod.key)
            self.enqueue(owner)

    def _matching(self, pod: Pod) -> list[DaemonSet]:
        return [ds for ds in self.sets.store.by_namespace(pod.namespace or "")
                if Selector.from_label_selector(ds.spec.selector).matches(pod.metadata.labels)]

    # -- sync -------------------------------------------------------------------------------------

    async def sync(self, key: str) -> None:
        cached = self.sets.store.get(key)
        if cached is None:
            self.expectations.forget(key)
            return
        ds = cached.copy_deep()
        selector = Selector.from_label_selector(ds.spec.selector)
        spec = daemon_pod_spec(ds.spec.template)
        verdicts = {n.name: should_run(ds, n, spec) for n in self.nodes.store.list()}
        pods = await claim(ds, selector, owned_and_orphans(self.pods, ds), self.pod_api,
                           lambda: self.api.in_namespace(ds.namespace).get(ds.name))
        by_node = _pods_by_node(pods)
        if is_terminating(ds):
            await self._write_status(ds, verdicts, by_node, "")
            return
        current, old = await self._history(ds, selector)
        hash_ = (current.metadata.labels or {}).get(REVISION_HASH_LABEL, "")
        if not self.expectations.satisfied(key):
            await self._write_status(ds, verdicts, by_node, hash_)
            return
        plan = self._plan(ds, verdicts, by_node, hash_)
        if ds.spec.update_strategy.type != "OnDelete":
            self._rolling_update(ds, verdicts, by_node, hash_, plan)
        error = await self._carry_out(ds, plan, hash_)
        await self._cleanup_history(ds, old, pods)
        await self._write_status(ds, verdicts, by_node, hash_)
        if error is not None:
            raise error

    # -- what should run where ----------------------------------------------------------------

    def _plan(self, ds: DaemonSet, verdicts: _Verdicts, by_node: dict[str, list[Pod]],
              hash_: str) -> _Plan:
        plan = _Plan()
        surging = self._budgets(ds, verdicts)[0] > 0
        for node, (run, keep) in verdicts.items():
            pods = by_node.get(node, [])
            if run and not pods:
                plan.create_on.append(node)
            elif keep:
                plan.delete.extend(self._failed_or_duplicates(ds, node, pods, hash_, surging))
            else:
                plan.delete.extend(p for p in pods if not is_terminating(p))
        for node_name, pods in by_node.items():
            if node_name not in verdicts:  # meant for a node that no longer exists
                plan.delete.extend(p for p in pods if not is_terminating(p))
        return plan

    def _failed_or_duplicates(self, ds: DaemonSet, node: str, pods: list[Pod], hash_: str,
                              surging: bool) -> list[Pod]:
        doomed: list[Pod] = []
        alive: list[Pod] = []
        for pod in pods:
            if is_terminating(pod):
                continue
            if pod.status.phase == "Failed":
                if self._may_kill_failed(ds, node):
                    self.recorder.event(ds, WARNING, "FailedDaemonPod",
                                        f"Found failed daemon pod {pod.namespace}/{pod.name} "
                                        f"on node {node}, will try to kill it")
                    doomed.append(pod)
                continue
            alive.append(pod)
        alive.sort(key=lambda p: (p.metadata.creation_timestamp or "", p.name))
        if surging:  # one old and one new pod may share a node while surging
            for group in ([p for p in alive if _updated(p, hash_)],
                          [p for p in alive if not _updated(p, hash_)]):
                doomed.extend(group[1:])
        else:  # keep the oldest, as Kubernetes does
            doomed.extend(alive[1:])
        return doomed

    def _may_kill_failed(self, ds: DaemonSet, node: str) -> bool:
        """A crash-looping daemon pod is replaced with backoff (1 s doubling to 15 min)."""
        key = (ds.key, node)
        now = self.clock.monotonic()
        next_at, delay = self._failed_backoff.get(key, (0.0, 0.5))
        if now < next_at:
            self.enqueue_after(ds, next_at - now)
            return False
        delay = min(delay * 2, 900.0)
        self._failed_backoff[key] = (now + delay, delay)
        return True

    @staticmethod
    def _budgets(ds: DaemonSet, verdicts: _Verdicts) -> tuple[int, int]:
        """(maxSurge, maxUnavailable) as node counts, both rounded up; never both zero."""
        desired = sum(1 for run, _ in verdicts.values() if run)
        rolling = ds.spec.update_strategy.rolling_update
        surge = scaled_value(rolling.max_surge if rolling else 0, desired, True)
        unavailable = scaled_value(rolling.max_unavailable if rolling else 1, desired, True)
        if desired > 0 and surge == 0 and unavailable == 0:
            unavailable = 1
        return surge, unavailable

    def _rolling_update(self, ds: DaemonSet, verdicts: _Verdicts,
                        by_node: dict[str, list[Pod]], hash_: str, plan: _Plan) -> None:
        """Add to the plan the old pods to replace now (and, when surging, the nodes to
        start a new pod on beside the old one)."""
        surge, max_unavailable = self._budgets(ds, verdicts)
        planned = {p.metadata.uid for p in plan.delete}
        states = []
        for node, (run, _) in verdicts.items():
            if not run:
                continue
            pods = [p for p in by_node.get(node, []) if not is_terminating(p)
                    and p.metadata.uid not in planned]
            new = [p for p in pods if _updated(p, hash_)]
            old = [p for p in pods if not _updated(p, hash_)]
            states.append((node, new[0] if len(new) == 1 else None,
                           old[0] if len(old) == 1 else None, len(new) > 1 or len(old) > 1))
        if surge > 0:
            self._surge(ds, states, surge, plan)
        else:
            self._replace(ds, states, max_unavailable, plan)

    def _available(self, ds: DaemonSet, pod: Pod) -> bool:
        return is_pod_available(pod, ds.spec.min_ready_seconds or 0, self.clock.now())

    def _replace(self, ds: DaemonSet, states: list[Any], max_unavailable: int,
                 plan: _Plan) -> None:
        """Delete old pods while at most maxUnavailable nodes lack an available pod."""
        unavailable = 0
        free: list[Pod] = []
        candidates: list[Pod] = []
        for _, new, old, crowded in states:
            if crowded or (new is None) == (old is None):
                unavailable += 1  # the plan above is still settling this node
            elif new is not None:
                unavailable += 0 if self._available(ds, new) else 1
            elif not self._available(ds, old):
                free.append(old)  # already unavailable: replacing it costs nothing
            else:
                candidates.append(old)
        room = max(0, min(max_unavailable - unavailable, len(candidates)))
        plan.delete.extend([*free, *candidates[:room]])

    def _surge(self, ds: DaemonSet, states: list[Any], max_surge: int, plan: _Plan) -> None:
        """Start a new pod beside each old one (at most maxSurge at a time) and delete
        the old pod once the new one is available."""
        surging = 0
        allowed: list[str] = []
        candidates: list[str] = []
        for node, new, old, crowded in states:
            if crowded:
                surging += 1
            elif old is None:
                continue  # nothing to replace, or the plan creates the first pod
            elif new is None:
                (candidates if self._available(ds, old) else allowed).append(node)
            elif self._available(ds, new):
                plan.delete.append(old)
            else:
                surging += 1
        room = max(0, min(max_surge - surging, len(candidates)))
        plan.create_on.extend([*allowed, *candidates[:room]])

    async def _carry_out(self, ds: DaemonSet, plan: _Plan, hash_: str) -> Exception | None:
        creates = plan.create_on[:BURST_REPLICAS]
        deletes = plan.delete[:BURST_REPLICAS]
        if not creates and not deletes:
            return None
        self.expectations.expect(ds.key, len(creates), [p.key for p in deletes])
        template = self._pod_template(ds, hash_)

        async def create(i: int) -> None:
            pod = pod_from_template(template, ds)
            pod.spec.affinity = _pinned_to(pod.spec.affinity, creates[i])
            await self.pod_control.create(ds, pod)

        done, error = await slow_start_batch(len(creates), create)
        if done < len(creates):
            self.expectations.creations_failed(ds.key, len(creates) - done)
        results = await asyncio.gather(*(self.pod_control.delete(ds, p) for p in deletes),
                                       return_exceptions=True)
        for pod, result in zip(deletes, results, strict=True):
            if result is not True:
                self.expectations.deletion_observed(ds.key, pod.key)
            if isinstance(result, Exception) and error is None:
                error = result
        return error

    def _pod_template(self, ds: DaemonSet, hash_: str) -> PodTemplateSpec:
        template = ds.spec.template.copy_deep()
        template.spec = daemon_pod_spec(template)
        labels = dict(template.metadata.labels or {})
        labels[TEMPLATE_GENERATION_LABEL] = str(ds.metadata.generation or 1)
        if hash_:
            labels[REVISION_HASH_LABEL] = hash_
        template.metadata.labels = labels
        return template

    # -- history ------------------------------------------------------------------------------------

    async def _history(self, ds: DaemonSet, selector: Selector
                       ) -> tuple[ControllerRevision, list[ControllerRevision]]:
        """(the revision of the current template, the older ones), creating or
        renumbering the current one as needed."""
        revisions = await claim(ds, selector, owned_and_orphans(self.revisions, ds),
                                self.revision_api,
                                lambda: self.api.in_namespace(ds.namespace).get(ds.name))
        data = history.revision_data(ds.spec.template)
        matching = [r for r in revisions if r.data == data]
        old = [r for r in revisions if r.data != data]
        number = history.next_revision(old)
        if not matching:
            current, collisions = await history.create_revision(
                self.revision_api, ds, ds.spec.template, number,
                ds.status.collision_count or 0,
                lambda count: history.compute_hash(ds.spec.template, count))
            if collisions != (ds.status.collision_count or 0):
                ds.status.collision_count = collisions
            return current, old
        current, *duplicates = sorted(matching, key=lambda r: -r.revision)
        for duplicate in duplicates:
            await self._delete_revision(duplicate)
        if current.revision < number:
            bumped = current.copy_deep()
            bumped.revision = number
            current = await self.revision_api.in_namespace(ds.namespace).update(bumped)
        return current, old

    async def _cleanup_history(self, ds: DaemonSet, old: list[ControllerRevision],
                               pods: list[Pod]) -> None:
        limit = ds.spec.revision_history_limit
        limit = 10 if limit is None else limit
        live = {(p.metadata.labels or {}).get(REVISION_HASH_LABEL) for p in pods}
        unused = [r for r in history.sort_revisions(old)
                  if (r.metadata.labels or {}).get(REVISION_HASH_LABEL) not in live]
        for revision in unused[:max(0, len(old) - limit)]:
            await self._delete_revision(revision)

    async def _delete_revision(self, revision: ControllerRevision) -> None:
        try:
            await self.revision_api.in_namespace(revision.namespace).delete(revision.name)
        except NotFound:
            pass  # already gone

    # -- status -------------------------------------------------------------------------------------

    async def _write_status(self, ds: DaemonSet, verdicts: _Verdicts,
                            by_node: dict[str, list[Pod]], hash_: str) -> None:
        status = self._calculate_status(ds, verdicts, by_node, hash_, self.clock.now())
        if status == ds.status:
            return
        ds.status = status
        await update_status(self.api, ds)

    @staticmethod
    def _calculate_status(ds: DaemonSet, verdicts: _Verdicts,
                          by_node: dict[str, list[Pod]], hash_: str,
                          now: datetime) -> DaemonSetStatus:
        desired = current = misscheduled = ready = available = updated = 0
        min_ready = ds.spec.min_ready_seconds or 0
        for node, (run, _) in verdicts.items():
            pods = sorted((p for p in by_node.get(node, []) if not is_terminating(p)),
                          key=lambda p: (p.metadata.creation_timestamp or "", p.name))
            if not run:
                misscheduled += 1 if pods else 0
                continue
            desired += 1
            if not pods:
                continue
            current += 1
            ready += 1 if is_pod_ready(pods[0]) else 0
            available += 1 if is_pod_available(pods[0], min_ready, now) else 0
            updated += 1 if _updated(pods[0], hash_) else 0
        return DaemonSetStatus(
            current_number_scheduled=current, number_misscheduled=misscheduled,
            desired_number_scheduled=desired, number_ready=ready,
            observed_generation=ds.metadata.generation,
            updated_number_scheduled=updated or None, number_available=available or None,
            number_unavailable=(desired - available) or None,
            collision_count=ds.status.collision_count,
            conditions=ds.status.conditions)


def _updated(pod: Pod, hash_: str) -> bool:
    return bool(hash_) and (pod.metadata.labels or {}).get(REVISION_HASH_LABEL) == hash_


def _pods_by_node(pods: list[Pod]) -> dict[str, list[Pod]]:
    by_node: dict[str, list[Pod]] = {}
    for pod in pods:
        node = target_node(pod)
        if node is not None:
            by_node.setdefault(node, []).append(pod)
    return by_node

