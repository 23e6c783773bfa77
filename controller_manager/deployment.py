"""The Deployment controller: roll a pod template out through ReplicaSets.

It watches Deployments, ReplicaSets and pod deletions. For each Deployment ``sync``
claims its ReplicaSets (adopting orphans that match its selector), finds the *new* one
(whose template is the Deployment's, ignoring ``pod-template-hash``) and creates it if
needed as ``<deployment>-<hash>``, then moves replicas from the old ReplicaSets to it:

* **RollingUpdate** grows the new ReplicaSet while the total stays within
  ``replicas + maxSurge`` and shrinks old ones while the available pods stay at least
  ``replicas - maxUnavailable``;
* **Recreate** scales every old ReplicaSet to zero, waits until their pods are gone,
  then scales the new one up;
* a change of ``spec.replicas`` alone is a *scaling event*: every active ReplicaSet is
  resized in proportion, without starting a rollout; a paused Deployment only scales.

Revisions live in the ``deployment.kubernetes.io/revision`` annotation of each
ReplicaSet; ``kubectl rollout undo`` patches an old template back, which makes that old
ReplicaSet the new one again with the next revision number. Old ReplicaSets beyond
``revisionHistoryLimit`` are deleted once the rollout is complete. Status carries the
counts and the ``Progressing`` and ``Available`` conditions ``kubectl rollout status``
waits on, and ``ProgressDeadlineExceeded`` when a rollout stalls.

One deliberate difference from Kubernetes keeps the surge and availability bounds true
at every instant, not just eventually: old ReplicaSets are only scaled down from status
their ReplicaSet controller has observed (``observedGeneration``), and pods a ReplicaSet
still has beyond its ``spec.replicas`` count against the surge.

Events on the Deployment: ``ScalingReplicaSet`` ("Scaled up replica set web-5d8f8 from
0 to 3"), ``ReplicaSetCreateError``, ``SelectingAll``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from apimachinery.apps_v1 import Deployment, ReplicaSet, ReplicaSetSpec
from apimachinery.core_v1 import Pod
from apimachinery.errors import AlreadyExists, Conflict, NotFound, StatusError
from apimachinery.labels import Selector
from apimachinery.meta import LabelSelector, ObjectMeta
from client import NORMAL, WARNING, DeletedFinalStateUnknown
from controller_manager import rollout
from controller_manager.controller import Controller, ControllerContext
from controller_manager.history import compute_hash
from controller_manager.podcontrol import (
    CONTROLLER_INDEX,
    claim,
    controller_of,
    ensure_owner_indexes,
    is_terminating,
    owned_and_orphans,
    owner_reference,
    resolve_owner,
)
from controller_manager.rollout import (
    POD_TEMPLATE_HASH_LABEL,
    PROGRESSING,
    REPLICA_FAILURE,
    Reason,
    filter_active,
    replicas,
)

__all__ = ["DeploymentController"]

log = logging.getLogger(__name__)


@dataclass
class _Sets:
    """A Deployment's ReplicaSets during one sync, kept current as the sync writes them."""

    new: ReplicaSet | None
    old: list[ReplicaSet] = field(default_factory=list)

    @property
    def all(self) -> list[ReplicaSet]:
        return [*self.old, self.new] if self.new is not None else list(self.old)

    def replace(self, rs: ReplicaSet) -> None:
        if self.new is not None and self.new.metadata.uid == rs.metadata.uid:
            self.new = rs
        self.old = [rs if o.metadata.uid == rs.metadata.uid else o for o in self.old]


