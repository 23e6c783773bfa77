"""The ReplicaSet controller: keep ``spec.replicas`` pods matching the selector.

It watches ReplicaSets and pods. A pod event finds the ReplicaSet through the pod's
controller ownerReference (or, for an orphan, every ReplicaSet whose selector matches)
and enqueues it; ``sync`` then claims the pods (adopting matching orphans, releasing
pods whose labels no longer match), creates or deletes the difference, and writes
``status``. Creations go in slow-start batches of at most :data:`BURST_REPLICAS`
(``<name>-<5 random>`` through ``generateName``); deletions take the least useful pods
first. Expectations (:mod:`controller_manager.expectations`) keep a sync from acting
again until the pods it created or deleted have shown up in the cache, so a stale cache
never creates twice.

ReplicationControllers are the same thing with a map for a selector:
:class:`ReplicaSetController` is written against the few accessors that differ, and
:mod:`controller_manager.replicationcontroller` overrides them.

Events on the ReplicaSet: ``SuccessfulCreate``, ``FailedCreate``, ``SuccessfulDelete``,
``FailedDelete`` (from :class:`controller_manager.podcontrol.PodControl`).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, ClassVar

from apimachinery.apps_v1 import ReplicaSet, ReplicaSetCondition, ReplicaSetStatus
from apimachinery.base import KubeObject
from apimachinery.core_v1 import Pod, PodTemplateSpec
from apimachinery.labels import Selector
from client import DeletedFinalStateUnknown, format_time, meta_namespace_key, split_key
from controller_manager.controller import Controller, ControllerContext
from controller_manager.expectations import Expectations
from controller_manager.podcontrol import (
    PodControl,
    available_in,
    claim,
    controller_of,
    deletion_order,
    ensure_owner_indexes,
    is_pod_active,
    is_pod_available,
    is_pod_ready,
    is_terminating,
    owned_and_orphans,
    pod_from_template,
    resolve_owner,
    slow_start_batch,
    update_status,
)

__all__ = ["BURST_REPLICAS", "ReplicaSetController"]

log = logging.getLogger(__name__)

# Kubernetes' BurstReplicas: at most this many creations or deletions per sync, so one
# huge scale-up cannot monopolise the apiserver; the next sync does the rest.
BURST_REPLICAS = 500
REPLICA_FAILURE = "ReplicaFailure"


class ReplicaSetController(Controller):
    """Pods for ReplicaSets (and, through a subclass, ReplicationControllers)."""

    name = "replicaset"
    workers = 5  # --concurrent-replicaset-syncs
    kind: ClassVar[str] = "ReplicaSet"
    model: ClassVar[type[KubeObject]] = ReplicaSet

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.expectations = Expectations(ctx.clock)
        self.pod_control = PodControl(ctx.client, ctx.recorder)
        self.api = ctx.client.resource(self.model)
        self.pod_api = ctx.client.resource(Pod)
        self.sets = self.watch(ctx.informers.informer(self.model), on_add=self.enqueue,
                               on_update=self._set_updated, on_delete=self._set_deleted)
        self.pods = self.watch(ctx.informers.informer(Pod), on_add=self._pod_added,
                               on_update=self._pod_updated, on_delete=self._pod_deleted)
        ensure_owner_indexes(self.pods)

    # -- what differs between ReplicaSets and ReplicationControllers ---------------------

    def selector_of(self, rs: Any) -> Selector:
        return Selector.from_label_selector(rs.spec.selector)

    def template_of(self, rs: Any) -> PodTemplateSpec:
        return rs.spec.template or PodTemplateSpec()

    def new_status(self, **fields: Any) -> Any:
        return ReplicaSetStatus(**fields)

    def new_condition(self, **fields: Any) -> Any:
        return ReplicaSetCondition(**fields)

    # -- event handlers: they only find the owner and enqueue it ----------------------------

    def _set_updated(self, old: Any, new: Any) -> None:
        self.enqueue(new)

    def _set_deleted(self, obj: Any) -> None:
        self.expectations.forget(meta_namespace_key(obj))
        self.enqueue(obj)

    def _owner_of(self, pod: Pod) -> Any | None:
        return resolve_owner(controller_of(pod), self.kind, self.sets, pod.namespace)

    def _matching_sets(self, pod: Pod) -> list[Any]:
        return [rs for rs in self.sets.store.by_namespace(pod.namespace or "")
                if self.selector_of(rs).matches(pod.metadata.labels)]

    def _pod_added(self, pod: Pod) -> None:
        if is_terminating(pod):
            # Seen for the first time already on its way out (after a restart).
            self._pod_deleted(pod)
            return
        if controller_of(pod) is not None:
            owner = self._owner_of(pod)
            if owner is not None:
                self.expectations.creation_observed(owner.key)
                self.enqueue(owner)
            return
        for rs in self._matching_sets(pod):
            self.enqueue(rs)

    def _pod_updated(self, old: Pod, new: Pod) -> None:
        if old.metadata.resource_version == new.metadata.resource_version:
            return  # a resync: nothing changed
        labels_changed = old.metadata.labels != new.metadata.labels
        if is_terminating(new):
            # Terminating counts as deleted: the replacement need not wait for the
            # kubelet's grace period.
            self._pod_deleted(new)
            if labels_changed:
                self._pod_deleted(old)
            return
        old_ref, new_ref = controller_of(old), controller_of(new)
        ref_changed = (old_ref.uid if old_ref else None) != (new_ref.uid if new_ref else None)
        if ref_changed and old_ref is not None:
            previous = self._owner_of(old)
            if previous is not None:
                self.enqueue(previous)
        if new_ref is not None:
            owner = self._owner_of(new)
            if owner is not None:
                self.enqueue(owner)
                min_ready = owner.spec.min_ready_seconds or 0
                if min_ready > 0 and not is_pod_ready(old) and is_pod_ready(new):
                    self.enqueue_after(owner, min_ready + 1)
            return
        if labels_changed or ref_changed:
            for rs in self._matching_sets(new):
                self.enqueue(rs)

    def _pod_deleted(self, obj: Pod | DeletedFinalStateUnknown[Pod]) -> None:
        pod = obj.obj if isinstance(obj, DeletedFinalStateUnknown) else obj
        owner = self._owner_of(pod)
        if owner is None:
            return
        self.expectations.deletion_observed(owner.key, pod.key)
        self.enqueue(owner)

    # -- sync -----------------------------------------------------------------------------------

    async def sync(self, key: str) -> None:
        rs = self.sets.store.get(key)
        if rs is None:
            self.expectations.forget(key)
            return
        try:
            selector = self.selector_of(rs)
        except ValueError as err:
            log.error("%s %s has an invalid selector: %s", self.kind, key, err)
            return
        may_act = self.expectations.satisfied(key)
        candidates = [p for p in owned_and_orphans(self.pods, rs) if is_pod_active(p)]
        pods = await claim(rs, selector, candidates, self.pod_api, lambda: self._fresh(key))
        error: Exception | None = None
        if may_act and not is_terminating(rs):
            error, deleted = await self._manage_replicas(rs, pods)
            pods = [p for p in pods if p.metadata.uid not in deleted]
        # Pods we deleted are gone for status even before the cache says so: the
        # Deployment controller scales down from these counts.
        going = self.expectations.pending_deletions(key)
        pods = [p for p in pods if p.key not in going]
        now = self.clock.now()
        status = self._calculate_status(rs, pods, error, now)
        await self._write_status(rs, status)
        if error is None:
            self._requeue_for_availability(rs, pods, now)
        if error is not None:
            raise error

    async def _fresh(self, key: str) -> KubeObject:
        namespace, name = split_key(key)
        return await self.api.in_namespace(namespace).get(name)

    async def _manage_replicas(self, rs: Any, pods: list[Pod]
                               ) -> tuple[Exception | None, set[str]]:
        """Create or delete the difference; returns (first error, uids deleted)."""
        wanted = rs.spec.replicas if rs.spec.replicas is not None else 1
        diff = len(pods) - wanted
        if diff < 0:
            return await self._create_pods(rs, min(-diff, BURST_REPLICAS)), set()
        if diff > 0:
            return await self._delete_pods(rs, deletion_order(pods)[:min(diff, BURST_REPLICAS)])
        return None, set()

    async def _create_pods(self, rs: Any, count: int) -> Exception | None:
        self.expectations.expect_creations(rs.key, count)
        template = self.template_of(rs)

        async def create(_: int) -> None:
            await self.pod_control.create(rs, pod_from_template(template, rs))

        done, error = await slow_start_batch(count, create)
        if done < count:
            # The ones never created, or never attempted, will not show up in the cache.
            self.expectations.creations_failed(rs.key, count - done)
        return error

    async def _delete_pods(self, rs: Any, victims: list[Pod]
                           ) -> tuple[Exception | None, set[str]]:
        self.expectations.expect_deletions(rs.key, [p.key for p in victims])
        results = await asyncio.gather(*(self.pod_control.delete(rs, p) for p in victims),
                                       return_exceptions=True)
        error: Exception | None = None
        deleted: set[str] = set()
        for pod, result in zip(victims, results, strict=True):
            if isinstance(result, BaseException):
                if not isinstance(result, Exception):
                    raise result
                self.expectations.deletion_observed(rs.key, pod.key)
                error = error or result
                continue
            if result is False:
                self.expectations.deletion_observed(rs.key, pod.key)  # gone already
            deleted.add(pod.metadata.uid or "")
        return error, deleted

    # -- status --------------------------------------------------------------------------------

    def _calculate_status(self, rs: Any, pods: list[Pod], error: Exception | None,
                          now: Any) -> Any:
        template_labels = (self.template_of(rs).metadata.labels or {}).items()
        min_ready = rs.spec.min_ready_seconds or 0
        fully = sum(1 for p in pods if (p.metadata.labels or {}).items() >= template_labels)
        ready = sum(1 for p in pods if is_pod_ready(p))
        available = sum(1 for p in pods if is_pod_available(p, min_ready, now))
        conditions = [c for c in rs.status.conditions or () if c.type != REPLICA_FAILURE]
        failure = next((c for c in rs.status.conditions or () if c.type == REPLICA_FAILURE),
                       None)
        if error is not None:
            wanted = rs.spec.replicas if rs.spec.replicas is not None else 1
            failure = failure or self.new_condition(
                type=REPLICA_FAILURE, status="True",
                reason="FailedCreate" if len(pods) < wanted else "FailedDelete",
                message=str(error), last_transition_time=format_time(now))
            conditions.append(failure)
        return self.new_status(
            replicas=len(pods), fully_labeled_replicas=fully or None,
            ready_replicas=ready or None, available_replicas=available or None,
            observed_generation=rs.metadata.generation, conditions=conditions or None)

    async def _write_status(self, rs: Any, status: Any) -> None:
        if status == rs.status:
            return
        updated = rs.copy_deep()
        updated.status = status
        await update_status(self.api, updated)

    def _requeue_for_availability(self, rs: Any, pods: list[Pod], now: Any) -> None:
        """Come back when the next Ready pod has been Ready for minReadySeconds."""
        min_ready = rs.spec.min_ready_seconds or 0
        if min_ready <= 0:
            return
        waits = [w for p in pods if (w := available_in(p, min_ready, now))]
        if waits:
            self.enqueue_after(rs, min(waits) + 0.5)
