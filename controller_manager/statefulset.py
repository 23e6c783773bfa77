"""The StatefulSet controller: pods with stable names, started and stopped in order.

It watches StatefulSets, pods and ControllerRevisions. Pod ``<name>-<i>`` exists for
every ordinal ``i`` below ``replicas``, with ``hostname`` ``<name>-<i>`` and
``subdomain`` ``serviceName`` (so the headless Service gives it a stable DNS name), and
the labels ``statefulset.kubernetes.io/pod-name`` and ``apps.kubernetes.io/pod-index``.

With ``podManagementPolicy: OrderedReady`` (the default) ``sync`` creates ``-0``, waits
until it is Running and Ready, then ``-1`` and so on; it scales down from the highest
ordinal, one pod at a time, and never while another pod is unhealthy. ``Parallel``
creates and deletes all at once. A failed pod is deleted and recreated under its name.

Each template is a ControllerRevision ``<name>-<hash>``; every pod carries the name of
the revision it was made from in ``controller-revision-hash``. ``status.currentRevision``
is what the pods below the rollout run, ``updateRevision`` the current template.
``RollingUpdate`` replaces pods from the highest ordinal down to ``partition``, one at a
time, each only after the ones above it are Ready again; ``OnDelete`` leaves it to users.

Not implemented yet: ``volumeClaimTemplates`` (stable storage; the PersistentVolumeClaim
controller comes later), ``maxUnavailable`` for rolling updates, ``ordinals.start``.

Events on the StatefulSet: ``SuccessfulCreate`` ("create Pod web-0 in StatefulSet web
successful"), ``SuccessfulDelete``, ``FailedCreate``, ``FailedDelete``.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from apimachinery.apps_v1 import ControllerRevision, StatefulSet, StatefulSetStatus
from apimachinery.core_v1 import Pod, PodTemplateSpec
from apimachinery.errors import AlreadyExists, Conflict, NotFound, StatusError
from apimachinery.labels import Selector
from apimachinery.meta import Preconditions
from client import NORMAL, WARNING, DeletedFinalStateUnknown
from controller_manager import history
from controller_manager.controller import Controller, ControllerContext
from controller_manager.history import REVISION_HASH_LABEL
from controller_manager.podcontrol import (
    claim,
    controller_of,
    ensure_owner_indexes,
    is_pod_available,
    is_pod_ready,
    is_terminating,
    owned_and_orphans,
    pod_from_template,
    resolve_owner,
    update_status,
)

__all__ = ["POD_INDEX_LABEL", "POD_NAME_LABEL", "StatefulSetController"]

log = logging.getLogger(__name__)

POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"


def ordinal_of(set_name: str, pod: Pod) -> int | None:
    """The ordinal in ``<set>-<ordinal>``, or None for a pod not named like ours."""
    match = re.fullmatch(rf"{re.escape(set_name)}-(\d+)", pod.name)
    return int(match.group(1)) if match else None


def _running_and_ready(pod: Pod) -> bool:
    return pod.status.phase == "Running" and is_pod_ready(pod)


def _finished(pod: Pod) -> bool:
    return pod.status.phase in ("Failed", "Succeeded")


def _revision_of(pod: Pod) -> str:
    return (pod.metadata.labels or {}).get(REVISION_HASH_LABEL, "")


@dataclass
class _Revisions:
    current: ControllerRevision
    update: ControllerRevision
    current_template: PodTemplateSpec
    update_template: PodTemplateSpec
    collision_count: int


class StatefulSetController(Controller):
    name = "statefulset"
    workers = 5  # --concurrent-statefulset-syncs

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.api = ctx.client.resource(StatefulSet)
        self.pod_api = ctx.client.resource(Pod)
        self.revision_api = ctx.client.resource(ControllerRevision)
        self.sets = self.watch(ctx.informers.informer(StatefulSet), on_add=self.enqueue,
                               on_update=lambda old, new: self.enqueue(new),
                               on_delete=self.enqueue)
        self.pods = self.watch(ctx.informers.informer(Pod), on_add=self._pod_changed,
                               on_update=self._pod_updated, on_delete=self._pod_changed)
        self.revisions = self.watch(ctx.informers.informer(ControllerRevision),
                                    on_add=self._pod_changed,
                                    on_update=lambda old, new: self._pod_changed(new),
                                    on_delete=self._pod_changed)
        ensure_owner_indexes(self.pods)
        ensure_owner_indexes(self.revisions)

    # -- event handlers ---------------------------------------------------------------------------

    def _pod_changed(self, obj: Any) -> None:
        """A pod (or revision) event: enqueue its StatefulSet, or, for an orphan, every
        StatefulSet that would adopt it."""
        child = obj.obj if isinstance(obj, DeletedFinalStateUnknown) else obj
        ref = controller_of(child)
        if ref is not None:
            owner = resolve_owner(ref, "StatefulSet", self.sets, child.namespace)
            if owner is not None:
                self.enqueue(owner)
            return
        for sts in self.sets.store.by_namespace(child.namespace or ""):
            if Selector.from_label_selector(sts.spec.selector).matches(child.metadata.labels):
                self.enqueue(sts)

    def _pod_updated(self, old: Pod, new: Pod) -> None:
        if old.metadata.resource_version == new.metadata.resource_version:
            return
        self._pod_changed(new)
        owner = resolve_owner(controller_of(new), "StatefulSet", self.sets, new.namespace)
        if owner is None or not owner.spec.min_ready_seconds:
            return
        if is_pod_ready(new) and not is_pod_ready(old):
            self.enqueue_after(owner, owner.spec.min_ready_seconds + 1)

    # -- sync -------------------------------------------------------------------------------------

    async def sync(self, key: str) -> None:
        cached = self.sets.store.get(key)
        if cached is None:
            return
        sts = cached.copy_deep()
        selector = Selector.from_label_selector(sts.spec.selector)
        async def fresh() -> StatefulSet:
            return await self.api.in_namespace(sts.namespace).get(sts.name)

        pods = await claim(sts, selector, owned_and_orphans(self.pods, sts), self.pod_api,
                           fresh)
        revisions = await claim(sts, selector, owned_and_orphans(self.revisions, sts),
                                self.revision_api, fresh)
        revs = await self._revisions(sts, revisions)
        pods = [p for p in pods if ordinal_of(sts.name, p) is not None]
        if not is_terminating(sts):
            pods = await self._update(sts, revs, pods)
        await self._write_status(sts, revs, pods)
        await self._truncate_history(sts, revisions, revs, pods)

    # -- revisions ----------------------------------------------------------------------------------

    async def _revisions(self, sts: StatefulSet,
                         revisions: list[ControllerRevision]) -> _Revisions:
        """The current and update revisions, creating or renumbering the update one."""
        ordered = history.sort_revisions(revisions)
        data = history.revision_data(sts.spec.template)
        collisions = sts.status.collision_count or 0
        equal = [r for r in ordered if r.data == data]
        number = history.next_revision(ordered)
        if equal and ordered and equal[-1].name == ordered[-1].name:
            update = equal[-1]  # the template has not changed since the last revision
        elif equal:
            bumped = equal[-1].copy_deep()
            bumped.revision = number  # back to an older template: renumber it
            update = await self.revision_api.in_namespace(sts.namespace).update(bumped)
        else:
            update, collisions = await history.create_revision(
                self.revision_api, sts, sts.spec.template, number, collisions,
                lambda count: history.hash_revision_data(data, count))
        current = next((r for r in ordered if r.name == sts.status.current_revision), update)
        return _Revisions(current, update, history.template_of(current),
                          history.template_of(update), collisions)

    async def _truncate_history(self, sts: StatefulSet, revisions: list[ControllerRevision],
                                revs: _Revisions, pods: list[Pod]) -> None:
        live = {revs.current.name, revs.update.name, *(_revision_of(p) for p in pods)}
        unused = [r for r in history.sort_revisions(revisions) if r.name not in live]
        limit = sts.spec.revision_history_limit
        limit = 10 if limit is None else limit
        for revision in unused[:max(0, len(unused) - limit)]:
            try:
                await self.revision_api.in_namespace(sts.namespace).delete(revision.name)
            except NotFound:
                pass  # already gone

    # -- pods ---------------------------------------------------------------------------------------

    def _new_pod(self, sts: StatefulSet, revs: _Revisions, ordinal: int) -> Pod:
        """Pod ``<name>-<ordinal>`` from the revision its ordinal should run."""
        rolling = sts.spec.update_strategy.rolling_update
        partition = (rolling.partition or 0) if rolling else 0
        # Below the partition a rolling update keeps the current revision; everything
        # else (and every pod of an OnDelete set) is made from the update revision.
        use_current = sts.spec.update_strategy.type != "OnDelete" and ordinal < partition
        template = revs.current_template if use_current else revs.update_template
        revision = revs.current if use_current else revs.update
        name = f"{sts.name}-{ordinal}"
        pod = pod_from_template(template, sts, name=name, labels={
            POD_NAME_LABEL: name, POD_INDEX_LABEL: str(ordinal),
            REVISION_HASH_LABEL: revision.name})
        pod.spec.hostname = name
        pod.spec.subdomain = sts.spec.service_name or None
        return pod

    async def _create(self, sts: StatefulSet, pod: Pod) -> None:
        try:
            await self.pod_api.in_namespace(sts.namespace).create(pod)
        except AlreadyExists:
            return  # ours, not in the cache yet: its add event will bring us back
        except StatusError as err:
            self.recorder.event(sts, WARNING, "FailedCreate",
                                f"create Pod {pod.name} in StatefulSet {sts.name} failed "
                                f"error: {err}")
            raise
        self.recorder.event(sts, NORMAL, "SuccessfulCreate",
                            f"create Pod {pod.name} in StatefulSet {sts.name} successful")

    async def _delete(self, sts: StatefulSet, pod: Pod) -> None:
        try:
            await self.pod_api.in_namespace(pod.namespace).delete(
                pod.name, preconditions=Preconditions(uid=pod.metadata.uid))
        except (NotFound, Conflict):
            return  # gone, or already replaced by its successor
        except StatusError as err:
            self.recorder.event(sts, WARNING, "FailedDelete",
                                f"delete Pod {pod.name} in StatefulSet {sts.name} failed "
                                f"error: {err}")
            raise
        self.recorder.event(sts, NORMAL, "SuccessfulDelete",
                            f"delete Pod {pod.name} in StatefulSet {sts.name} successful")

    def _healthy(self, sts: StatefulSet, pod: Pod) -> bool:
        return (_running_and_ready(pod) and not is_terminating(pod) and is_pod_available(
            pod, sts.spec.min_ready_seconds or 0, self.clock.now()))

    async def _update(self, sts: StatefulSet, revs: _Revisions, pods: list[Pod]) -> list[Pod]:
        """One step towards the spec; returns the pods as they now are (best known)."""
        want = sts.spec.replicas if sts.spec.replicas is not None else 1
        ordered = sts.spec.pod_management_policy != "Parallel"
        slots: dict[int, Pod] = {}
        condemned: list[Pod] = []
        for pod in pods:
            ordinal = ordinal_of(sts.name, pod)
            assert ordinal is not None
            if ordinal < want:
                slots[ordinal] = pod
            else:
                condemned.append(pod)
        condemned.sort(key=lambda p: -(ordinal_of(sts.name, p) or 0))
        if await self._fill(sts, revs, slots, want, ordered):
            return list(slots.values()) + condemned
        if await self._scale_down(sts, condemned, ordered):
            return list(slots.values()) + condemned
        if sts.spec.update_strategy.type != "OnDelete":
            await self._roll(sts, revs, slots, want)
        return list(slots.values()) + condemned

    async def _fill(self, sts: StatefulSet, revs: _Revisions, slots: dict[int, Pod],
                    want: int, ordered: bool) -> bool:
        """Create missing pods and replace finished ones; True if we must wait."""
        pending: list[Pod] = []
        for ordinal in range(want):
            pod = slots.get(ordinal)
            if pod is not None and _finished(pod) and not is_terminating(pod):
                await self._delete(sts, pod)  # it comes back under the same name
                if ordered:
                    return True
                continue
            if pod is None:
                new = self._new_pod(sts, revs, ordinal)
                if ordered:
                    await self._create(sts, new)
                    slots[ordinal] = new
                    return True
                pending.append(new)
                continue
            if ordered and not self._healthy(sts, pod):
                return True  # the next ordinal waits until this one is Running and Ready
        if pending:
            await asyncio.gather(*(self._create(sts, p) for p in pending))
            for pod in pending:
                slots[ordinal_of(sts.name, pod) or 0] = pod
            return True
        return False

    async def _scale_down(self, sts: StatefulSet, condemned: list[Pod],
                          ordered: bool) -> bool:
        """Delete pods above replicas, highest ordinal first; True if we must wait."""
        if not condemned:
            return False
        if not ordered:
            await asyncio.gather(*(self._delete(sts, p) for p in condemned
                                   if not is_terminating(p)))
            return True
        target = condemned[0]
        if is_terminating(target):
            return True  # one at a time: wait for it to go
        # Every pod below replicas is healthy here (_fill waited otherwise); an unhealthy
        # target goes only if no lower condemned pod is unhealthy too.
        unhealthy = [p for p in reversed(condemned) if not self._healthy(sts, p)]
        if unhealthy and not self._healthy(sts, target) and unhealthy[0] is not target:
            return True
        await self._delete(sts, target)
        return True

    async def _roll(self, sts: StatefulSet, revs: _Revisions, slots: dict[int, Pod],
                    want: int) -> None:
        """Replace the highest out-of-date pod at or above the partition, one at a time."""
        rolling = sts.spec.update_strategy.rolling_update
        partition = (rolling.partition or 0) if rolling else 0
        for ordinal in range(want - 1, partition - 1, -1):
            pod = slots.get(ordinal)
            if pod is None:
                return
            if _revision_of(pod) != revs.update.name and not is_terminating(pod):
                await self._delete(sts, pod)
                return
            if not self._healthy(sts, pod):
                return  # wait for the replacement to come up before the next one

    # -- status ---------------------------------------------------------------------------------------

    async def _write_status(self, sts: StatefulSet, revs: _Revisions, pods: list[Pod]) -> None:
        status = self._calculate_status(sts, revs, pods, self.clock.now())
        if status == sts.status:
            return
        sts.status = status
        await update_status(self.api, sts)

    def _calculate_status(self, sts: StatefulSet, revs: _Revisions, pods: list[Pod],
                          now: datetime) -> StatefulSetStatus:
        created = [p for p in pods if p.status.phase]  # isCreated: the API has seen it
        ready = [p for p in created if _running_and_ready(p)]
        available = [p for p in ready if is_pod_available(p, sts.spec.min_ready_seconds or 0,
                                                          now)]
        alive = [p for p in created if not is_terminating(p)]
        current = sum(1 for p in alive if _revision_of(p) == revs.current.name)
        updated = sum(1 for p in alive if _revision_of(p) == revs.update.name)
        current_revision = revs.current.name
        rolling = sts.spec.update_strategy.type != "OnDelete"
        want = sts.spec.replicas if sts.spec.replicas is not None else 1
        if rolling and updated == len(created) == want and len(ready) == want:
            current, current_revision = updated, revs.update.name  # the rollout is done
        return StatefulSetStatus(
            observed_generation=sts.metadata.generation, replicas=len(created),
            ready_replicas=len(ready) or None, current_replicas=current or None,
            updated_replicas=updated or None, current_revision=current_revision,
            update_revision=revs.update.name, collision_count=revs.collision_count,
            conditions=sts.status.conditions, available_replicas=len(available))