class DeploymentController(Controller):
    name = "deployment"
    workers = 5  # --concurrent-deployment-syncs

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.api = ctx.client.resource(Deployment)
        self.rs_api = ctx.client.resource(ReplicaSet)
        self.deployments = self.watch(ctx.informers.informer(Deployment),
                                      on_add=self.enqueue,
                                      on_update=lambda old, new: self.enqueue(new),
                                      on_delete=self.enqueue)
        self.sets = self.watch(ctx.informers.informer(ReplicaSet), on_add=self._rs_added,
                               on_update=self._rs_updated, on_delete=self._rs_deleted)
        self.pods = self.watch(ctx.informers.informer(Pod), on_delete=self._pod_deleted)
        ensure_owner_indexes(self.sets)
        ensure_owner_indexes(self.pods)

    # -- event handlers -------------------------------------------------------------------------

    def _owner_of(self, rs: ReplicaSet) -> Deployment | None:
        return resolve_owner(controller_of(rs), "Deployment", self.deployments, rs.namespace)

    def _matching(self, rs: ReplicaSet) -> list[Deployment]:
        return [d for d in self.deployments.store.by_namespace(rs.namespace or "")
                if _selector(d).matches(rs.metadata.labels)]

    def _rs_added(self, rs: ReplicaSet) -> None:
        if is_terminating(rs):
            self._rs_deleted(rs)
            return
        if controller_of(rs) is not None:
            owner = self._owner_of(rs)
            if owner is not None:
                self.enqueue(owner)
            return
        for d in self._matching(rs):
            self.enqueue(d)

    def _rs_updated(self, old: ReplicaSet, new: ReplicaSet) -> None:
        if old.metadata.resource_version == new.metadata.resource_version:
            return
        old_ref, new_ref = controller_of(old), controller_of(new)
        if old_ref is not None and (new_ref is None or old_ref.uid != new_ref.uid):
            previous = self._owner_of(old)
            if previous is not None:
                self.enqueue(previous)
        if new_ref is not None:
            owner = self._owner_of(new)
            if owner is not None:
                self.enqueue(owner)
            return
        if old.metadata.labels != new.metadata.labels or old_ref is not None:
            for d in self._matching(new):
                self.enqueue(d)

    def _rs_deleted(self, obj: ReplicaSet | DeletedFinalStateUnknown[ReplicaSet]) -> None:
        rs = obj.obj if isinstance(obj, DeletedFinalStateUnknown) else obj
        owner = self._owner_of(rs)
        if owner is not None:
            self.enqueue(owner)

    def _pod_deleted(self, obj: Pod | DeletedFinalStateUnknown[Pod]) -> None:
        """A Recreate rollout waits for the old pods to be gone."""
        pod = obj.obj if isinstance(obj, DeletedFinalStateUnknown) else obj
        rs = resolve_owner(controller_of(pod), "ReplicaSet", self.sets, pod.namespace)
        owner = self._owner_of(rs) if rs is not None else None
        if owner is not None and owner.spec.strategy.type == "Recreate":
            self.enqueue(owner)

    # -- sync ------------------------------------------------------------------------------------

    async def sync(self, key: str) -> None:
        cached = self.deployments.store.get(key)
        if cached is None:
            return
        d = cached.copy_deep()
        selector = _selector(d)
        if selector.empty():
            await self._selecting_all(d)
            return
        sets = await self._claim_replica_sets(d, selector)
        if is_terminating(d):
            new, old = await self._get_all(d, sets, create=False)
            await self._sync_status(d, _Sets(new, old))
            return
        await self._check_paused_conditions(d)
        if d.spec.paused:
            await self._sync_scale(d, sets)
            return
        if await self._is_scaling_event(d, sets):
            await self._sync_scale(d, sets)
            return
        if d.spec.strategy.type == "Recreate":
            await self._rollout_recreate(d, sets)
        else:
            await self._rollout_rolling(d, sets)

    async def _selecting_all(self, d: Deployment) -> None:
        self.recorder.event(d, WARNING, "SelectingAll",
                            "This deployment is selecting all pods. A non-empty selector "
                            "is required.")
        if d.status.observed_generation != d.metadata.generation:
            d.status.observed_generation = d.metadata.generation
            await self._write_status(d)

    async def _claim_replica_sets(self, d: Deployment, selector: Selector) -> list[ReplicaSet]:
        namespace, name = d.namespace, d.name

        async def fresh() -> Deployment:
            return await self.api.in_namespace(namespace).get(name)

        return await claim(d, selector, owned_and_orphans(self.sets, d), self.rs_api, fresh)

    # -- finding and creating the new ReplicaSet -------------------------------------------------

    async def _get_all(self, d: Deployment, claimed: list[ReplicaSet], *, create: bool
                       ) -> tuple[ReplicaSet | None, list[ReplicaSet]]:
        """(the new ReplicaSet, the old ones), syncing the revision annotations.

        ``claimed`` is updated in place with what was written, so a second call in the
        same sync does not write again from a stale copy."""
        found = rollout.find_new_replica_set(d, claimed)
        old = [rs for rs in claimed if found is None or rs.metadata.uid != found.metadata.uid]
        new = await self._new_replica_set(d, found, old, create)
        if new is not None and new is not found:
            claimed[:] = [*old, new]
        return new, old

    async def _new_replica_set(self, d: Deployment, existing: ReplicaSet | None,
                               old: list[ReplicaSet], create: bool) -> ReplicaSet | None:
        new_revision = rollout.max_revision(old) + 1
        if existing is not None:
            return await self._sync_existing_new(d, existing, new_revision)
        if not create:
            return None
        return await self._create_new(d, old, new_revision)

    async def _sync_existing_new(self, d: Deployment, rs: ReplicaSet,
                                 new_revision: int) -> ReplicaSet:
        copy = rs.copy_deep()
        annotated = rollout.set_new_replica_set_annotations(d, copy, new_revision, exists=True)
        min_ready_changed = copy.spec.min_ready_seconds != d.spec.min_ready_seconds
        if annotated or min_ready_changed:
            copy.spec.min_ready_seconds = d.spec.min_ready_seconds
            return await self.rs_api.in_namespace(d.namespace).update(copy)
        needs_update = _set_deployment_revision(d, rollout.revision(copy))
        if rollout.has_progress_deadline(d) and d.status.condition(PROGRESSING) is None:
            rollout.set_condition(d.status, rollout.new_condition(
                PROGRESSING, "True", Reason.FOUND_NEW_RS,
                f'Found new replica set "{copy.name}"', self.clock.now()))
            needs_update = True
        if needs_update:
            await self._write_status(d)
        return copy

    async def _create_new(self, d: Deployment, old: list[ReplicaSet],
                          new_revision: int) -> ReplicaSet:
        template_hash = compute_hash(d.spec.template, d.status.collision_count)
        rs = _new_replica_set_object(d, template_hash)
        rs.spec.replicas = rollout.new_rs_new_replicas(d, [*old, rs], rs,
                                                       _pod_counts([*old, rs]))
        rollout.set_new_replica_set_annotations(d, rs, new_revision, exists=False)
        try:
            created = await self.rs_api.in_namespace(d.namespace).create(rs)
        except AlreadyExists:
            return await self._on_name_taken(d, rs)
        except StatusError as err:
            await self._creation_failed(d, rs, err)
            raise
        if replicas(created) > 0:
            self.recorder.event(d, NORMAL, "ScalingReplicaSet",
                                f"Scaled up replica set {created.name} from 0 to "
                                f"{replicas(created)}")
        _set_deployment_revision(d, new_revision)
        if rollout.has_progress_deadline(d):
            rollout.set_condition(d.status, rollout.new_condition(
                PROGRESSING, "True", Reason.NEW_RS_CREATED,
                f'Created new replica set "{created.name}"', self.clock.now()))
        await self._write_status(d)
        return created

    async def _on_name_taken(self, d: Deployment, wanted: ReplicaSet) -> ReplicaSet:
        """Our own ReplicaSet the cache has not seen yet, or a hash collision."""
        existing = await self.rs_api.in_namespace(d.namespace).get(wanted.name)
        ref = controller_of(existing)
        if (ref is not None and ref.uid == d.metadata.uid
                and rollout.equal_ignore_hash(existing.spec.template, d.spec.template)):
            return existing
        d.status.collision_count = (d.status.collision_count or 0) + 1
        await self._write_status(d)
        raise AlreadyExists(f'replica set "{wanted.name}" exists with another template; '
                            f"collision count is now {d.status.collision_count}")

    async def _creation_failed(self, d: Deployment, rs: ReplicaSet, err: Exception) -> None:
        message = f'Failed to create new replica set "{rs.name}": {err}'
        self.recorder.event(d, WARNING, Reason.FAILED_RS_CREATE, message)
        if rollout.has_progress_deadline(d):
            rollout.set_condition(d.status, rollout.new_condition(
                PROGRESSING, "False", Reason.FAILED_RS_CREATE, message, self.clock.now()))
            await self._write_status(d)

    # -- scaling -----------------------------------------------------------------------------------

    async def _scale_replica_set(self, d: Deployment, sets: _Sets, rs: ReplicaSet,
                                 new_scale: int) -> bool:
        """Resize ``rs`` (and stamp its replicas annotations); True if its size changed."""
        desired, max_total = replicas(d), replicas(d) + rollout.max_surge(d)
        size_changed = replicas(rs) != new_scale
        if not size_changed and not rollout.replicas_annotations_need_update(
                rs, desired, max_total):
            return False
        old_scale = replicas(rs)
        copy = rs.copy_deep()
        copy.spec.replicas = new_scale
        rollout.set_replicas_annotations(copy, desired, max_total)
        updated = await self.rs_api.in_namespace(rs.namespace).update(copy)
        sets.replace(updated)
        if size_changed:
            direction = "up" if new_scale > old_scale else "down"
            self.recorder.event(d, NORMAL, "ScalingReplicaSet",
                                f"Scaled {direction} replica set {rs.name} from {old_scale} "
                                f"to {new_scale}")
        return size_changed

    async def _is_scaling_event(self, d: Deployment, claimed: list[ReplicaSet]) -> bool:
        new, old = await self._get_all(d, claimed, create=False)
        for rs in filter_active([*old, new]):
            desired = rollout.desired_replicas_annotation(rs)
            if desired is not None and desired != replicas(d):
                return True
        return False

    async def _sync_scale(self, d: Deployment, claimed: list[ReplicaSet]) -> None:
        """Scaling events and paused Deployments: resize, never roll out."""
        new, old = await self._get_all(d, claimed, create=False)
        sets = _Sets(new, old)
        await self._scale(d, sets)
        if d.spec.paused:
            await self._cleanup(d, sets)
        await self._sync_status(d, sets)

    async def _scale(self, d: Deployment, sets: _Sets) -> None:
        only = rollout.find_active_or_latest(sets.new, sets.old)
        if only is not None:
            if replicas(only) != replicas(d):
                await self._scale_replica_set(d, sets, only, replicas(d))
            return
        if rollout.is_saturated(d, sets.new):
            for rs in filter_active(sets.old):
                await self._scale_replica_set(d, sets, rs, 0)
            return
        if rollout.is_rolling_update(d):
            await self._scale_proportionally(d, sets)

    async def _scale_proportionally(self, d: Deployment, sets: _Sets) -> None:
        active = filter_active(sets.all)
        allowed = replicas(d) + rollout.max_surge(d) if replicas(d) > 0 else 0
        to_add = allowed - rollout.total_replicas(active)
        if to_add != 0:
            # Bigger first; among equals the newer grows first and the older shrinks
            # first (two stable sorts: by age, then by size).
            active.sort(key=lambda rs: rs.metadata.creation_timestamp or "", reverse=to_add > 0)
            active.sort(key=lambda rs: -replicas(rs))
        status_replicas = d.status.replicas or 0
        sizes: dict[str, int] = {}
        added = 0
        for rs in active:
            share = rollout.get_proportion(rs, d, to_add, added, status_replicas)
            sizes[rs.name] = replicas(rs) + share
            added += share
        for i, rs in enumerate(active):
            size = sizes[rs.name]
            if i == 0 and to_add != 0:
                size = max(size + to_add - added, 0)  # leftovers go to the biggest
            await self._scale_replica_set(d, sets, rs, size)

    # -- rolling update ---------------------------------------------------------------------------

    async def _rollout_rolling(self, d: Deployment, claimed: list[ReplicaSet]) -> None:
        new, old = await self._get_all(d, claimed, create=True)
        assert new is not None
        sets = _Sets(new, old)
        if await self._reconcile_new(d, sets) or await self._reconcile_old(d, sets):
            await self._sync_rollout_status(d, sets)
            return
        if rollout.deployment_complete(d, d.status):
            await self._cleanup(d, sets)
        await self._sync_rollout_status(d, sets)

    async def _reconcile_new(self, d: Deployment, sets: _Sets) -> bool:
        new = sets.new
        assert new is not None
        if replicas(new) == replicas(d):
            return False
        if replicas(new) > replicas(d):
            return await self._scale_replica_set(d, sets, new, replicas(d))
        wanted = rollout.new_rs_new_replicas(d, sets.all, new, _pod_counts(sets.all))
        return await self._scale_replica_set(d, sets, new, wanted)

    async def _reconcile_old(self, d: Deployment, sets: _Sets) -> bool:
        new = sets.new
        assert new is not None
        old_active = filter_active(sets.old)
        if not old_active or not _observed(sets.all):
            # Without status the ReplicaSet controller has caught up with, availability
            # is a guess; wait for the status update, which enqueues us again.
            return False
        min_available = replicas(d) - rollout.max_unavailable(d)
        new_unavailable = replicas(new) - (new.status.available_replicas or 0)
        max_scaled_down = rollout.total_replicas(sets.all) - min_available - new_unavailable
        if max_scaled_down <= 0:
            return False
        cleaned = await self._cleanup_unhealthy(d, sets, max_scaled_down)
        scaled = await self._scale_down_old(d, sets, min_available)
        return cleaned + scaled > 0

    async def _cleanup_unhealthy(self, d: Deployment, sets: _Sets, budget: int) -> int:
        """Old pods that are not available go first: they cost no availability."""
        total = 0
        for rs in sorted(sets.old, key=lambda r: r.metadata.creation_timestamp or ""):
            if total >= budget:
                break
            unhealthy = replicas(rs) - (rs.status.available_replicas or 0)
            if replicas(rs) == 0 or unhealthy <= 0:
                continue
            count = min(budget - total, unhealthy)
            await self._scale_replica_set(d, sets, rs, replicas(rs) - count)
            total += count
        return total

    async def _scale_down_old(self, d: Deployment, sets: _Sets, min_available: int) -> int:
        available = rollout.total_available(sets.all)
        if available <= min_available:
            return 0
        budget = available - min_available
        total = 0
        for rs in sorted(sets.old, key=lambda r: r.metadata.creation_timestamp or ""):
            if total >= budget:
                break
            if replicas(rs) == 0:
                continue
            count = min(replicas(rs), budget - total)
            await self._scale_replica_set(d, sets, rs, replicas(rs) - count)
            total += count
        return total

    # -- recreate -----------------------------------------------------------------------------------

    async def _rollout_recreate(self, d: Deployment, claimed: list[ReplicaSet]) -> None:
        new, old = await self._get_all(d, claimed, create=False)
        sets = _Sets(new, old)
        scaled_down = False
        for rs in filter_active(sets.old):
            scaled_down = await self._scale_replica_set(d, sets, rs, 0) or scaled_down
        if scaled_down or self._old_pods_running(sets):
            await self._sync_rollout_status(d, sets)
            return
        if sets.new is None:
            sets.new, sets.old = await self._get_all(d, claimed, create=True)
        assert sets.new is not None
        if replicas(sets.new) != replicas(d):
            await self._scale_replica_set(d, sets, sets.new, replicas(d))
        if rollout.deployment_complete(d, d.status):
            await self._cleanup(d, sets)
        await self._sync_rollout_status(d, sets)

    def _old_pods_running(self, sets: _Sets) -> bool:
        """Any pod of an old ReplicaSet that has not finished, terminating ones included."""
        if rollout.total_status_replicas(sets.old) > 0:
            return True
        for rs in sets.old:
            for pod in self.pods.store.by_index(CONTROLLER_INDEX, rs.metadata.uid or ""):
                if pod.status.phase not in ("Succeeded", "Failed"):
                    return True
        return False

    # -- history -----------------------------------------------------------------------------------

    async def _cleanup(self, d: Deployment, sets: _Sets) -> None:
        """Delete the oldest old ReplicaSets beyond revisionHistoryLimit (empty ones only)."""
        limit = d.spec.revision_history_limit
        if limit is None:
            return
        alive = [rs for rs in sets.old if not is_terminating(rs)]
        excess = len(alive) - limit
        if excess <= 0:
            return
        alive.sort(key=lambda rs: (rollout.revision(rs), rs.metadata.creation_timestamp or ""))
        for rs in alive[:excess]:
            if (rs.status.replicas != 0 or replicas(rs) != 0
                    or (rs.metadata.generation or 0) > (rs.status.observed_generation or 0)):
                continue
            log.info("deployment %s: deleting old replica set %s", d.key, rs.name)
            try:
                await self.rs_api.in_namespace(rs.namespace).delete(rs.name)
            except NotFound:
                pass  # someone else removed it: what we wanted

    # -- status --------------------------------------------------------------------------------------

    async def _check_paused_conditions(self, d: Deployment) -> None:
        """Progressing turns Unknown with DeploymentPaused / DeploymentResumed."""
        if not rollout.has_progress_deadline(d):
            return
        current = d.status.condition(PROGRESSING)
        if current is not None and current.reason == Reason.TIMED_OUT:
            return  # a stalled rollout stays reported as stalled
        paused_shown = current is not None and current.reason == Reason.PAUSED
        now = self.clock.now()
        if d.spec.paused and not paused_shown:
            condition = rollout.new_condition(PROGRESSING, "Unknown", Reason.PAUSED,
                                              "Deployment is paused", now)
        elif not d.spec.paused and paused_shown:
            condition = rollout.new_condition(PROGRESSING, "Unknown", Reason.RESUMED,
                                              "Deployment is resumed", now)
        else:
            return
        rollout.set_condition(d.status, condition)
        await self._write_status(d)

    async def _sync_status(self, d: Deployment, sets: _Sets) -> None:
        status = rollout.calculate_status(sets.all, sets.new, d, self.clock.now())
        if status != d.status:
            d.status = status
            await self._write_status(d)

    async def _sync_rollout_status(self, d: Deployment, sets: _Sets) -> None:
        now = self.clock.now()
        status = rollout.calculate_status(sets.all, sets.new, d, now)
        if not rollout.has_progress_deadline(d):
            rollout.remove_condition(status, PROGRESSING)
        current = status.condition(PROGRESSING)
        complete = (status.replicas == status.updated_replicas and current is not None
                    and current.reason == Reason.NEW_RS_AVAILABLE)
        if rollout.has_progress_deadline(d) and not complete:
            self._update_progressing(d, sets, status, now)
        failure = _replica_failure(sets)
        if failure is not None:
            rollout.set_condition(status, rollout.new_condition(
                REPLICA_FAILURE, failure.status, failure.reason or "",
                failure.message or "", now))
        else:
            rollout.remove_condition(status, REPLICA_FAILURE)
        if status == d.status:
            self._requeue_if_stuck(d, status)
            return
        d.status = status
        await self._write_status(d)

    def _update_progressing(self, d: Deployment, sets: _Sets, status: Any, now: Any) -> None:
        name = sets.new.name if sets.new is not None else None
        if rollout.deployment_complete(d, status):
            message = (f'ReplicaSet "{name}" has successfully progressed.' if name
                       else f'Deployment "{d.name}" has successfully progressed.')
            rollout.set_condition(status, rollout.new_condition(
                PROGRESSING, "True", Reason.NEW_RS_AVAILABLE, message, now))
        elif rollout.deployment_progressing(d, status):
            message = (f'ReplicaSet "{name}" is progressing.' if name
                       else f'Deployment "{d.name}" is progressing.')
            condition = rollout.new_condition(PROGRESSING, "True", Reason.RS_UPDATED,
                                              message, now)
            current = status.condition(PROGRESSING)
            if current is not None:
                if current.status == "True":
                    condition.last_transition_time = current.last_transition_time
                rollout.remove_condition(status, PROGRESSING)
            rollout.set_condition(status, condition)
        elif rollout.deployment_timed_out(d, status, now):
            message = (f'ReplicaSet "{name}" has timed out progressing.' if name
                       else f'Deployment "{d.name}" has timed out progressing.')
            rollout.set_condition(status, rollout.new_condition(
                PROGRESSING, "False", Reason.TIMED_OUT, message, now))

    def _requeue_if_stuck(self, d: Deployment, status: Any) -> None:
        """Come back when the progress deadline passes, to report it."""
        if d.status.condition(PROGRESSING) is None or rollout.deployment_complete(d, status):
            return
        remaining = rollout.seconds_until_deadline(d, self.clock.now())
        if remaining is None:
            return
        if remaining < 1:
            self.queue.add_rate_limited(d.key)
        else:
            self.enqueue_after(d, remaining)

    async def _write_status(self, d: Deployment) -> None:
        """PUT the working copy's status (and revision annotation); later writes in the
        same sync continue from the new resourceVersion.

        A conflict usually means only that the cache has not yet seen our own previous
        status write; the status is computed from the ReplicaSets, so it is put once more
        onto the current object rather than thrown away.
        """
        api = self.api.in_namespace(d.namespace)
        try:
            written = await api.update_status(d)
        except Conflict:
            fresh = await api.get(d.name)
            if fresh.metadata.uid != d.metadata.uid:
                raise
            fresh.status = d.status
            revision = (d.metadata.annotations or {}).get(rollout.REVISION_ANNOTATION)
            if revision is not None:
                _set_deployment_revision(fresh, int(revision))
            written = await api.update_status(fresh)
        d.metadata.resource_version = written.metadata.resource_version


# -- helpers ---------------------------------------------------------------------------------------

def _selector(d: Deployment) -> Selector:
    return Selector.from_label_selector(d.spec.selector)


def _observed(sets: list[ReplicaSet]) -> bool:
    return all((rs.status.observed_generation or 0) >= (rs.metadata.generation or 0)
               for rs in sets)


def _pod_counts(sets: list[ReplicaSet]) -> list[int]:
    """Per ReplicaSet, the pods it may have: its spec, or more while a scale-down is
    still being carried out (status counts pods that are not terminating)."""
    return [max(replicas(rs), rs.status.replicas) for rs in sets]


def _set_deployment_revision(d: Deployment, revision: int) -> bool:
    annotations = dict(d.metadata.annotations or {})
    if annotations.get(rollout.REVISION_ANNOTATION) == str(revision):
        return False
    annotations[rollout.REVISION_ANNOTATION] = str(revision)
    d.metadata.annotations = annotations
    return True


def _replica_failure(sets: _Sets) -> Any:
    for rs in sets.all:
        condition = next((c for c in rs.status.conditions or ()
                          if c.type == REPLICA_FAILURE), None)
        if condition is not None:
            return condition
    return None


def _new_replica_set_object(d: Deployment, template_hash: str) -> ReplicaSet:
    template = d.spec.template.copy_deep()
    template.metadata.labels = {**(template.metadata.labels or {}),
                                POD_TEMPLATE_HASH_LABEL: template_hash}
    selector = (d.spec.selector or LabelSelector()).copy_deep()
    selector.match_labels = {**(selector.match_labels or {}),
                             POD_TEMPLATE_HASH_LABEL: template_hash}
    return ReplicaSet(
        metadata=ObjectMeta(name=f"{d.name}-{template_hash}", namespace=d.namespace,
                            labels=dict(template.metadata.labels),
                            owner_references=[owner_reference(d)]),
        spec=ReplicaSetSpec(replicas=0, min_ready_seconds=d.spec.min_ready_seconds,
                            selector=selector, template=template),
    )

